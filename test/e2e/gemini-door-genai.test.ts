/**
 * The Gemini door end to end with Google's current SDK, @google/genai, as an unmodified client whose
 * base URL is a listening gateway: passed through to the fake Gemini (what Gemini receives is what
 * the client sent, the model replaced), and translated for the fake OpenAI and the fake Anthropic.
 */
import { request as httpRequest } from 'node:http';
import { ApiError, GoogleGenAI, Type, type Content, type GenerateContentResponse } from '@google/genai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  ANTHROPIC_KEY,
  DEFAULT_STREAM as DEFAULT_ANTHROPIC_STREAM,
  MESSAGES_PATH,
  anthropicFixture,
  fixtureEvents,
  fixtureSse,
  startFakeAnthropic,
  streamAnthropic,
  unaryAnthropic,
} from '../helpers/fake-anthropic.js';
import {
  DEFAULT_STREAM,
  GEMINI_KEY,
  geminiError,
  geminiFixture,
  geminiPath,
  startFakeGemini,
  unaryGemini,
} from '../helpers/fake-gemini.js';
import {
  CHAT_COMPLETION,
  CHAT_STREAM_TOOL_CALLS,
  CHAT_STREAM_USAGE,
  fakeVector,
  openaiError,
  openaiFixture,
  startFakeOpenAI,
  streamChat,
  unaryChat,
} from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { countTokens } from '../../src/tokens.js';
import { parsePrometheus, valueOf } from '../helpers/prometheus.js';

const OPENAI_KEY = 'sk-test-openai-door-0000';

let gemini: FakeUpstream;
let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gateway: TestApp;
let ai: GoogleGenAI;
/** The same SDK talking to the fake Gemini directly: what a client sends when no gateway is between. */
let direct: GoogleGenAI;

const FLASH = geminiPath('gemini-2.5-flash', 'generateContent');
const FLASH_STREAM = geminiPath('gemini-2.5-flash', 'streamGenerateContent');
const CHAT_PATH = '/v1/chat/completions';

