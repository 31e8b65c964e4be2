/**
 * Every request is accounted exactly once however it ends: a client that leaves mid-stream (a chat
 * UI's stop button) still gets its access-log line, its usage (estimated from what it was sent, and
 * marked so), its budget charge and its metrics, with an outcome that says how it ended.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_STREAM, startFakeOpenAI, streamChat } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { parsePrometheus } from '../helpers/prometheus.js';

let upstream: FakeUpstream;
let gateway: TestApp;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1` },
  });
  await gateway.listen();
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

/** Starts a streamed chat, reads until `seen` appears, then goes away. */
function leaveMidStream(seen: string): Promise<void> {
  const url = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_KEY}` },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (text.includes(seen)) {
            outgoing.destroy();
            resolve();
          }
        });
        response.on('error', () => {});
      },
    );
    outgoing.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
    outgoing.end(
      JSON.stringify({
        model: 'gpt-4o',
        stream: true,
        messages: [{ role: 'user', content: 'Say hello to me' }],
      }),
    );
  });
}

describe('a client that leaves mid-stream', () => {
  it('is accounted once: access log, estimated usage, usage store and metrics', async () => {
    let release!: () => void;
    // The upstream sends its first events, then waits: the client leaves in between.
    upstream.enqueue('POST', '/v1/chat/completions', {
      ...streamChat(CHAT_STREAM),
      holdAt: CHAT_STREAM.indexOf('"!"'),
      release: new Promise<void>((resolve) => (release = resolve)),
    });
    await leaveMidStream('Hello');
    await expect.poll(() => gateway.logs.accessLines().length, { timeout: 10_000 }).toBe(1);
    release();
    const [line] = gateway.logs.accessLines();
    expect(line).toMatchObject({
      outcome: 'client_closed',
      model: 'gpt-4o',
      provider: 'openai',
      usageEstimated: true,
    });
    expect(line!['completionTokens']).toBe(2); // "Hello" streamed: five characters
    expect(line!['promptTokens']).toBeGreaterThan(0);

    const usage = await gateway.app.inject({ url: '/v1/usage', headers: authHeaders() });
    expect(usage.json().total.requests).toBe(1);
    expect(usage.json().total.completion_tokens).toBe(2);

    const metrics = parsePrometheus(
      (await gateway.app.inject({ url: '/metrics', headers: authHeaders() })).body,
    );
    const requests = metrics.filter(
      (sample) =>
        sample.name === 'llm_gateway_requests_total' && sample.labels['route'] === '/v1/chat/completions',
    );
    expect(requests.map((sample) => sample.value)).toEqual([1]);
    // The access log says it once, even after the upstream's last bytes arrive.
    await expect.poll(() => upstream.aborted, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(
      gateway.logs.accessLines().filter((each) => each['route'] === '/v1/chat/completions'),
    ).toHaveLength(1);
  });
});
