/**
 * The Responses API door over HTTP, for what the SDK tests do not show: the parameter policy in the
 * Responses API's own names, groups mixing providers that speak it and providers that do not,
 * failover, streams cut short, accounting, the rate limit of stored responses, and a Redis outage.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../../src/config.js';
import type { FakeUpstream } from '../../../helpers/fake-upstream.js';
import { GEMINI_KEY, geminiPath, startFakeGemini } from '../../../helpers/fake-gemini.js';
import {
  ANTHROPIC_KEY,
  MESSAGES_PATH,
  anthropicError,
  fixtureSse,
  startFakeAnthropic,
  streamAnthropic,
} from '../../../helpers/fake-anthropic.js';
import { RESPONSE_TOOL_CALLS, startFakeOpenAI } from '../../../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../../../helpers/build-app.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';
import { PrivateRedisServer } from '../../../helpers/redis-server.js';
import { passThroughOnly } from '../../../helpers/routing.js';

const FLASH = geminiPath('gemini-2.5-flash', 'generateContent');
const FLASH_STREAM = geminiPath('gemini-2.5-flash', 'streamGenerateContent');

let gemini: FakeUpstream;
let anthropic: FakeUpstream;
let openai: FakeUpstream;
const apps: TestApp[] = [];

function withGroups(config: LoadedConfig): void {
  passThroughOnly(config);
  config.gateway.routing.models = {
    // Gemini first, Claude when it fails.
    'any-model': { models: ['gemini-2.5-flash', 'claude-sonnet-4-5'] },
    // A provider that speaks the Responses API and one that does not.
    mixed: { models: ['gemini-2.5-flash', 'gpt-4o'] },
  };
}

async function gatewayWith(env: Record<string, string> = {}): Promise<TestApp> {
  const app = await buildTestApp({
    env: {
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_BASE_URL: gemini.origin,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: anthropic.origin,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      REQUEST_TIMEOUT: '5000',
      ...env,
    },
    configure: withGroups,
  });
  apps.push(app);
  return app;
}

function post(app: TestApp, body: Record<string, unknown>) {
  return app.app.inject({
    method: 'POST',
    url: '/v1/responses',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

function retrieve(app: TestApp, id: string) {
  return app.app.inject({ method: 'GET', url: `/v1/responses/${id}`, headers: authHeaders() });
}

/** The events of a Responses stream, each checked against OpenAI's schema. */
function events(payload: string): Record<string, unknown>[] {
  return payload
    .split('\n\n')
    .filter((frame) => frame.length > 0)
    .map((frame) => {
      const [eventLine, dataLine] = frame.split('\n');
      const data = JSON.parse(dataLine!.slice('data: '.length)) as Record<string, unknown>;
      expect(eventLine).toBe(`event: ${String(data['type'])}`);
      assertOpenAISchema('ResponseStreamEvent', data);
      return data;
    });
}

let gateway: TestApp;

beforeAll(async () => {
  [gemini, anthropic, openai] = await Promise.all([
    startFakeGemini(),
    startFakeAnthropic(),
    startFakeOpenAI(),
  ]);
  gateway = await gatewayWith();
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await Promise.all([gemini.close(), anthropic.close(), openai.close()]);
});

afterEach(() => {
  gemini.reset();
  anthropic.reset();
  openai.reset();
});