beforeAll(async () => {
  gemini = await startFakeGemini();
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  gemini.route('POST', '/v1beta/models/gemini-2.5-flash:countTokens', () => unaryGemini({ totalTokens: 31 }));
  gateway = await buildTestApp({
    env: {
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_BASE_URL: gemini.origin,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: anthropic.origin,
      REQUEST_TIMEOUT: '5000',
    },
    configure: (config) => {
      config.gateway.routing.retries.maxRetries = 0;
      config.gateway.routing.models = {
        // A name of the gateway's own, so that a passed-through request has its model replaced.
        'house-flash': { deployments: [{ provider: 'gemini', model: 'gemini-2.5-flash' }] },
        'house-embedding': { deployments: [{ provider: 'gemini', model: 'gemini-embedding-001' }] },
        mixed: { models: ['gemini-2.5-flash', 'gpt-4o-mini'] },
      };
    },
  });
  const url = await gateway.listen();
  ai = new GoogleGenAI({ apiKey: TEST_KEY, httpOptions: { baseUrl: url, apiVersion: 'v1beta' } });
  direct = new GoogleGenAI({
    apiKey: GEMINI_KEY,
    httpOptions: { baseUrl: gemini.origin, apiVersion: 'v1beta' },
  });
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

async function apiError(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('the call succeeded; it should have failed');
}

/** Google's error object inside an ApiError's message (the SDK puts the JSON body there). */
function googleError(error: ApiError): { code: number; status: string; message: string } {
  const json = error.message.slice(error.message.indexOf('{'));
  return (JSON.parse(json) as { error: { code: number; status: string; message: string } }).error;
}

async function collectStream(
  stream: AsyncGenerator<GenerateContentResponse>,
): Promise<GenerateContentResponse[]> {
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The texts of a recorded Gemini stream, joined. */
function fixtureStreamText(name: string): string {
  return geminiFixture(name)
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .flatMap((event) => {
      const parsed = JSON.parse(event.slice('data: '.length)) as {
        candidates?: { content?: { parts?: { text?: string }[] } }[];
      };
      return parsed.candidates?.[0]?.content?.parts?.map((part) => part.text ?? '') ?? [];
    })
    .join('');
}

describe('passed through to Gemini', () => {
  const request = {
    contents: [{ role: 'user', parts: [{ text: "What is Google's mission?" }] }],
    config: {
      systemInstruction: 'Be brief.',
      temperature: 0.3,
      topK: 20,
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }] as never,
      thinkingConfig: { thinkingBudget: 512, includeThoughts: true },
    },
  };

  it('sends Gemini what the client sent, the model replaced, and answers with its bytes', async () => {
    await direct.models.generateContent({ model: 'gemini-2.5-flash', ...request });
    const sentDirect = gemini.last();
    gemini.reset();
    const response = await ai.models.generateContent({ model: 'house-flash', ...request });
    const received = gemini.last();
    expect(received.path).toBe(FLASH);
    expect(received.json).toEqual(sentDirect.json);
    expect(received.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(JSON.stringify(received.headers)).not.toContain(TEST_KEY);
    expect(response.text).toBe(
      'Google\'s mission is to "organize the world\'s information and make it universally accessible and useful."',
    );
    expect(response.sdkHttpResponse?.headers?.['x-gateway-provider']).toBe('gemini');
    expect(response.sdkHttpResponse?.headers?.['x-gateway-warnings']).toBeUndefined();
  });

  it('relays the stream event by event', async () => {
    const chunks = await collectStream(
      await ai.models.generateContentStream({ model: 'house-flash', ...request }),
    );
    expect(gemini.last().url).toBe(`${FLASH_STREAM}?alt=sse`);
    expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe(fixtureStreamText(DEFAULT_STREAM));
    await collectStream(await direct.models.generateContentStream({ model: 'gemini-2.5-flash', ...request }));
    const [viaGateway, sentDirect] = gemini.received(FLASH_STREAM);
    expect(viaGateway!.json).toEqual(sentDirect!.json);
  });

  it("ends a stream that fails midway with Gemini's error, which the SDK raises", async () => {
    gemini.enqueue('POST', FLASH_STREAM, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: geminiFixture('vertexai/streaming-failure-error-mid-stream.txt'),
    });
    const texts: string[] = [];
    const error = await apiError(
      (async () => {
        for await (const chunk of await ai.models.generateContentStream({
          model: 'gemini-2.5-flash',
          contents: 'Hi',
        }))
          texts.push(chunk.text ?? '');
      })(),
    );
    expect(texts).toEqual(['First ', 'Second ']);
    expect(googleError(error)).toMatchObject({ message: 'The operation was cancelled.' });
  });

  it('streams one JSON array without alt=sse, passed through or translated', async () => {
    for (const model of ['gemini-2.5-flash', 'gpt-4o-mini']) {
      const response = await fetch(`${gateway.url}/v1beta/models/${model}:streamGenerateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': TEST_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'Count' }] }] }),
      });
      expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
      const events = (await response.json()) as GenerateContentResponse[];
      expect(events.length).toBeGreaterThan(1);
      expect(events.at(-1)?.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    }
    expect(gemini.last().url).toBe(`${FLASH_STREAM}?alt=sse`);
  });

  it('counts tokens with Gemini', async () => {
    const response = await ai.models.countTokens({ model: 'house-flash', contents: 'How many tokens?' });
    expect(response.totalTokens).toBe(31);
    expect(gemini.last().path).toBe('/v1beta/models/gemini-2.5-flash:countTokens');
    expect(response.sdkHttpResponse?.headers?.['x-gateway-token-count']).toBe('provider');
  });

  it('embeds with Gemini, each request naming the upstream model', async () => {
    const response = await ai.models.embedContent({
      model: 'house-embedding',
      contents: ['first text', 'second text'],
      config: { outputDimensionality: 4 },
    });
    const received = gemini.last();
    expect(received.path).toBe(geminiPath('gemini-embedding-001', 'batchEmbedContents'));
    const body = received.json as { requests: { model: string; outputDimensionality: number }[] };
    expect(body.requests.map((item) => item.model)).toEqual([
      'models/gemini-embedding-001',
      'models/gemini-embedding-001',
    ]);
    expect(response.embeddings?.map((embedding) => embedding.values)).toEqual([
      fakeVector('first text', 4),
      fakeVector('second text', 4),
    ]);
  });

  it('calls functions, its thought signatures returned and sent back unchanged', async () => {
    const recorded = geminiFixture(
      'googleai/unary-success-thinking-function-call-thought-summary-signature.json',
    );
    const signature = (
      JSON.parse(recorded) as { candidates: { content: { parts: { thoughtSignature?: string }[] } }[] }
    ).candidates[0]!.content.parts[1]!.thoughtSignature;
    gemini.enqueue('POST', FLASH, unaryGemini(recorded));
    const tools = [{ functionDeclarations: [{ name: 'now', description: 'The current date and time' }] }];
    const chat = ai.chats.create({
      model: 'house-flash',
      config: { tools, thinkingConfig: { includeThoughts: true } },
    });
    const first = await chat.sendMessage({ message: "How many days until New Year's Eve?" });
    const called = first.candidates![0]!.content!.parts!.find((part) => part.functionCall)!;
    expect(called).toEqual({ functionCall: { name: 'now', args: {} }, thoughtSignature: signature });
    await chat.sendMessage({
      message: [{ functionResponse: { name: 'now', response: { output: '2025-10-26' } } }],
    });
    const contents = lastJson(gemini)['contents'] as Content[];
    expect(contents[1]!.parts).toContainEqual({
      functionCall: { name: 'now', args: {} },
      thoughtSignature: signature,
    });
    expect(contents[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'now', response: { output: '2025-10-26' } } }],
    });
  });

  it("passes Gemini's errors on in its envelope", async () => {
    gemini.enqueue('POST', FLASH, geminiError('vertexai/unary-failure-iam-permission-denied.json'));
    const error = await apiError(ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' }));
    expect(error.status).toBe(403);
    expect(googleError(error)).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
  });
});

describe('translated for OpenAI', () => {
  it('generates: the request as a chat completion, the answer as Gemini writes it', async () => {
    const response = await ai.models.generateContent({
      model: 'gpt-4o-mini',
      contents: 'Hello',
      config: {
        systemInstruction: 'Be brief.',
        temperature: 0.2,
        maxOutputTokens: 64,
        stopSequences: ['END'],
      },
    });
    expect(lastJson(openai)).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
      ],
      temperature: 0.2,
      max_completion_tokens: 64,
      stop: ['END'],
    });
    const completion = JSON.parse(CHAT_COMPLETION);
    expect(response.text).toBe(completion.choices[0].message.content);
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: completion.usage.prompt_tokens,
      totalTokenCount: completion.usage.total_tokens,
    });
    expect(response.sdkHttpResponse?.headers?.['x-gateway-provider']).toBe('openai');
  });

  it('streams, with the usage in the last event', async () => {
    const chunks = await collectStream(
      await ai.models.generateContentStream({ model: 'gpt-4o-mini', contents: 'Hello' }),
    );
    expect(lastJson(openai)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const expected = CHAT_STREAM_USAGE.split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map(
        (event) =>
          (JSON.parse(event.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta
            ?.content ?? '',
      )
      .join('');
    expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe(expected);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(chunks.at(-1)?.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
  });

  it('keeps a chat session over several turns, unary and streamed', async () => {
    const chat = ai.chats.create({ model: 'gpt-4o-mini', config: { systemInstruction: 'You count.' } });
    const first = await chat.sendMessage({ message: 'One?' });
    const streamed = await collectStream(await chat.sendMessageStream({ message: 'Two?' }));
    await chat.sendMessage({ message: 'Three?' });
    const messages = lastJson(openai)['messages'] as { role: string; content: unknown }[];
    expect(messages.map((message) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(messages[2]!.content).toBe(first.text);
    expect(messages[4]!.content).toBe(streamed.map((chunk) => chunk.text ?? '').join(''));
    expect(messages[5]!.content).toEqual([{ type: 'text', text: 'Three?' }]);
    // Every streamed event was a valid model turn: the curated history (what is sent next) lost none.
    expect(chat.getHistory(true)).toEqual(chat.getHistory());
    expect(chat.getHistory().filter((content) => content.role === 'user')).toHaveLength(3);
  });

  it('calls functions over two turns, the results matched to the calls by id', async () => {
    openai.enqueue('POST', CHAT_PATH, unaryChat(openaiFixture('chat-completion-tool-calls.json')));
    const tools = [
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'The weather of a city',
            parameters: {
              type: Type.OBJECT,
              properties: { city: { type: Type.STRING } },
              required: ['city'],
            },
          },
        ],
      },
    ];
    const contents: Content[] = [{ role: 'user', parts: [{ text: 'Weather in Paris and Tokyo?' }] }];
    const first = await ai.models.generateContent({ model: 'gpt-4o-mini', contents, config: { tools } });
    expect(lastJson(openai)['tools']).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'The weather of a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ]);
    const calls = first.functionCalls ?? [];
    expect(calls.map((call) => [call.name, call.args])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_weather', { city: 'Tokyo' }],
    ]);
    contents.push(first.candidates![0]!.content!, {
      role: 'user',
      parts: calls.map((call) => ({
        functionResponse: {
          id: call.id,
          name: call.name!,
          response: { output: `sunny in ${String(call.args?.['city'])}` },
        },
      })),
    });
    await ai.models.generateContent({ model: 'gpt-4o-mini', contents, config: { tools } });
    const messages = lastJson(openai)['messages'] as Record<string, unknown>[];
    expect(messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: 'get_weather', arguments: JSON.stringify(call.args) },
        })),
      },
      { role: 'tool', tool_call_id: calls[0]!.id, content: 'sunny in Paris' },
      { role: 'tool', tool_call_id: calls[1]!.id, content: 'sunny in Tokyo' },
    ]);
  });

  it('streams function calls whole', async () => {
    openai.enqueue('POST', CHAT_PATH, streamChat(CHAT_STREAM_TOOL_CALLS));
    const chunks = await collectStream(
      await ai.models.generateContentStream({
        model: 'gpt-4o-mini',
        contents: 'Weather?',
        config: { tools: [{ functionDeclarations: [{ name: 'get_weather' }] }] },
      }),
    );
    expect(chunks.flatMap((chunk) => chunk.functionCalls ?? []).map((call) => call.args)).toEqual([
      { city: 'Paris' },
      { city: 'Tokyo' },
    ]);
  });

  it('asks for JSON with the schema, from a JSON schema or a Gemini schema', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    await ai.models.generateContent({
      model: 'gpt-4o-mini',
      contents: 'JSON please',
      config: { responseMimeType: 'application/json', responseJsonSchema: schema },
    });
    expect(lastJson(openai)['response_format']).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema },
    });
    await ai.models.generateContent({
      model: 'gpt-4o-mini',
      contents: 'JSON please',
      config: {
        responseMimeType: 'application/json',
        responseSchema: {
          type: Type.OBJECT,
          properties: { answer: { type: Type.STRING } },
          required: ['answer'],
        },
      },
    });
    expect(lastJson(openai)['response_format']).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema },
    });
  });

  it('drops what OpenAI has no parameter for, with a warning', async () => {
    const response = await ai.models.generateContent({
      model: 'gpt-4o-mini',
      contents: 'Hi',
      config: {
        topK: 3,
        safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] as never,
      },
    });
    expect(response.sdkHttpResponse?.headers?.['x-gateway-warnings']).toBe(
      "dropped unsupported parameter 'safetySettings' for model 'gpt-4o-mini'; " +
        "dropped unsupported parameter 'generationConfig.topK' for model 'gpt-4o-mini'",
    );
    expect(lastJson(openai)).not.toHaveProperty('top_k');
  });

  it('embeds one text and several with OpenAI embeddings', async () => {
    const one = await ai.models.embedContent({ model: 'text-embedding-3-small', contents: 'alpha' });
    expect(lastJson(openai)).toEqual({
      model: 'text-embedding-3-small',
      input: ['alpha'],
      encoding_format: 'float',
    });
    expect(one.embeddings?.[0]?.values).toEqual(fakeVector(JSON.stringify('alpha'), 8));
    const several = await ai.models.embedContent({
      model: 'text-embedding-3-small',
      contents: ['alpha', 'beta'],
      config: { outputDimensionality: 4 },
    });
    expect(lastJson(openai)).toMatchObject({ input: ['alpha', 'beta'], dimensions: 4 });
    expect(several.embeddings?.map((embedding) => embedding.values)).toEqual([
      fakeVector(JSON.stringify('alpha'), 4),
      fakeVector(JSON.stringify('beta'), 4),
    ]);
  });

  it('estimates tokens, and says so', async () => {
    const response = await ai.models.countTokens({ model: 'gpt-4o-mini', contents: 'Twelve characters!' });
    expect(response.totalTokens).toBe(await countTokens('Twelve characters!', 'o200k_base'));
    expect(response.sdkHttpResponse?.headers?.['x-gateway-token-count']).toBe('estimated');
    expect(openai.requests).toHaveLength(0);
  });

  it("answers OpenAI's errors in Google's envelope", async () => {
    openai.enqueue('POST', CHAT_PATH, openaiError(429, 'error-rate-limit.json', { 'retry-after': '3' }));
    const error = await apiError(ai.models.generateContent({ model: 'gpt-4o-mini', contents: 'Hi' }));
    expect(error.status).toBe(429);
    expect(googleError(error)).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
  });
});

describe('translated for Anthropic', () => {
  it('generates and streams', async () => {
    const response = await ai.models.generateContent({
      model: 'claude-sonnet-4-5',
      contents: 'Hello',
      config: { systemInstruction: 'Be brief.', maxOutputTokens: 100 },
    });
    const sent = lastJson(anthropic);
    expect(sent).toMatchObject({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    });
    expect(JSON.stringify(sent['system'])).toContain('Be brief.');
    const recorded = JSON.parse(anthropicFixture('anthropic-text.json')) as { content: { text: string }[] };
    expect(response.text).toBe(recorded.content.map((block) => block.text).join(''));
    const chunks = await collectStream(
      await ai.models.generateContentStream({ model: 'claude-sonnet-4-5', contents: 'Hello' }),
    );
    const streamedText = fixtureEvents(DEFAULT_ANTHROPIC_STREAM)
      .map((event) => (event['delta'] as { text?: string } | undefined)?.text ?? '')
      .join('');
    expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe(streamedText);
    expect(chunks.at(-1)?.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
  });

  it('names the Gemini field of a parameter Claude does not take in the warning', async () => {
    const response = await ai.models.generateContent({
      model: 'claude-sonnet-4-5',
      contents: 'Hello',
      config: { seed: 7 },
    });
    expect(response.sdkHttpResponse?.headers?.['x-gateway-warnings']).toContain(
      "dropped unsupported parameter 'generationConfig.seed'",
    );
    expect(lastJson(anthropic)).not.toHaveProperty('seed');
  });

  it('calls a tool and takes its result back', async () => {
    anthropic.enqueue('POST', MESSAGES_PATH, unaryAnthropic(anthropicFixture('anthropic-tool-no-args.json')));
    const tools = [
      { functionDeclarations: [{ name: 'updateIssueList', description: 'Refresh the issues' }] },
    ];
    const chat = ai.chats.create({ model: 'claude-sonnet-4-5', config: { tools } });
    const first = await chat.sendMessage({ message: 'Update the issue list' });
    const call = first.functionCalls![0]!;
    expect(call).toEqual({ id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', args: {} });
    await chat.sendMessage({
      message: [{ functionResponse: { id: call.id, name: call.name!, response: { output: 'updated' } } }],
    });
    const messages = lastJson(anthropic)['messages'] as {
      role: string;
      content: Record<string, unknown>[];
    }[];
    expect(messages.at(-2)!.content).toContainEqual(
      expect.objectContaining({ type: 'tool_use', id: call.id, name: 'updateIssueList', input: {} }),
    );
    expect(messages.at(-1)!.content).toContainEqual(
      expect.objectContaining({ type: 'tool_result', tool_use_id: call.id }),
    );
  });

  it('streams a tool call', async () => {
    anthropic.enqueue('POST', MESSAGES_PATH, streamAnthropic(fixtureSse('anthropic-json-tool.1.chunks.txt')));
    const chunks = await collectStream(
      await ai.models.generateContentStream({
        model: 'claude-sonnet-4-5',
        contents: 'Weather as JSON',
        config: { tools: [{ functionDeclarations: [{ name: 'json', description: 'Answer as JSON' }] }] },
      }),
    );
    expect(chunks.flatMap((chunk) => chunk.functionCalls ?? [])).toEqual([
      {
        id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA',
        name: 'json',
        args: { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] },
      },
    ]);
    expect(chunks.at(-1)?.usageMetadata?.promptTokenCount).toBe(849);
  });

  it("round-trips Claude's signed thinking through the thought signature of a tool-use turn", async () => {
    const thinking = {
      type: 'thinking',
      thinking: 'I need the time first.',
      signature: 'EqQBCkgIARABGAIiQL2',
    };
    anthropic.enqueue(
      'POST',
      MESSAGES_PATH,
      unaryAnthropic({
        id: 'msg_thinking',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [thinking, { type: 'tool_use', id: 'toolu_time', name: 'now', input: {} }],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 50, output_tokens: 30 },
      }),
    );
    const chat = ai.chats.create({
      model: 'claude-sonnet-4-5',
      config: {
        tools: [{ functionDeclarations: [{ name: 'now' }] }],
        thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
      },
    });
    const first = await chat.sendMessage({ message: 'What time is it?' });
    expect(lastJson(anthropic)['thinking']).toBeDefined();
    const parts = first.candidates![0]!.content!.parts!;
    expect(parts[0]).toMatchObject({ text: 'I need the time first.', thought: true });
    expect(parts[1]!.functionCall).toEqual({ id: 'toolu_time', name: 'now', args: {} });
    const second = await chat.sendMessage({
      message: [{ functionResponse: { id: 'toolu_time', name: 'now', response: { output: 'noon' } } }],
    });
    const messages = lastJson(anthropic)['messages'] as {
      role: string;
      content: Record<string, unknown>[];
    }[];
    expect(messages[1]!.content[0]).toEqual(thinking);
    expect(messages[1]!.content[1]).toMatchObject({ type: 'tool_use', id: 'toolu_time' });
    expect(lastJson(anthropic)['thinking']).toBeDefined();
    expect(second.sdkHttpResponse?.headers?.['x-gateway-warnings']).toBeUndefined();
  });
});

describe('a group mixing providers', () => {
  it('fails over from Gemini to OpenAI, passing through then translating', async () => {
    gemini.enqueue('POST', FLASH, geminiError('vertexai/unary-failure-iam-permission-denied.json', 503));
    const response = await ai.models.generateContent({ model: 'mixed', contents: 'Hello' });
    expect(gemini.received(FLASH)).toHaveLength(1);
    expect(openai.received(CHAT_PATH)).toHaveLength(1);
    expect(response.text).toBe(JSON.parse(CHAT_COMPLETION).choices[0].message.content);
    expect(response.sdkHttpResponse?.headers?.['x-gateway-provider']).toBe('openai');
    expect(response.sdkHttpResponse?.headers?.['x-gateway-attempts']).toBe('2');
  });
});

describe('models, keys, errors and accounting', () => {
  it('lists and gets models as Gemini does', async () => {
    const names: string[] = [];
    for await (const model of await ai.models.list({ config: { pageSize: 5 } })) names.push(model.name ?? '');
    expect(names).toEqual(
      expect.arrayContaining(['models/gemini-2.5-flash', 'models/gpt-4o-mini', 'models/mixed']),
    );
    expect(new Set(names).size).toBe(names.length);
    const model = await ai.models.get({ model: 'gpt-4o-mini' });
    expect(model).toMatchObject({ name: 'models/gpt-4o-mini', inputTokenLimit: 128000 });
    const missing = await apiError(ai.models.get({ model: 'no-such-model' }));
    expect(googleError(missing)).toMatchObject({ code: 404, status: 'NOT_FOUND' });
  });

  it('documents its methods, their request bodies and its key schemes in the OpenAPI document', async () => {
    const document = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    for (const method of [
      'generateContent',
      'streamGenerateContent',
      'countTokens',
      'embedContent',
      'batchEmbedContents',
    ]) {
      const operation = document.paths[`/v1beta/models/{model}:${method}`]?.['post'];
      expect(operation?.requestBody, method).toBeDefined();
      expect(operation?.security).toContainEqual({ googApiKeyHeader: [] });
    }
    expect(document.components.securitySchemes['keyQueryParameter']).toEqual({
      type: 'apiKey',
      in: 'query',
      name: 'key',
    });
  });

  it('serves the same API under /v1, and /v1/models stays the OpenAI list for OpenAI clients', async () => {
    const v1 = new GoogleGenAI({ apiKey: TEST_KEY, httpOptions: { baseUrl: gateway.url, apiVersion: 'v1' } });
    const response = await v1.models.generateContent({ model: 'gpt-4o-mini', contents: 'Hello' });
    expect(response.text).toBe(JSON.parse(CHAT_COMPLETION).choices[0].message.content);
    const names: string[] = [];
    for await (const model of await v1.models.list()) names.push(model.name ?? '');
    expect(names).toContain('models/gpt-4o-mini');
    const openaiList = await fetch(`${gateway.url}/v1/models`, {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    expect(((await openaiList.json()) as { object: string }).object).toBe('list');
  });

  it('takes the key as ?key= and never logs it', async () => {
    const response = await fetch(`${gateway.url}/v1beta/models/gpt-4o-mini:generateContent?key=${TEST_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'Hi' }] }] }),
    });
    expect(response.status).toBe(200);
    const bad = await fetch(`${gateway.url}/v1beta/models/gpt-4o-mini:generateContent?key=wrong-key-1234`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'Hi' }] }] }),
    });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
    const logs = gateway.logs.text();
    expect(logs).not.toContain(TEST_KEY);
    expect(logs).not.toContain('wrong-key-1234');
    expect(logs).not.toContain('key=');
  });

  it('answers bad requests, unknown models and keys in its envelope', async () => {
    const invalid = await apiError(
      ai.models.generateContent({ model: 'gpt-4o-mini', contents: 'Hi', config: { temperature: 5 } }),
    );
    expect(invalid.status).toBe(400);
    expect(googleError(invalid)).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const unknown = await apiError(ai.models.generateContent({ model: 'no-such-model', contents: 'Hi' }));
    expect(googleError(unknown)).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    const info = (googleError(unknown) as unknown as { details: { metadata: Record<string, string> }[] })
      .details[0]!;
    expect(info.metadata['available_models']?.split(', ')).toContain('gpt-4o-mini');
    const stranger = new GoogleGenAI({ apiKey: 'not-a-gateway-key', httpOptions: { baseUrl: gateway.url } });
    const refused = await apiError(stranger.models.generateContent({ model: 'gpt-4o-mini', contents: 'Hi' }));
    expect(googleError(refused)).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    const method = await fetch(`${gateway.url}/v1beta/models/gpt-4o-mini:predict`, {
      method: 'POST',
      headers: { 'x-goog-api-key': TEST_KEY, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(method.status).toBe(404);
    expect(((await method.json()) as { error: { status: string } }).error.status).toBe('NOT_FOUND');
  });

  it('accounts a stream its client leaves midway once, with the usage estimated from what it was sent', async () => {
    let release!: () => void;
    const recorded = geminiFixture(DEFAULT_STREAM);
    // Gemini sends its first two events, then waits: the client leaves in between.
    gemini.enqueue('POST', FLASH_STREAM, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: recorded,
      holdAt: recorded.indexOf('data:', recorded.indexOf('data:', 1) + 1),
      release: new Promise<void>((resolve) => (release = resolve)),
    });
    const before = gateway.logs.accessLines().length;
    const url = new URL(gateway.url);
    await new Promise<void>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-goog-api-key': TEST_KEY },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            if (text.includes('"2 "')) {
              outgoing.destroy();
              resolve();
            }
          });
          response.on('error', () => {});
        },
      );
      outgoing.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
      outgoing.end(JSON.stringify({ contents: [{ parts: [{ text: 'Count to eight' }] }] }));
    });
    await expect.poll(() => gateway.logs.accessLines().length).toBe(before + 1);
    release();
    expect(gateway.logs.accessLines().at(-1)).toMatchObject({
      route: '/v1beta/models/:model(.+)::streamGenerateContent',
      outcome: 'client_closed',
      provider: 'gemini',
      usageEstimated: true,
      completionTokens: 1, // "1 2 " streamed: four characters
    });
  });

  it('accounts the usage in the access log and the metrics, by route template', async () => {
    await ai.models.generateContent({ model: 'gpt-4o-mini', contents: 'Count me' });
    await collectStream(
      await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Count me too' }),
    );
    const lines = gateway.logs.accessLines();
    const unary = lines.findLast((line) => line['model'] === 'gpt-4o-mini' && line['status'] === 200)!;
    expect(unary).toMatchObject({
      route: '/v1beta/models/:model(.+)::generateContent',
      provider: 'openai',
      promptTokens: JSON.parse(CHAT_COMPLETION).usage.prompt_tokens,
    });
    const streamed = lines.findLast(
      (line) => line['model'] === 'gemini-2.5-flash' && line['stream'] === true,
    )!;
    expect(streamed).toMatchObject({
      route: '/v1beta/models/:model(.+)::streamGenerateContent',
      provider: 'gemini',
    });
    expect(streamed['promptTokens']).toBeGreaterThan(0);
    const metrics = await gateway.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    const samples = parsePrometheus(metrics.body);
    expect(
      valueOf(samples, 'llm_gateway_requests_total', {
        route: '/v1beta/models/:model(.+)::generateContent',
        model: 'gpt-4o-mini',
      }),
    ).toBeGreaterThan(0);
    expect(
      valueOf(samples, 'llm_gateway_tokens_total', { provider: 'gemini', kind: 'prompt' }),
    ).toBeGreaterThan(0);
  });
});

