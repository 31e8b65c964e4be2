/**
 * Chat input moderation on every door that carries chat input: the Responses API (openai SDK), the
 * Anthropic Messages API (@anthropic-ai/sdk) and the Gemini API (@google/genai), against a listening
 * gateway in front of the fake OpenAI (which moderates, and serves gpt-4o-mini), the fake Anthropic
 * and the fake Gemini. A flagged input is refused in the door's own envelope, streams included,
 * before any chat upstream sees a request; a clean one goes on after its moderation.
 */
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { FLAGGED_WORD, startFakeOpenAI } from '../helpers/fake-openai.js';
import { ANTHROPIC_KEY, startFakeAnthropic } from '../helpers/fake-anthropic.js';
import { GEMINI_KEY, startFakeGemini } from '../helpers/fake-gemini.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { parsePrometheus, valueOf } from '../helpers/prometheus.js';
import { hashKey, identityIdOf } from '../../src/identity.js';

const MODERATED_KEY = 'gw-moderated-door-key-0123456789';
const MODERATED_KEY_ID = identityIdOf(hashKey(MODERATED_KEY));
const FLAGGED = `I want to ${FLAGGED_WORD} them.`;
const CLEAN = 'Say hello.';
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gemini: FakeUpstream;
let gateway: TestApp;
let responsesClient: OpenAI;
let anthropicClient: Anthropic;
let genai: GoogleGenAI;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  gemini = await startFakeGemini();
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: anthropic.origin,
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_BASE_URL: gemini.origin,
      GATEWAY_API_KEYS: `${TEST_KEY},${MODERATED_KEY}`,
      MODERATION_KEYS: MODERATED_KEY_ID,
    },
    configure: (config) => {
      config.gateway.routing.retries.maxRetries = 0;
    },
  });
  const url = await gateway.listen();
  responsesClient = new OpenAI({ baseURL: `${url}/v1`, apiKey: MODERATED_KEY, maxRetries: 0 });
  anthropicClient = new Anthropic({ baseURL: url, apiKey: MODERATED_KEY, maxRetries: 0 });
  genai = new GoogleGenAI({ apiKey: MODERATED_KEY, httpOptions: { baseUrl: url, apiVersion: 'v1beta' } });
});

afterAll(async () => {
  await gateway.close();
  await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
});

afterEach(() => {
  openai.reset();
  anthropic.reset();
  gemini.reset();
});

/** The paths every fake upstream received, in order, by upstream. */
function received() {
  return {
    openai: openai.requests.map((request) => request.path),
    anthropic: anthropic.requests.map((request) => request.path),
    gemini: gemini.requests.map((request) => request.path),
  };
}

const accessLine = (route: string) =>
  gateway.logs
    .accessLines()
    .filter((line) => line['route'] === route)
    .at(-1);

async function rejection<T>(call: Promise<unknown>, kind: abstract new (...args: never[]) => T): Promise<T> {
  try {
    await call;
  } catch (error) {
    if (error instanceof kind) return error;
    throw error;
  }
  throw new Error('the call was not refused');
}

describe('the Responses API', () => {
  it('refuses a flagged input in the OpenAI envelope, naming input, before any chat model is called', async () => {
    const error = await rejection(
      responsesClient.responses.create({ model: 'gpt-4o-mini', input: FLAGGED }),
      OpenAI.BadRequestError,
    );
    expect(error).toMatchObject({ status: 400, code: 'content_filter', param: 'input' });
    expect(error.message).toContain('flagged by moderation');
    expect(received()).toEqual({ openai: ['/v1/moderations'], anthropic: [], gemini: [] });
    expect(accessLine('/v1/responses')).toMatchObject({
      status: 400,
      error: 'GW_ERR_MODERATION_FLAGGED',
      moderation: { decision: 'flagged', model: 'omni-moderation-latest' },
    });
  });

  it('refuses a flagged streamed request before the stream starts', async () => {
    await expect(
      responsesClient.responses.create({
        model: 'gpt-4o-mini',
        input: [{ role: 'user', content: [{ type: 'input_text', text: FLAGGED }] }],
        stream: true,
      }),
    ).rejects.toMatchObject({ status: 400, code: 'content_filter' });
    expect(received().openai).toEqual(['/v1/moderations']);
  });

  it('lets a clean input through after its moderation', async () => {
    const response = await responsesClient.responses.create({ model: 'gpt-4o-mini', input: CLEAN });
    expect(response.object).toBe('response');
    expect(received().openai).toEqual(['/v1/moderations', '/v1/responses']);
    expect((openai.requests[0]!.json as { input: unknown }).input).toEqual([{ type: 'text', text: CLEAN }]);
    expect(accessLine('/v1/responses')).toMatchObject({ status: 200, moderation: { decision: 'passed' } });
  });
});