describe('the parameter policy, in the Responses API’s names', () => {
  it('drops what the model cannot honour with a warning naming the field the client sent', async () => {
    const response = await post(gateway, {
      model: 'gemini-2.5-flash',
      input: 'Hi',
      text: { verbosity: 'low' },
      top_logprobs: 2,
    });
    expect(response.statusCode).toBe(200);
    const warnings = String(response.headers['x-gateway-warnings']);
    expect(warnings).toContain("dropped unsupported parameter 'top_logprobs'");
    expect(warnings).toContain("dropped unsupported parameter 'text.verbosity'");
    expect(gemini.last().json).not.toHaveProperty('generationConfig');
  });

  it('refuses it by the field the client sent when the gateway is set to reject', async () => {
    const strict = await gatewayWith({ UNSUPPORTED_PARAMETERS: 'reject' });
    const response = await post(strict, {
      model: 'gemini-2.5-flash',
      input: 'Hi',
      text: { verbosity: 'low' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'unsupported_parameter', param: 'text.verbosity' });
    expect(gemini.requests).toHaveLength(0);
  });
});

describe('groups and failover', () => {
  it('fails over from Gemini to Claude, translating for each', async () => {
    gemini.enqueue('POST', FLASH, {
      status: 500,
      json: { error: { code: 500, message: 'boom', status: 'INTERNAL' } },
    });
    const response = await post(gateway, { model: 'any-model', input: 'Hello, how are you?' });
    expect(response.statusCode).toBe(200);
    assertOpenAISchema('Response', response.json());
    expect(response.headers['x-gateway-provider']).toBe('anthropic');
    expect(response.headers['x-gateway-attempts']).toBe('2');
    expect(gemini.requests).toHaveLength(1);
    expect(anthropic.requests).toHaveLength(1);
  });

  it('fails over a stream until its first event', async () => {
    gemini.enqueue('POST', FLASH_STREAM, {
      status: 503,
      json: { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } },
    });
    const response = await post(gateway, { model: 'any-model', input: 'Hello', stream: true });
    const all = events(response.body);
    expect(all[0]!['type']).toBe('response.created');
    expect(all.at(-1)!['type']).toBe('response.completed');
    expect(response.headers['x-gateway-provider']).toBe('anthropic');
  });

  it('sends a request only a Responses API provider can take (a built-in tool) to that provider', async () => {
    const body = { model: 'mixed', input: 'News today?', tools: [{ type: 'web_search' }] };
    const response = await post(gateway, body);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(RESPONSE_TOOL_CALLS);
    expect(openai.last().json).toEqual({ ...body, model: 'gpt-4o' });
    expect(gemini.requests).toHaveLength(0);
  });

  it('refuses a model that lacks what the translated request needs, naming why', async () => {
    const response = await post(gateway, {
      model: 'gemini-2.0-flash-lite',
      input: 'What time is it?',
      tools: [{ type: 'function', name: 'now', parameters: { type: 'object' } }],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'no_capable_deployment', param: 'model' });
    expect(response.json().error.message).toContain('lacks tools');
    expect(gemini.requests).toHaveLength(0);
  });

  it('continues a provider-kept response only on that provider', async () => {
    const first = await post(gateway, { model: 'gpt-4o', input: 'Capital of France?' });
    const id = first.json().id as string;
    const elsewhere = await post(gateway, {
      model: 'gemini-2.5-flash',
      input: 'And Spain?',
      previous_response_id: id,
    });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().error).toMatchObject({
      code: 'no_capable_deployment',
      param: 'previous_response_id',
    });
    const mixed = await post(gateway, { model: 'mixed', input: 'And Spain?', previous_response_id: id });
    expect(mixed.headers['x-gateway-provider']).toBe('openai');
    expect(openai.last().json).toMatchObject({ previous_response_id: id });
  });

  it('continues a gateway-kept conversation on a Responses API provider with the conversation inline', async () => {
    const first = await post(gateway, { model: 'claude-sonnet-4-5', input: 'Hello, how are you?' });
    const id = first.json().id as string;
    await post(gateway, {
      model: 'gpt-4o',
      instructions: 'Be brief.',
      input: 'And you?',
      previous_response_id: id,
    });
    const sent = openai.last().json as Record<string, unknown>;
    expect(sent).not.toHaveProperty('previous_response_id');
    expect(sent).toMatchObject({ model: 'gpt-4o', instructions: 'Be brief.' });
    expect(sent['input']).toEqual([
      { type: 'message', role: 'user', content: 'Hello, how are you?' },
      {
        type: 'message',
        status: 'completed',
        content: [
          {
            type: 'output_text',
            annotations: [],
            logprobs: [],
            text: "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?",
          },
        ],
        role: 'assistant',
      },
      { type: 'message', role: 'user', content: 'And you?' },
    ]);
  });
});