describe('limits', () => {
  it("refuses a request past the gateway's bounds, and one over the key's rate with RESOURCE_EXHAUSTED and the delay to wait", async () => {
    const limited = await buildTestApp({
      env: {
        OPENAI_API_KEY: 'sk-test-openai-door-0000',
        OPENAI_BASE_URL: `${openai.origin}/v1`,
        RATE_LIMITING_ENABLED: 'true',
        // Two requests a minute: the one over LIMIT_MESSAGES counts too (limits come before the body).
        RATE_LIMIT_CHAT_RPM: '2',
        LIMIT_MESSAGES: '2',
      },
    });
    try {
      const client = new GoogleGenAI({
        apiKey: TEST_KEY,
        httpOptions: { baseUrl: await limited.listen(), apiVersion: 'v1beta' },
      });
      const tooLong = await apiError(
        client.models.generateContent({
          model: 'gpt-4o-mini',
          contents: [
            { role: 'user', parts: [{ text: 'One' }] },
            { role: 'model', parts: [{ text: 'Two' }] },
            { role: 'user', parts: [{ text: 'Three' }] },
          ],
        }),
      );
      expect(tooLong.status).toBe(400);
      expect(JSON.stringify(googleError(tooLong))).toContain('"field":"contents"');
      expect(openai.requests).toHaveLength(0);
      await client.models.generateContent({ model: 'gpt-4o-mini', contents: 'One' });
      const error = await apiError(client.models.generateContent({ model: 'gpt-4o-mini', contents: 'Two' }));
      expect(error.status).toBe(429);
      const body = googleError(error) as unknown as { status: string; details: Record<string, unknown>[] };
      expect(body.status).toBe('RESOURCE_EXHAUSTED');
      expect(body.details).toContainEqual(
        expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.RetryInfo' }),
      );
      expect(openai.received(CHAT_PATH)).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });
});
