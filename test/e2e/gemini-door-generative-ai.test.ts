/**
 * The Gemini door end to end with Google's earlier SDK, @google/generative-ai (the one the project's
 * design names), as an unmodified client whose base URL is a listening gateway: passed through to the
 * fake Gemini, and translated for the fake OpenAI and the fake Anthropic.
 */
import {
  FunctionCallingMode,
  GoogleGenerativeAI,
  GoogleGenerativeAIFetchError,
  SchemaType,
  type RequestOptions,
} from '@google/generative-ai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  ANTHROPIC_KEY,
  DEFAULT_STREAM as DEFAULT_ANTHROPIC_STREAM,
  MESSAGES_PATH,
  anthropicFixture,
  fixtureEvents,
  startFakeAnthropic,
  unaryAnthropic,
} from '../helpers/fake-anthropic.js';
import { GEMINI_KEY, geminiPath, startFakeGemini, unaryGemini } from '../helpers/fake-gemini.js';
import {
  CHAT_COMPLETION,
  fakeVector,
  openaiFixture,
  startFakeOpenAI,
  unaryChat,
} from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { countTokens } from '../../src/tokens.js';

let gemini: FakeUpstream;
let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gateway: TestApp;
let options: RequestOptions;
const client = new GoogleGenerativeAI(TEST_KEY);

const CHAT_PATH = '/v1/chat/completions';
const ANSWER = JSON.parse(CHAT_COMPLETION).choices[0].message.content as string;

beforeAll(async () => {
  gemini = await startFakeGemini();
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  gemini.route('POST', '/v1beta/models/gemini-2.5-flash:countTokens', () => unaryGemini({ totalTokens: 12 }));
  gemini.route('POST', '/v1beta/models/gemini-embedding-001:embedContent', (request) => {
    const body = request.json as { content: { parts: { text: string }[] } };
    return unaryGemini({ embedding: { values: fakeVector(body.content.parts[0]!.text) } });
  });
  gateway = await buildTestApp({
    env: {
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_BASE_URL: gemini.origin,
      OPENAI_API_KEY: 'sk-test-openai-door-0000',
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: anthropic.origin,
      REQUEST_TIMEOUT: '5000',
    },
    configure: (config) => {
      config.gateway.routing.models = {
        'house-flash': { deployments: [{ provider: 'gemini', model: 'gemini-2.5-flash' }] },
      };
    },
  });
  options = { baseUrl: await gateway.listen(), apiVersion: 'v1beta' };
});

afterAll(async () => {
  await gateway.close();
  await Promise.all([gemini.close(), openai.close(), anthropic.close()]);
});

afterEach(() => {
  gemini.reset();
  openai.reset();
  anthropic.reset();
});

function lastJson(fake: FakeUpstream): Record<string, unknown> {
  return fake.last().json as Record<string, unknown>;
}

async function fetchError(call: Promise<unknown>): Promise<GoogleGenerativeAIFetchError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof GoogleGenerativeAIFetchError) return error;
    throw error;
  }
  throw new Error('the call succeeded; it should have failed');
}

describe('passed through to Gemini', () => {
  it('generates and streams with what the client wrote, the model replaced', async () => {
    const settings = {
      systemInstruction: 'Be brief.',
      generationConfig: { temperature: 0.4, topK: 10, candidateCount: 1 },
    };
    const viaGateway = client.getGenerativeModel({ model: 'house-flash', ...settings }, options);
    const result = await viaGateway.generateContent('Mission?');
    expect(result.response.text()).toContain("Google's mission");
    const received = gemini.last();
    expect(received.path).toBe(geminiPath('gemini-2.5-flash', 'generateContent'));
    const directly = new GoogleGenerativeAI(GEMINI_KEY).getGenerativeModel(
      { model: 'gemini-2.5-flash', ...settings },
      { baseUrl: gemini.origin },
    );
    await directly.generateContent('Mission?');
    expect(received.json).toEqual(gemini.last().json);

    const streamed = await viaGateway.generateContentStream('Count');
    let text = '';
    for await (const chunk of streamed.stream) text += chunk.text();
    expect(text).toBe((await streamed.response).text());
    expect(gemini.last().url).toBe(`${geminiPath('gemini-2.5-flash', 'streamGenerateContent')}?alt=sse`);
  });

  it('counts tokens and embeds in batches with Gemini', async () => {
    const model = client.getGenerativeModel({ model: 'gemini-2.5-flash' }, options);
    expect((await model.countTokens('How many?')).totalTokens).toBe(12);
    expect(lastJson(gemini)).toMatchObject({ generateContentRequest: { model: 'models/gemini-2.5-flash' } });
    const embedder = client.getGenerativeModel({ model: 'gemini-embedding-001' }, options);
    const one = await embedder.embedContent('single');
    expect(one.embedding.values).toEqual(fakeVector('single'));
    expect(gemini.last().path).toBe('/v1beta/models/gemini-embedding-001:embedContent');
    const batch = await embedder.batchEmbedContents({
      requests: ['one', 'two'].map((text) => ({ content: { role: 'user', parts: [{ text }] } })),
    });
    expect(batch.embeddings.map((embedding) => embedding.values)).toEqual([
      fakeVector('one'),
      fakeVector('two'),
    ]);
  });
});