describe('the Anthropic Messages API', () => {
  it("refuses a flagged input in Anthropic's envelope before the model is called", async () => {
    const error = await rejection(
      anthropicClient.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        system: 'You are terse.',
        messages: [{ role: 'user', content: FLAGGED }],
      }),
      Anthropic.BadRequestError,
    );
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', details: { categories: expect.arrayContaining(['violence']) } },
    });
    expect((error.error as { error: { message: string } }).error.message).toContain('flagged by moderation');
    expect(received()).toEqual({ openai: ['/v1/moderations'], anthropic: [], gemini: [] });
    expect(accessLine('/v1/messages')).toMatchObject({ moderation: { decision: 'flagged' } });
  });

  it('refuses a flagged streamed request translated for another provider before the stream starts', async () => {
    const error = await rejection(
      anthropicClient.messages.create({
        model: 'gpt-4o-mini',
        max_tokens: 64,
        messages: [{ role: 'user', content: [{ type: 'text', text: FLAGGED }] }],
        stream: true,
      }),
      Anthropic.BadRequestError,
    );
    expect(error.status).toBe(400);
    expect(received().openai).toEqual(['/v1/moderations']);
  });

  it('lets a clean input through after its moderation', async () => {
    const message = await anthropicClient.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: CLEAN }],
    });
    expect(message.type).toBe('message');
    expect(received()).toEqual({ openai: ['/v1/moderations'], anthropic: ['/v1/messages'], gemini: [] });
    expect(accessLine('/v1/messages')).toMatchObject({ status: 200, moderation: { decision: 'passed' } });
  });
});

describe('the Gemini API', () => {
  function googleError(error: ApiError): { code: number; status: string; message: string } {
    return (JSON.parse(error.message.slice(error.message.indexOf('{'))) as { error: never }).error;
  }

  it("refuses a flagged input in Google's envelope before the model is called", async () => {
    const error = await rejection(
      genai.models.generateContent({ model: 'gemini-2.5-flash', contents: FLAGGED }),
      ApiError,
    );
    expect(error.status).toBe(400);
    expect(googleError(error)).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(googleError(error).message).toContain('flagged by moderation');
    expect(received()).toEqual({ openai: ['/v1/moderations'], anthropic: [], gemini: [] });
  });

  it('refuses a flagged streamed request before the stream starts, its images moderated too', async () => {
    const error = await rejection(
      genai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: [
          {
            role: 'user',
            parts: [{ text: FLAGGED }, { inlineData: { mimeType: 'image/png', data: PNG } }],
          },
        ],
      }),
      ApiError,
    );
    expect(error.status).toBe(400);
    expect(received()).toEqual({ openai: ['/v1/moderations'], anthropic: [], gemini: [] });
    expect((openai.requests[0]!.json as { input: unknown }).input).toEqual([
      { type: 'text', text: FLAGGED },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
    ]);
  });

  it('lets a clean input through after its moderation', async () => {
    const answer = await genai.models.generateContent({ model: 'gemini-2.5-flash', contents: CLEAN });
    expect(answer.candidates?.length).toBeGreaterThan(0);
    expect(received().openai).toEqual(['/v1/moderations']);
    expect(received().gemini).toHaveLength(1);
  });
});

it('counts the decisions of every door in the metrics, and leaves unlisted keys alone', async () => {
  const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics', headers: authHeaders() });
  const families = parsePrometheus(metrics.body);
  expect(valueOf(families, 'llm_gateway_moderation_decisions_total', { decision: 'flagged' })).toBe(6);
  expect(valueOf(families, 'llm_gateway_moderation_decisions_total', { decision: 'passed' })).toBe(3);
  const other = new Anthropic({ baseURL: gateway.url, apiKey: TEST_KEY, maxRetries: 0 });
  await other.messages.create({
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: FLAGGED }],
  });
  expect(received().openai).toEqual([]);
  expect(accessLine('/v1/messages')?.['moderation']).toBeUndefined();
});
