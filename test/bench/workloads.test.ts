import { describe, expect, it } from 'vitest';
import { WORKLOAD_IDS } from '../../bench/arguments.js';
import {
  EMBEDDING_DIMENSIONS,
  buildAnthropicMessage,
  buildAnthropicStream,
  STREAM_EVENTS,
  buildGeminiGenerateContent,
  buildGeminiStream,
  buildOpenAIChatCompletion,
  buildOpenAIChatStream,
  buildOpenAIEmbeddings,
} from '../../bench/upstream-bodies.js';
import { WORKLOADS, type BenchKeys } from '../../bench/workloads.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

const keys: BenchKeys = {
  gateway: 'client-key-1',
  upstreamOpenAI: 'sk-up',
  upstreamGemini: 'g-up',
  upstreamAnthropic: 'a-up',
};

describe('the fake upstream’s answers', () => {
  it('are valid OpenAI objects', () => {
    assertOpenAISchema('CreateChatCompletionResponse', JSON.parse(buildOpenAIChatCompletion()));
    // Base64 is what the SDKs ask for; OpenAI's schema describes the float form it decodes to.
    const embeddings = JSON.parse(buildOpenAIEmbeddings()) as { data: { embedding: unknown }[] };
    const bytes = Buffer.from(embeddings.data[0]!.embedding as string, 'base64');
    const vector = Array.from(new Float32Array(Uint8Array.from(bytes).buffer));
    expect(vector).toHaveLength(EMBEDDING_DIMENSIONS);
    embeddings.data[0]!.embedding = vector;
    assertOpenAISchema('CreateEmbeddingResponse', embeddings);
  });

  it('stream the OpenAI answer as 20 valid chunks, the usage one last, then [DONE]', () => {
    const events = buildOpenAIChatStream();
    expect(events).toHaveLength(STREAM_EVENTS + 1);
    expect(events.at(-1)).toBe('data: [DONE]\n\n');
    const chunks = events.slice(0, -1).map((event) => {
      expect(event).toMatch(/^data: .*\n\n$/s);
      return JSON.parse(event.slice(6)) as { usage: unknown; choices: { delta: { content?: string } }[] };
    });
    for (const chunk of chunks) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    expect(chunks.at(-1)!.usage).toBeTruthy();
    const unary = JSON.parse(buildOpenAIChatCompletion()) as { choices: { message: { content: string } }[] };
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      unary.choices[0]!.message.content,
    );
  });

  it('stream the Gemini answer as 20 CRLF-separated events, the last finishing with the usage', () => {
    const events = buildGeminiStream();
    expect(events).toHaveLength(STREAM_EVENTS);
    const parsed = events.map((event) => {
      expect(event).toMatch(/^data: .*\r\n\r\n$/s);
      return JSON.parse(event.slice(6)) as {
        candidates: { finishReason?: string; content: { parts: { text: string }[] } }[];
      };
    });
    expect(parsed.at(-1)!.candidates[0]!.finishReason).toBe('STOP');
    const unary = JSON.parse(buildGeminiGenerateContent()) as (typeof parsed)[number];
    expect(parsed.map((event) => event.candidates[0]!.content.parts[0]!.text).join('')).toBe(
      unary.candidates[0]!.content.parts[0]!.text,
    );
  });
});

