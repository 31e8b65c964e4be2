/**
 * The Responses API for every provider, end to end: the official openai SDK, unmodified, against a
 * listening gateway in front of the fake Gemini, Anthropic and OpenAI upstreams. Gemini and Anthropic
 * models are served by translation, OpenAI's passed through; every body and event is checked
 * against OpenAI's published schemas, and what each upstream received is checked too. The whole
 * suite runs twice: responses kept in memory, and in the real Redis.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import {
  GEMINI_KEY,
  geminiFixture,
  geminiPath,
  startFakeGemini,
  streamGemini,
  unaryGemini,
} from '../helpers/fake-gemini.js';
import {
  ANTHROPIC_KEY,
  MESSAGES_PATH,
  anthropicFixture,
  anthropicSse,
  fixtureEvents,
  startFakeAnthropic,
  streamAnthropic,
  unaryAnthropic,
} from '../helpers/fake-anthropic.js';
import { RESPONSE, RESPONSE_STREAM, startFakeOpenAI } from '../helpers/fake-openai.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import { SHARED_REDIS_URL, deleteRedisKeys, uniqueRedisPrefix } from '../helpers/redis-server.js';

const OTHER_KEY = 'gw-test-other-key-9876543210';
const FLASH = geminiPath('gemini-2.5-flash', 'generateContent');
const FLASH_STREAM = geminiPath('gemini-2.5-flash', 'streamGenerateContent');
const CLAUDE = 'claude-sonnet-4-5';
const GEMINI_TEXT =
  'Google\'s mission is to "organize the world\'s information and make it universally accessible and useful."';
const CLAUDE_TEXT =
  "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?";

let gemini: FakeUpstream;
let anthropic: FakeUpstream;
let openai: FakeUpstream;

beforeAll(async () => {
  [gemini, anthropic, openai] = await Promise.all([
    startFakeGemini(),
    startFakeAnthropic(),
    startFakeOpenAI(),
  ]);
});

afterAll(async () => {
  await Promise.all([gemini.close(), anthropic.close(), openai.close()]);
});

afterEach(() => {
  gemini.reset();
  anthropic.reset();
  openai.reset();
});

/** The plain JSON of what the SDK returned (its objects carry helpers such as `output_text`). */
function json(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** A response as OpenAI's schema sees it: the SDK's `output_text` convenience is not on the wire. */
function assertResponse(value: unknown): void {
  const { output_text: _text, ...wire } = json(value);
  assertOpenAISchema('Response', wire);
}

/** The API error a call ends with (the test fails if it succeeds). */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('the call succeeded; it should have failed');
}

/** Every event of a stream, each validated against OpenAI's schema, numbered from 0 without a gap. */
async function collect(stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>) {
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const event of stream) {
    assertOpenAISchema('ResponseStreamEvent', json(event));
    expect(event.sequence_number).toBe(events.length);
    events.push(event);
  }
  return events;
}

type GeminiBody = { contents: { role: string; parts: Record<string, unknown>[] }[] } & Record<
  string,
  unknown
>;
type AnthropicBody = { messages: { role: string; content: unknown }[] } & Record<string, unknown>;

const now = {
  type: 'function' as const,
  name: 'now',
  parameters: { type: 'object', properties: {} },
  strict: null,
};