describe('streams and accounting', () => {
  it('ends a stream cut short with an error event, and keeps nothing of it', async () => {
    const body = fixtureSse('anthropic-text.chunks.txt');
    anthropic.enqueue(
      'POST',
      MESSAGES_PATH,
      streamAnthropic(body, { reset: body.indexOf('content_block_stop') }),
    );
    const response = await post(gateway, { model: 'claude-sonnet-4-5', input: 'Hello', stream: true });
    const all = events(response.body);
    const last = all.at(-1)!;
    expect(last).toMatchObject({ type: 'error', sequence_number: all.length - 1 });
    const id = (all[0]!['response'] as { id: string }).id;
    expect((await retrieve(gateway, id)).statusCode).toBe(404);
  });

  it('answers a provider’s refusal of the request in the Responses API’s error envelope', async () => {
    anthropic.enqueue(
      'POST',
      MESSAGES_PATH,
      anthropicError(400, 'invalid_request_error', 'prompt is too long'),
    );
    const response = await post(gateway, { model: 'claude-sonnet-4-5', input: 'Hello' });
    expect(response.statusCode).toBe(400);
    assertOpenAISchema('ErrorResponse', response.json());
    expect(response.json().error.message).toContain('prompt is too long');
  });

  it('accounts the tokens of translated answers, unary and streamed', async () => {
    await post(gateway, { model: 'claude-sonnet-4-5', input: 'Hello' });
    expect(gateway.logs.accessLines().at(-1)).toMatchObject({ promptTokens: 12, completionTokens: 29 });
    await post(gateway, { model: 'gemini-2.5-flash', input: 'Count', stream: true });
    expect(gateway.logs.accessLines().at(-1)).toMatchObject({ promptTokens: 6, completionTokens: 326 });
  });
});

describe('stored responses', () => {
  it('are rate-limited as chat requests', async () => {
    const limited = await gatewayWith({ RATE_LIMITING_ENABLED: 'true', RATE_LIMIT_CHAT_RPM: '2' });
    const answers = [];
    for (let index = 0; index < 3; index++) answers.push(await retrieve(limited, 'resp_anything'));
    expect(answers.map((answer) => answer.statusCode)).toEqual([404, 404, 429]);
    expect(answers[0]!.headers['x-ratelimit-limit']).toBe('2');
  });

  describe('while Redis is down', () => {
    const redis = new PrivateRedisServer();
    let shared: TestApp;

    beforeAll(async () => {
      await redis.start();
      shared = await gatewayWith({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT: '200' });
    });

    afterAll(async () => {
      await redis.stop();
    });

    it('answers 503 where the store decides the answer, and still answers a new response', async () => {
      const kept = await post(shared, { model: 'claude-sonnet-4-5', input: 'Hello' });
      const id = kept.json().id as string;
      expect((await retrieve(shared, id)).statusCode).toBe(200);
      await redis.stop();
      await expect.poll(async () => (await retrieve(shared, id)).statusCode, { timeout: 10_000 }).toBe(503);
      const unavailable = await retrieve(shared, id);
      expect(unavailable.json().error.code).toBe('response_store_unavailable');
      expect(unavailable.headers['retry-after']).toBe('1');
      const continued = await post(shared, {
        model: 'claude-sonnet-4-5',
        input: 'Go on',
        previous_response_id: id,
      });
      expect(continued.statusCode).toBe(503);

      const fresh = await post(shared, { model: 'claude-sonnet-4-5', input: 'Hello again' });
      expect(fresh.statusCode).toBe(200);
      assertOpenAISchema('Response', fresh.json());
      expect(String(fresh.headers['x-gateway-warnings'])).toContain('was not stored');
    });
  });
});
