/**
 * Background responses (`background: true`) passed through to a provider that speaks the Responses
 * API: the provider answers at once with a `queued` response and no usage and finishes later. The
 * gateway asks for the response until it ends and records its usage then, once, to the key that
 * asked, at the model's price.
 * @see https://platform.openai.com/docs/guides/background
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../../helpers/fake-upstream.js';
import {
  RESPONSE,
  RESPONSE_STREAM,
  STORED_RESPONSE_ID,
  openaiError,
  startFakeOpenAI,
  streamChat,
} from '../../../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../../../helpers/build-app.js';

const KEY = 'gw-background-usage-key-1';
const OTHER_KEY = 'gw-background-other-key-2';
const STREAM_KEY = 'gw-background-stream-key-3';

interface ResponseObject {
  id: string;
  status: string;
  background?: boolean;
  output: unknown[];
  usage: {
    input_tokens: number;
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
  } | null;
}

/** The recorded response, as the provider shows it while it runs and once it ended. */
const COMPLETED = JSON.parse(RESPONSE) as ResponseObject;
function runningResponse(id: string, status: 'queued' | 'in_progress'): string {
  return JSON.stringify({ ...COMPLETED, id, status, background: true, output: [], usage: null });
}
function completedResponse(id: string): string {
  return JSON.stringify({ ...COMPLETED, id, background: true });
}
const json = (body: string, status = 200) => ({
  status,
  headers: { 'content-type': 'application/json' },
  body,
});

let upstream: FakeUpstream;
let gateway: TestApp;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: {
      GATEWAY_API_KEYS: `${KEY},${OTHER_KEY},${STREAM_KEY}`,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
    },
    configure: (config) => {
      config.gateway.responses.backgroundPollInterval = 20;
    },
  });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

/** Serves `id` as the provider would: `in_progress` for the first `runningLooks` looks, then completed. */
function provideBackgroundResponse(id: string, runningLooks: number): void {
  upstream.enqueue('POST', '/v1/responses', json(runningResponse(id, 'queued')));
  let looks = 0;
  upstream.route('GET', `/v1/responses/${id}`, () =>
    json(looks++ < runningLooks ? runningResponse(id, 'in_progress') : completedResponse(id)),
  );
}

function createBackground(key: string) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/responses',
    headers: { ...authHeaders(key), 'content-type': 'application/json' },
    payload: JSON.stringify({ model: 'o3-pro', input: 'Write a long essay.', background: true }),
  });
}

async function usageOf(key: string) {
  const response = await gateway.app.inject({ method: 'GET', url: '/v1/usage', headers: authHeaders(key) });
  return response.json().total as {
    requests: number;
    prompt_tokens: number;
    completion_tokens: number;
    reasoning_tokens: number;
    cost_usd: number;
  };
}

const looksAt = (id: string) => upstream.received(`/v1/responses/${id}`).length;

describe('a background response', () => {
  it('records its usage when it ends, once, to the key that asked, at the model price', async () => {
    provideBackgroundResponse('resp_background_one', 2);
    const created = await createBackground(KEY);
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ id: 'resp_background_one', status: 'queued', usage: null });
    // The request itself accounts nothing: the response has not been generated yet.
    expect(gateway.logs.accessLines().at(-1)).not.toHaveProperty('promptTokens');

    const usage = COMPLETED.usage!;
    await expect
      .poll(() => usageOf(KEY), { timeout: 15_000, interval: 20 })
      .toMatchObject({ prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens });
    const recorded = await usageOf(KEY);
    expect(recorded.requests).toBe(1);
    expect(recorded.reasoning_tokens).toBe(usage.output_tokens_details.reasoning_tokens);
    // o3-pro: $20 per 1M input tokens, $80 per 1M output tokens (its catalog entry).
    expect(recorded.cost_usd).toBeCloseTo((usage.input_tokens * 20 + usage.output_tokens * 80) / 1e6, 9);
    expect(await usageOf(OTHER_KEY)).toMatchObject({ requests: 0, prompt_tokens: 0 });
    expect(looksAt('resp_background_one')).toBe(3);
    expect(gateway.logs.lines.find((line) => line['event'] === 'background_usage')).toMatchObject({
      responseId: 'resp_background_one',
      model: 'o3-pro',
    });

    // Another one, watched meanwhile: once it is recorded the first was looked at no more, and
    // counted once.
    provideBackgroundResponse('resp_background_two', 3);
    expect((await createBackground(KEY)).statusCode).toBe(200);
    await expect.poll(async () => (await usageOf(KEY)).requests, { timeout: 15_000, interval: 20 }).toBe(2);
    expect(looksAt('resp_background_one')).toBe(3);
    expect(looksAt('resp_background_two')).toBe(4);
    expect(await usageOf(KEY)).toMatchObject({
      prompt_tokens: 2 * usage.input_tokens,
      completion_tokens: 2 * usage.output_tokens,
    });
  });

  it('is forgotten, with a warning, when its provider no longer has it', async () => {
    upstream.enqueue('POST', '/v1/responses', json(runningResponse('resp_background_gone', 'queued')));
    upstream.route('GET', '/v1/responses/resp_background_gone', () =>
      openaiError(404, 'error-response-not-found.json'),
    );
    const before = await usageOf(OTHER_KEY);
    expect((await createBackground(OTHER_KEY)).statusCode).toBe(200);
    await expect
      .poll(() => gateway.logs.lines.some((line) => line['event'] === 'background_usage_lost'), {
        timeout: 15_000,
        interval: 20,
      })
      .toBe(true);
    expect(looksAt('resp_background_gone')).toBe(1);
    expect(await usageOf(OTHER_KEY)).toEqual(before);
  });

  it('that the provider answers already ended is accounted by its request, as any other', async () => {
    upstream.enqueue('POST', '/v1/responses', json(completedResponse('resp_background_quick')));
    const before = (await usageOf(OTHER_KEY)).requests;
    expect((await createBackground(OTHER_KEY)).statusCode).toBe(200);
    await expect.poll(async () => (await usageOf(OTHER_KEY)).requests).toBe(before + 1);
    expect(looksAt('resp_background_quick')).toBe(0);
  });

  it('streamed, and left by its client before it ended, records the usage the provider reports, not an estimate', async () => {
    const url = await gateway.listen();
    // The provider sends the first events, then holds the rest: the client leaves meanwhile, and
    // the response goes on at the provider (a background response outlives its stream).
    const held = new Promise<void>(() => undefined);
    upstream.enqueue('POST', '/v1/responses', {
      ...streamChat(RESPONSE_STREAM),
      holdAt: RESPONSE_STREAM.indexOf('event: response.output_text.delta'),
      release: held,
    });
    const looksBefore = looksAt(STORED_RESPONSE_ID);
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/responses`, {
      method: 'POST',
      headers: { ...authHeaders(STREAM_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'o3-pro', input: 'Write a long essay.', background: true, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('response.created');
    controller.abort();

    const usage = COMPLETED.usage!;
    await expect
      .poll(() => usageOf(STREAM_KEY), { timeout: 15_000, interval: 20 })
      .toMatchObject({
        requests: 1,
        prompt_tokens: usage.input_tokens,
        completion_tokens: usage.output_tokens,
      });
    expect(looksAt(STORED_RESPONSE_ID)).toBeGreaterThan(looksBefore);
    const line = gateway.logs
      .accessLines()
      .find((entry) => entry['stream'] === true && entry['model'] === 'o3-pro')!;
    expect(line['outcome']).toBe('client_closed');
    expect(line).not.toHaveProperty('usageEstimated');
  });
});