describe.each([
  ['memory', {}],
  ['Redis', { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: uniqueRedisPrefix('responses-door') }],
] as [string, Record<string, string>][])(
  'the Responses API for every provider, state in %s',
  (_store, env) => {
    let gateway: TestApp;
    let client: OpenAI;
    let other: OpenAI;

    beforeAll(async () => {
      gateway = await buildTestApp({
        env: {
          GATEWAY_API_KEYS: `${TEST_KEY},${OTHER_KEY}`,
          GEMINI_API_KEY: GEMINI_KEY,
          GEMINI_BASE_URL: gemini.origin,
          ANTHROPIC_API_KEY: ANTHROPIC_KEY,
          ANTHROPIC_BASE_URL: anthropic.origin,
          OPENAI_API_KEY: OPENAI_KEY,
          OPENAI_BASE_URL: `${openai.origin}/v1`,
          REQUEST_TIMEOUT: '5000',
          ...env,
        },
      });
      const url = await gateway.listen();
      client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
      other = new OpenAI({ baseURL: `${url}/v1`, apiKey: OTHER_KEY, maxRetries: 0 });
    });

    afterAll(async () => {
      await gateway.close();
      if (env['REDIS_KEY_PREFIX']) await deleteRedisKeys(env['REDIS_KEY_PREFIX']);
    });

    describe('Gemini, translated', () => {
      it('answers a response object, and Gemini gets the request in its own terms', async () => {
        const { data: response, response: http } = await client.responses
          .create({
            model: 'gemini-2.5-flash',
            instructions: 'Be brief.',
            input: "What is Google's mission?",
            temperature: 0.3,
            max_output_tokens: 100,
          })
          .withResponse();
        assertResponse(response);
        expect(response.output_text).toBe(GEMINI_TEXT);
        expect(response).toMatchObject({
          object: 'response',
          status: 'completed',
          model: 'gemini-2.5-flash',
          instructions: 'Be brief.',
          temperature: 0.3,
          max_output_tokens: 100,
          store: true,
        });
        expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
        expect(http.headers.get('x-gateway-provider')).toBe('gemini');
        expect(gemini.last().path).toBe(FLASH);
        expect(gemini.last().json).toEqual({
          systemInstruction: { parts: [{ text: 'Be brief.' }] },
          contents: [{ role: 'user', parts: [{ text: "What is Google's mission?" }] }],
          generationConfig: { temperature: 0.3, maxOutputTokens: 100 },
        });
      });

      it('streams the typed events, which the SDK assembles into the stored response', async () => {
        const stream = await client.responses.create({
          model: 'gemini-2.5-flash',
          input: 'Count to 8',
          stream: true,
        });
        const events = await collect(stream);
        expect(events.map((event) => event.type)).toEqual([
          'response.created',
          'response.in_progress',
          'response.output_item.added',
          'response.content_part.added',
          ...Array<string>(8).fill('response.output_text.delta'),
          'response.output_text.done',
          'response.content_part.done',
          'response.output_item.done',
          'response.completed',
        ]);
        const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
        expect(completed.response.output_text ?? '').toBe('');
        const text = events
          .filter(
            (event): event is OpenAI.Responses.ResponseTextDeltaEvent =>
              event.type === 'response.output_text.delta',
          )
          .map((event) => event.delta)
          .join('');
        expect(text).toBe('1 2 3 4 5 6 7 8');
        expect(completed.response.usage).toEqual({
          input_tokens: 6,
          input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
          output_tokens: 326,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 332,
        });
        expect(gemini.last().path).toBe(FLASH_STREAM);
        const { output_text: _text, ...stored } = json(
          await client.responses.retrieve(completed.response.id),
        );
        expect(stored).toEqual(json(completed.response));
      });

      it('is assembled by the SDK’s stream helper', async () => {
        const runner = client.responses.stream({ model: 'gemini-2.5-flash', input: 'Count to 8' });
        const final = await runner.finalResponse();
        assertResponse(final);
        expect(final.output_text).toBe('1 2 3 4 5 6 7 8');
      });

      it('calls a tool and continues with previous_response_id, the thought signature going back', async () => {
        const fixture = geminiFixture(
          'googleai/unary-success-thinking-function-call-thought-summary-signature.json',
        );
        const signature = (
          JSON.parse(fixture) as { candidates: { content: { parts: { thoughtSignature?: string }[] } }[] }
        ).candidates[0]!.content.parts[1]!.thoughtSignature!;
        gemini.enqueue('POST', FLASH, unaryGemini(fixture));
        const first = await client.responses.create({
          model: 'gemini-2.5-flash',
          input: 'How many days until New Year’s Eve?',
          tools: [now],
          reasoning: { effort: 'low' },
        });
        assertResponse(first);
        const call = first.output.find((item) => item.type === 'function_call')!;
        expect(call).toMatchObject({
          type: 'function_call',
          name: 'now',
          arguments: '{}',
          status: 'completed',
        });
        const state = first.output.find((item) => item.type === 'reasoning' && item.encrypted_content);
        expect(state).toBeDefined();
        expect((gemini.last().json as GeminiBody)['generationConfig']).toMatchObject({
          thinkingConfig: { thinkingBudget: 1024 },
        });

        const second = await client.responses.create({
          model: 'gemini-2.5-flash',
          previous_response_id: first.id,
          input: [
            {
              type: 'function_call_output',
              call_id: (call as { call_id: string }).call_id,
              output: '2025-12-29',
            },
          ],
          tools: [now],
        });
        assertResponse(second);
        expect(second.previous_response_id).toBe(first.id);
        expect(second.output_text).toBe(GEMINI_TEXT);
        const sent = gemini.last().json as GeminiBody;
        expect(sent.contents).toEqual([
          { role: 'user', parts: [{ text: 'How many days until New Year’s Eve?' }] },
          {
            role: 'model',
            parts: [{ functionCall: { name: 'now', args: {} }, thoughtSignature: signature }],
          },
          {
            role: 'user',
            parts: [{ functionResponse: { name: 'now', response: { output: '2025-12-29' } } }],
          },
        ]);
      });

      it('streams a tool call, and a client keeping its own conversation sends the items back', async () => {
        const fixture = geminiFixture(
          'googleai/unary-success-thinking-function-call-thought-summary-signature.json',
        );
        gemini.enqueue(
          'POST',
          FLASH_STREAM,
          streamGemini(`data: ${JSON.stringify(JSON.parse(fixture))}\n\n`),
        );
        const stream = await client.responses.create({
          model: 'gemini-2.5-flash',
          input: 'How many days until New Year’s Eve?',
          tools: [now],
          store: false,
          stream: true,
        });
        const events = await collect(stream);
        const types = events.map((event) => event.type);
        expect(types).toContain('response.function_call_arguments.delta');
        expect(types).toContain('response.function_call_arguments.done');
        const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
        expect(completed.type).toBe('response.completed');
        const output = completed.response.output;
        const call = output.find(
          (item) => item.type === 'function_call',
        ) as OpenAI.Responses.ResponseFunctionToolCall;

        await client.responses.create({
          model: 'gemini-2.5-flash',
          input: [
            { role: 'user', content: 'How many days until New Year’s Eve?' },
            ...(output as OpenAI.Responses.ResponseInputItem[]),
            { type: 'function_call_output', call_id: call.call_id, output: '2025-12-29' },
          ],
          tools: [now],
        });
        const sent = gemini.last().json as GeminiBody;
        expect(sent.contents[1]!.parts[0]!['thoughtSignature']).toMatch(/^CtQOAVSo/);
        expect(await apiError(client.responses.retrieve(completed.response.id))).toBeInstanceOf(
          OpenAI.NotFoundError,
        );
      });

      it('asks for JSON with the schema of text.format', async () => {
        const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
        await client.responses.create({
          model: 'gemini-2.5-flash',
          input: 'Capital of France?',
          text: { format: { type: 'json_schema', name: 'city', schema, strict: true } },
        });
        expect((gemini.last().json as GeminiBody)['generationConfig']).toMatchObject({
          responseMimeType: 'application/json',
          responseJsonSchema: schema,
        });
      });

      it('refuses a built-in tool with a 400 naming it, before any upstream call', async () => {
        const error = await apiError(
          client.responses.create({
            model: 'gemini-2.5-flash',
            input: 'News today?',
            tools: [now, { type: 'web_search' }],
          }),
        );
        expect(error.status).toBe(400);
        expect(error).toMatchObject({ code: 'unsupported_tool', param: 'tools[1]' });
        expect(gemini.requests).toHaveLength(0);
      });
    });

    describe('Anthropic, translated', () => {
      const thinking = JSON.parse(anthropicFixture('anthropic-clear-thinking.1.json')) as {
        content: Record<string, unknown>[];
      };
      const toolUse = JSON.parse(anthropicFixture('anthropic-tool-no-args.json')) as {
        content: Record<string, unknown>[];
      };
      const updateIssueList = {
        type: 'function' as const,
        name: 'updateIssueList',
        parameters: { type: 'object', properties: {} },
        strict: null,
      };

      it('answers a response object', async () => {
        const response = await client.responses.create({ model: CLAUDE, input: 'Hello, how are you?' });
        assertResponse(response);
        expect(response.output_text).toBe(CLAUDE_TEXT);
        expect(response.usage).toMatchObject({ input_tokens: 12, output_tokens: 29, total_tokens: 41 });
        expect(anthropic.last().json).toMatchObject({
          model: 'claude-sonnet-4-5-20250929',
          messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello, how are you?' }] }],
        });
      });

      it('streams the typed events', async () => {
        const events = await collect(
          await client.responses.create({ model: CLAUDE, input: 'Hello, how are you?', stream: true }),
        );
        expect(events[0]!.type).toBe('response.created');
        expect(events.at(-1)!.type).toBe('response.completed');
        const done = events.find((event) => event.type === 'response.output_text.done') as
          OpenAI.Responses.ResponseTextDoneEvent | undefined;
        const deltas = events.filter(
          (event): event is OpenAI.Responses.ResponseTextDeltaEvent =>
            event.type === 'response.output_text.delta',
        );
        expect(deltas.length).toBeGreaterThan(1);
        expect(done?.text).toBe(deltas.map((event) => event.delta).join(''));
        expect(done?.text).toMatch(/^Hello! I'm doing well/);
        expect((anthropic.last().json as AnthropicBody)['stream']).toBe(true);
      });

      it('returns the thinking as a reasoning summary when asked, streamed as summary deltas', async () => {
        anthropic.enqueue(
          'POST',
          MESSAGES_PATH,
          streamAnthropic(anthropicSse(fixtureEvents('anthropic-clear-thinking.1.chunks.txt'))),
        );
        const events = await collect(
          await client.responses.create({
            model: CLAUDE,
            input: 'Divide 925 by 5.',
            reasoning: { effort: 'low', summary: 'auto' },
            stream: true,
          }),
        );
        const types = events.map((event) => event.type);
        expect(types).toContain('response.reasoning_summary_part.added');
        expect(types).toContain('response.reasoning_summary_text.delta');
        const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
        const reasoning = completed.response.output[0] as OpenAI.Responses.ResponseReasoningItem;
        expect(reasoning.summary[0]!.text).toContain('925');
        expect(completed.response.output_text ?? '').toBe('');
        expect((anthropic.last().json as AnthropicBody)['thinking']).toEqual({
          type: 'enabled',
          budget_tokens: 2048,
        });
      });

      it('calls a tool over two turns with previous_response_id, the signed thinking going back first', async () => {
        anthropic.enqueue(
          'POST',
          MESSAGES_PATH,
          unaryAnthropic({
            ...thinking,
            content: [thinking.content[0], toolUse.content[1]],
            stop_reason: 'tool_use',
          }),
        );
        const first = await client.responses.create({
          model: CLAUDE,
          input: 'Update the issue list, then divide 925 by 5.',
          tools: [updateIssueList],
          reasoning: { effort: 'low' },
        });
        assertResponse(first);
        const call = first.output.find(
          (item) => item.type === 'function_call',
        ) as OpenAI.Responses.ResponseFunctionToolCall;
        expect(call.call_id).toBe('toolu_01LRmxn9vGM1d2DZSDBowdZ1');

        anthropic.enqueue(
          'POST',
          MESSAGES_PATH,
          unaryAnthropic(anthropicFixture('anthropic-clear-thinking.1.json')),
        );
        const second = await client.responses.create({
          model: CLAUDE,
          previous_response_id: first.id,
          input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Updated.' }],
          tools: [updateIssueList],
          reasoning: { effort: 'low' },
        });
        assertResponse(second);
        expect(second.output_text).toBe('925 ÷ 5 = 185');
        const sent = anthropic.last().json as AnthropicBody;
        expect(sent['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
        expect(sent.messages).toEqual([
          { role: 'user', content: [{ type: 'text', text: 'Update the issue list, then divide 925 by 5.' }] },
          {
            role: 'assistant',
            content: [
              thinking.content[0],
              { type: 'tool_use', id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', content: 'Updated.' },
            ],
          },
        ]);
      });

      it('streams a tool call whose thinking comes back on the next turn', async () => {
        const thinkingEvents = fixtureEvents('anthropic-clear-thinking.1.chunks.txt');
        const toolEvents = fixtureEvents('anthropic-tool-no-args.chunks.txt');
        const isBlock = (event: Record<string, unknown>, index: number) =>
          String(event['type']).startsWith('content_block') && event['index'] === index;
        anthropic.enqueue(
          'POST',
          MESSAGES_PATH,
          streamAnthropic(
            anthropicSse([
              thinkingEvents[0]!,
              ...thinkingEvents.filter((event) => isBlock(event, 0)),
              ...toolEvents.filter((event) => isBlock(event, 1)),
              ...toolEvents.filter(
                (event) => event['type'] === 'message_delta' || event['type'] === 'message_stop',
              ),
            ]),
            { chunkBytes: 50 },
          ),
        );
        const runner = client.responses.stream({
          model: CLAUDE,
          input: 'Update the issue list, then divide 925 by 5.',
          tools: [updateIssueList],
          reasoning: { effort: 'low' },
        });
        const first = await runner.finalResponse();
        assertResponse(first);
        const call = first.output.find(
          (item) => item.type === 'function_call',
        ) as OpenAI.Responses.ResponseFunctionToolCall;
        expect(call).toMatchObject({ name: 'updateIssueList', arguments: '{}' });

        await client.responses.create({
          model: CLAUDE,
          previous_response_id: first.id,
          input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Updated.' }],
          tools: [updateIssueList],
          reasoning: { effort: 'low' },
        });
        const sent = anthropic.last().json as AnthropicBody;
        const turn = sent.messages[1]!.content as Record<string, unknown>[];
        expect(turn[0]).toMatchObject({ type: 'thinking', signature: expect.any(String) as string });
        expect(turn[1]).toMatchObject({ type: 'tool_use', id: call.call_id });
      });
    });

    describe('OpenAI, passed through', () => {
      it('answers the upstream response unchanged', async () => {
        const body = { model: 'gpt-4o', input: 'Capital of France?' };
        const response = await client.responses.create(body);
        expect(json(response)).toEqual({
          ...JSON.parse(RESPONSE),
          output_text: 'The capital of France is Paris.',
        });
        expect(openai.last().json).toEqual(body);
      });

      it('relays the stream unchanged', async () => {
        const events = await collect(
          await client.responses.create({ model: 'gpt-4o', input: 'Capital of France?', stream: true }),
        );
        const relayed = RESPONSE_STREAM.split('\n\n')
          .filter((frame) => frame.length > 0)
          .map((frame) => JSON.parse(frame.split('\n')[1]!.slice('data: '.length)) as unknown);
        expect(events.map(json)).toEqual(relayed);
      });

      it('retrieves and deletes for the key that created the response only', async () => {
        const created = await client.responses.create({ model: 'gpt-4o', input: 'Capital of France?' });
        openai.reset();
        for (const call of [
          other.responses.retrieve(created.id),
          other.responses.delete(created.id),
          other.responses.create({ model: 'gpt-4o', input: 'And Spain?', previous_response_id: created.id }),
        ]) {
          const error = await apiError(call);
          expect(error.status).toBe(404);
        }
        expect(openai.requests).toHaveLength(0);

        const retrieved = await client.responses.retrieve(created.id);
        expect(retrieved.id).toBe(created.id);
        expect(openai.last().method).toBe('GET');
        await client.responses.create({
          model: 'gpt-4o',
          input: 'And Spain?',
          previous_response_id: created.id,
        });
        expect(openai.last().json).toMatchObject({ previous_response_id: created.id });
        await client.responses.delete(created.id);
        expect(openai.last().method).toBe('DELETE');
        openai.reset();
        expect((await apiError(client.responses.retrieve(created.id))).status).toBe(404);
        expect(openai.requests).toHaveLength(0);
      });
    });

    describe('stored responses', () => {
      it('retrieves a translated response for its key, and no other key can read, continue or delete it', async () => {
        const created = await client.responses.create({ model: CLAUDE, input: 'Hello, how are you?' });
        const retrieved = await client.responses.retrieve(created.id);
        expect(json(retrieved)).toEqual(json(created));
        assertResponse(retrieved);

        const refusals = await Promise.all([
          apiError(other.responses.retrieve(created.id)),
          apiError(other.responses.delete(created.id)),
          apiError(
            other.responses.create({ model: CLAUDE, input: 'Go on', previous_response_id: created.id }),
          ),
        ]);
        for (const error of refusals) expect(error).toBeInstanceOf(OpenAI.NotFoundError);
        expect(refusals[2]).toMatchObject({
          code: 'previous_response_not_found',
          param: 'previous_response_id',
        });

        anthropic.reset();
        await client.responses.delete(created.id);
        expect(await apiError(client.responses.retrieve(created.id))).toBeInstanceOf(OpenAI.NotFoundError);
        const continued = await apiError(
          client.responses.create({ model: CLAUDE, input: 'Go on', previous_response_id: created.id }),
        );
        expect(continued.status).toBe(404);
        expect(anthropic.requests).toHaveLength(0);
      });

      it('keeps nothing with store: false', async () => {
        const created = await client.responses.create({ model: CLAUDE, input: 'Hello', store: false });
        expect(json(created)['store']).toBe(false);
        expect((await apiError(client.responses.retrieve(created.id))).status).toBe(404);
      });

      it('continues a conversation on another provider: Gemini after Claude', async () => {
        const first = await client.responses.create({
          model: CLAUDE,
          instructions: 'Answer in English.',
          input: 'Hello, how are you?',
        });
        await client.responses.create({
          model: 'gemini-2.5-flash',
          previous_response_id: first.id,
          input: 'And you?',
        });
        expect(gemini.last().json).toEqual({
          contents: [
            { role: 'user', parts: [{ text: 'Hello, how are you?' }] },
            { role: 'model', parts: [{ text: CLAUDE_TEXT }] },
            { role: 'user', parts: [{ text: 'And you?' }] },
          ],
        });
      });
    });
  },
);