describe('the fake upstream’s Anthropic answers', () => {
  it('stream 20 named events in Anthropic’s grammar, whose text is the unary message’s', () => {
    const events = buildAnthropicStream().map((event) => {
      const [name, data] = event.split('\n') as [string, string];
      expect(event.endsWith('\n\n')).toBe(true);
      const parsed = JSON.parse(data.slice('data: '.length)) as {
        type: string;
        delta?: { text?: string };
      };
      expect(name).toBe(`event: ${parsed.type}`);
      return parsed;
    });
    expect(events).toHaveLength(STREAM_EVENTS);
    expect(events[0]!.type).toBe('message_start');
    expect(events.at(-2)!.type).toBe('message_delta');
    expect(events.at(-1)!.type).toBe('message_stop');
    const message = JSON.parse(buildAnthropicMessage()) as {
      type: string;
      content: { text: string }[];
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(message.type).toBe('message');
    expect(events.map((event) => event.delta?.text ?? '').join('')).toBe(message.content[0]!.text);
  });

  it('are what the Anthropic workloads send direct and floor targets, and accept', () => {
    const unary = WORKLOADS['anthropic-unary'].request('floor', keys);
    expect(unary.path).toBe('/v1/messages');
    expect(unary.headers['x-api-key']).toBe('a-up');
    expect(JSON.parse(unary.body(3))).toMatchObject({ max_tokens: 256, messages: [{ role: 'user' }] });
    const ok = { status: 200, headers: new Headers() };
    expect(WORKLOADS['anthropic-unary'].check('direct')({ ...ok, text: buildAnthropicMessage() })).toBeNull();
    const stream = buildAnthropicStream();
    expect(WORKLOADS['anthropic-stream'].check('floor')({ ...ok, text: stream.join('') })).toBeNull();
    expect(
      WORKLOADS['anthropic-stream'].check('floor')({ ...ok, text: stream.slice(0, -1).join('') }),
    ).toMatch(/19 events/);
    expect(WORKLOADS['anthropic-stream'].request('gateway', keys).path).toBe('/v1/chat/completions');
  });

  it('are what the Anthropic door workloads send every target, and accept from the gateway too', () => {
    const door = WORKLOADS['anthropic-door-stream'].request('gateway', keys);
    expect(door.path).toBe('/v1/messages');
    expect(door.headers['anthropic-version']).toBe('2023-06-01');
    expect(JSON.parse(door.body(3))).toMatchObject({ model: 'gpt-4o-mini', stream: true, max_tokens: 256 });
    expect(WORKLOADS['anthropic-door-unary'].request('floor', keys).path).toBe('/v1/messages');
    const ok = { status: 200, headers: new Headers() };
    expect(
      WORKLOADS['anthropic-door-unary'].check('gateway')({ ...ok, text: buildAnthropicMessage() }),
    ).toBeNull();
    const stream = buildAnthropicStream();
    const translated = [stream[0]!, ...stream.slice(-3)].join('');
    expect(WORKLOADS['anthropic-door-stream'].check('gateway')({ ...ok, text: translated })).toBeNull();
    expect(WORKLOADS['anthropic-door-stream'].check('floor')({ ...ok, text: translated })).toMatch(
      /4 events/,
    );
    expect(
      WORKLOADS['anthropic-door-stream'].check('gateway')({ ...ok, text: stream.slice(0, -1).join('') }),
    ).toMatch(/message_stop/);
  });
});

describe('the Gemini door and Responses workloads', () => {
  const ok = { status: 200, headers: new Headers() };

  it('send the gateway Gemini requests for an OpenAI model, direct and floor Gemini’s own', () => {
    const door = WORKLOADS['gemini-door-stream'].request('gateway', keys);
    expect(door.path).toBe('/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse');
    expect(JSON.parse(door.body(3))).toMatchObject({ contents: [{ role: 'user' }] });
    expect(WORKLOADS['gemini-door-unary'].request('gateway', keys).path).toBe(
      '/v1beta/models/gpt-4o-mini:generateContent',
    );
    const floor = WORKLOADS['gemini-door-unary'].request('floor', keys);
    expect(floor.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(floor.headers['x-goog-api-key']).toBe('g-up');
  });

  it('accept Gemini answers and refuse a stream without its usage', () => {
    expect(
      WORKLOADS['gemini-door-unary'].check('gateway')({ ...ok, text: buildGeminiGenerateContent() }),
    ).toBeNull();
    expect(WORKLOADS['gemini-door-unary'].check('floor')({ ...ok, text: '{"error":{}}' })).toMatch(
      /candidates/,
    );
    const stream = buildGeminiStream();
    expect(WORKLOADS['gemini-door-stream'].check('floor')({ ...ok, text: stream.join('') })).toBeNull();
    const shorter = [stream[0]!, stream.at(-1)!].join('');
    expect(WORKLOADS['gemini-door-stream'].check('gateway')({ ...ok, text: shorter })).toBeNull();
    expect(WORKLOADS['gemini-door-stream'].check('floor')({ ...ok, text: shorter })).toMatch(/2 events/);
    const cut = stream.slice(0, -1).join('');
    expect(WORKLOADS['gemini-door-stream'].check('gateway')({ ...ok, text: cut })).toMatch(/finishReason/);
  });

  it('send the gateway a Responses request for a Claude model, direct and floor Anthropic’s own', () => {
    const gateway = WORKLOADS['responses-stream'].request('gateway', keys);
    expect(gateway.path).toBe('/v1/responses');
    expect(gateway.headers['authorization']).toBe('Bearer client-key-1');
    expect(JSON.parse(gateway.body(4))).toMatchObject({
      model: 'claude-sonnet-4-5',
      stream: true,
      store: false,
      max_output_tokens: 256,
    });
    expect(JSON.parse(gateway.body(4))['input']).toContain('Request 4');
    expect(WORKLOADS['responses-unary'].request('floor', keys).path).toBe('/v1/messages');
  });

  it('accept a completed response and a stream ending with response.completed', () => {
    const check = WORKLOADS['responses-unary'].check('gateway');
    expect(check({ ...ok, text: '{"object":"response","status":"completed"}' })).toBeNull();
    expect(check({ ...ok, text: '{"object":"response","status":"failed"}' })).toMatch(/failed/);
    expect(WORKLOADS['responses-unary'].check('direct')({ ...ok, text: buildAnthropicMessage() })).toBeNull();
    const stream = WORKLOADS['responses-stream'].check('gateway');
    const created = 'event: response.created\ndata: {}\n\n';
    const completed = 'event: response.completed\ndata: {}\n\n';
    expect(stream({ ...ok, text: created + completed })).toBeNull();
    expect(stream({ ...ok, text: created })).toMatch(/response.completed/);
    const anthropic = buildAnthropicStream().join('');
    expect(WORKLOADS['responses-stream'].check('floor')({ ...ok, text: anthropic })).toBeNull();
  });
});

describe('workloads', () => {
  it('send the gateway valid chat requests that differ by counter, except the cache-hit one', () => {
    for (const id of WORKLOAD_IDS) {
      const template = WORKLOADS[id].request('gateway', keys);
      // The doors are called as their SDKs call them: Anthropic's key in x-api-key, Google's in x-goog-api-key.
      if (template.path === '/v1/messages') expect(template.headers['x-api-key']).toBe('client-key-1');
      else if (template.path.startsWith('/v1beta/'))
        expect(template.headers['x-goog-api-key']).toBe('client-key-1');
      else expect(template.headers['authorization']).toBe('Bearer client-key-1');
      const first = JSON.parse(template.body(1)) as unknown;
      if (template.path === '/v1/chat/completions') assertOpenAISchema('CreateChatCompletionRequest', first);
      if (id === 'cache-hit') expect(template.body(2)).toBe(template.body(1));
      else expect(template.body(2)).not.toBe(template.body(1));
    }
  });

  it('send direct and floor targets what the upstream itself takes', () => {
    const gemini = WORKLOADS['gemini-stream'].request('floor', keys);
    expect(gemini.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(gemini.headers['x-goog-api-key']).toBe('g-up');
    expect(JSON.parse(gemini.body(7))).toMatchObject({ contents: [{ role: 'user' }] });
    expect(WORKLOADS['openai-unary'].request('direct', keys).headers['authorization']).toBe('Bearer sk-up');
  });

  it('tell a right answer from a wrong one', () => {
    const check = WORKLOADS['openai-stream'].check('gateway');
    const text = buildOpenAIChatStream().join('');
    expect(check({ status: 200, headers: new Headers(), text })).toBeNull();
    expect(
      check({ status: 200, headers: new Headers(), text: text.replace('data: [DONE]\n\n', '') }),
    ).toMatch(/DONE/);
    expect(check({ status: 429, headers: new Headers(), text: '{}' })).toMatch(/status 429/);
    const hit = WORKLOADS['cache-hit'].check('gateway');
    const body = buildOpenAIChatCompletion();
    expect(hit({ status: 200, headers: new Headers({ 'x-cache': 'HIT' }), text: body })).toBeNull();
    expect(hit({ status: 200, headers: new Headers({ 'x-cache': 'MISS' }), text: body })).toMatch(/MISS/);
  });
});
