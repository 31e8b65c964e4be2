import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';

let upstream: FakeUpstream;
let gateway: TestApp;
let debug: TestApp;
const PROMPT = 'my very private prompt about payroll';

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  const env = { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1` };
  gateway = await buildTestApp({ env });
  debug = await buildTestApp({ env: { ...env, LOG_BODIES: 'true' } });
});
afterAll(async () => {
  await gateway.close();
  await debug.close();
  await upstream.close();
});

const send = (app: TestApp, body: Record<string, unknown>, headers = authHeaders()) =>
  app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions?api_key=should-not-be-logged',
    headers: { ...headers, 'content-type': 'application/json', 'x-request-id': 'req-123' },
    payload: JSON.stringify({ messages: [{ role: 'user', content: PROMPT }], ...body }),
  });

describe('access log', () => {
  it('writes one line per request with what was asked, what answered, and what it cost', async () => {
    const before = gateway.logs.accessLines().length;
    await send(gateway, { model: 'gpt-4o' });
    const lines = gateway.logs.accessLines().slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      reqId: 'req-123',
      method: 'POST',
      route: '/v1/chat/completions',
      status: 200,
      key: expect.stringMatching(/^key_/),
      model: 'gpt-4o',
      answeredModel: 'gpt-4o',
      provider: 'openai',
      attempts: 1,
      stream: false,
      promptTokens: 19,
      completionTokens: 11,
      costUsd: (19 * 2.5 + 11 * 10) / 1e6,
    });
    expect(typeof lines[0]!['latencyMs']).toBe('number');
    expect(typeof lines[0]!['overheadMs']).toBe('number');
  });

  it('never writes keys, query strings or prompt text', async () => {
    await send(gateway, { model: 'gpt-4o' });
    await send(gateway, { model: 'gpt-4o' }, { authorization: 'Bearer wrong-but-secret-key-1' });
    await send(gateway, { model: 'gpt-4o' }, { 'x-api-key': 'another-secret-key-2' });
    const text = gateway.logs.text();
    for (const secret of [
      TEST_KEY,
      OPENAI_KEY,
      'wrong-but-secret-key-1',
      'another-secret-key-2',
      'should-not-be-logged',
      PROMPT,
      'Hello! How can I help',
    ]) {
      expect(text).not.toContain(secret);
    }
    const failures = gateway.logs.lines.filter((line) => line['event'] === 'auth_failure');
    expect(failures.map((line) => line['reason'])).toEqual(expect.arrayContaining(['invalid_key']));
  });

  it('writes prompts and answers only when LOG_BODIES is set, and still no keys', async () => {
    await send(debug, { model: 'gpt-4o' });
    const line = debug.logs.accessLines().at(-1)!;
    expect(JSON.stringify(line['requestBody'])).toContain(PROMPT);
    expect(String(line['responseBody'])).toContain('Hello! How can I help');
    expect(debug.logs.text()).not.toContain(TEST_KEY);
    expect(debug.logs.text()).not.toContain(OPENAI_KEY);
    expect(debug.logs.text()).toContain('LOG_BODIES is on');
  });
});