describe('translated for OpenAI', () => {
  it('keeps a chat session over several turns, unary and streamed', async () => {
    const model = client.getGenerativeModel(
      { model: 'gpt-4o-mini', systemInstruction: 'You count.' },
      options,
    );
    const chat = model.startChat();
    const first = await chat.sendMessage('One?');
    expect(first.response.text()).toBe(ANSWER);
    const streamed = await chat.sendMessageStream('Two?');
    let text = '';
    for await (const chunk of streamed.stream) text += chunk.text();
    await chat.sendMessage('Three?');
    const messages = lastJson(openai)['messages'] as { role: string; content: unknown }[];
    expect(messages.map((message) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(messages[4]!.content).toBe(text);
    // The SDK kept every turn: no streamed event was an invalid response to it.
    expect((await chat.getHistory()).map((content) => content.role)).toEqual([
      'user',
      'model',
      'user',
      'model',
      'user',
      'model',
    ]);
  });

  it("calls functions, taking the results back in a 'function' turn", async () => {
    openai.enqueue('POST', CHAT_PATH, unaryChat(openaiFixture('chat-completion-tool-calls.json')));
    const model = client.getGenerativeModel(
      {
        model: 'gpt-4o-mini',
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                parameters: {
                  type: SchemaType.OBJECT,
                  properties: { city: { type: SchemaType.STRING } },
                  required: ['city'],
                },
              },
            ],
          },
        ],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingMode.ANY } },
      },
      options,
    );
    const chat = model.startChat();
    const first = await chat.sendMessage('Weather in Paris and Tokyo?');
    expect(lastJson(openai)['tool_choice']).toBe('required');
    const calls = first.response.functionCalls() ?? [];
    expect(calls.map((call) => call.args)).toEqual([{ city: 'Paris' }, { city: 'Tokyo' }]);
    await chat.sendMessage(
      calls.map((call) => ({
        functionResponse: {
          name: call.name,
          response: { output: `rain in ${(call.args as { city: string }).city}` },
        },
      })),
    );
    const messages = lastJson(openai)['messages'] as Record<string, unknown>[];
    const toolCalls = (messages[1] as { tool_calls: { id: string }[] }).tool_calls;
    expect(messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: toolCalls[0]!.id, content: 'rain in Paris' },
      { role: 'tool', tool_call_id: toolCalls[1]!.id, content: 'rain in Tokyo' },
    ]);
  });

  it('asks for JSON with the schema', async () => {
    const model = client.getGenerativeModel(
      {
        model: 'gpt-4o-mini',
        generationConfig: {
          responseMimeType: 'application/json',
          responseSchema: {
            type: SchemaType.ARRAY,
            items: {
              type: SchemaType.OBJECT,
              properties: { name: { type: SchemaType.STRING, nullable: true } },
            },
          },
        },
      },
      options,
    );
    await model.generateContent('Names');
    expect(lastJson(openai)['response_format']).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'response',
        schema: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: ['string', 'null'] } } },
        },
      },
    });
  });

  it('embeds one text and a batch with OpenAI embeddings, and estimates tokens', async () => {
    const embedder = client.getGenerativeModel({ model: 'text-embedding-3-small' }, options);
    const one = await embedder.embedContent('alpha');
    expect(one.embedding.values).toEqual(fakeVector(JSON.stringify('alpha')));
    const batch = await embedder.batchEmbedContents({
      requests: ['alpha', 'beta'].map((text) => ({ content: { role: 'user', parts: [{ text }] } })),
    });
    expect(lastJson(openai)).toMatchObject({ input: ['alpha', 'beta'] });
    expect(batch.embeddings.map((embedding) => embedding.values)).toEqual([
      fakeVector(JSON.stringify('alpha')),
      fakeVector(JSON.stringify('beta')),
    ]);
    const counter = client.getGenerativeModel({ model: 'gpt-4o-mini' }, options);
    expect((await counter.countTokens('Sixteen chars!!!')).totalTokens).toBe(
      await countTokens('Sixteen chars!!!', 'o200k_base'),
    );
  });

  it("answers errors in Google's envelope, which the SDK raises with their status", async () => {
    const unknown = await fetchError(
      client.getGenerativeModel({ model: 'no-such-model' }, options).generateContent('Hi'),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.message).toContain('[404 Not Found]');
    const invalid = await fetchError(
      client
        .getGenerativeModel({ model: 'gpt-4o-mini', generationConfig: { candidateCount: 0 } }, options)
        .generateContent('Hi'),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.errorDetails?.[0]).toMatchObject({ reason: 'GW_ERR_REQUEST_VALIDATION' });
  });
});

describe('translated for Anthropic', () => {
  it('generates, streams and calls a tool', async () => {
    const model = client.getGenerativeModel({ model: 'claude-sonnet-4-5' }, options);
    const result = await model.generateContent('Hello');
    const recorded = JSON.parse(anthropicFixture('anthropic-text.json')) as { content: { text: string }[] };
    expect(result.response.text()).toBe(recorded.content.map((block) => block.text).join(''));
    const streamed = await model.generateContentStream('Hello');
    let text = '';
    for await (const chunk of streamed.stream) text += chunk.text();
    expect(text).toBe(
      fixtureEvents(DEFAULT_ANTHROPIC_STREAM)
        .map((event) => (event['delta'] as { text?: string } | undefined)?.text ?? '')
        .join(''),
    );
    anthropic.enqueue('POST', MESSAGES_PATH, unaryAnthropic(anthropicFixture('anthropic-tool-no-args.json')));
    const withTools = client.getGenerativeModel(
      { model: 'claude-sonnet-4-5', tools: [{ functionDeclarations: [{ name: 'updateIssueList' }] }] },
      options,
    );
    const called = await withTools.generateContent('Update the issues');
    expect(called.response.functionCalls()).toEqual([
      { name: 'updateIssueList', args: {}, id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1' },
    ]);
  });
});
