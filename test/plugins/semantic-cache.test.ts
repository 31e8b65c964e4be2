import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { CHAT_COMPLETION, CHAT_STREAM_USAGE, startFakeOpenAI } from '../helpers/fake-openai.js';
import { ControlledEmbeddings } from '../helpers/fake-embeddings.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import { parsePrometheus } from '../helpers/prometheus.js';
import { passThroughOnly } from '../helpers/routing.js';

const KEY_A = 'semantic-test-key-aaaaaa';
const KEY_B = 'semantic-test-key-bbbbbb';
const SEMANTIC = { 'x-gateway-cache': 'semantic' };

let upstream: FakeUpstream;
let gateway: TestApp;
const embeddings = new ControlledEmbeddings();
let topic = 0;

/**
 * A question, a paraphrase at cosine 0.96 of it and a near miss at 0.8, on an axis no other test
 * uses (each test its own), so every test starts with a cold cache.
 */
function questions() {
  topic++;
  const axis = 2 * topic;
  const at = (cosine: number) => {
    const vector = new Array<number>(axis + 2).fill(0);
    vector[axis] = cosine;
    vector[axis + 1] = Math.sqrt(1 - cosine * cosine);
    return vector;
  };
  const question = `What is the capital of country ${topic}?`;
  const paraphrase = `Which city is the capital of country ${topic}?`;
  const otherParaphrase = `Name the capital city of country ${topic}.`;
  const nearMiss = `What is the capital of country ${topic}'s neighbour?`;
  embeddings
    .set(question, at(1))
    .set(paraphrase, at(0.96))
    .set(otherParaphrase, at(0.96))
    .set(nearMiss, at(0.8));
  return { question, paraphrase, otherParaphrase, nearMiss };
}

function chatBody(content: string, extra: Record<string, unknown> = {}) {
  return { model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra };
}

function chat(body: unknown, headers: Record<string, string> = SEMANTIC, key = KEY_A) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(key), 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

const chatCalls = () => upstream.received('/v1/chat/completions').length;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  embeddings.serve(upstream);
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_API_KEYS: `${KEY_A},${KEY_B}`,
      CACHE_ENABLED: 'true',
      CACHE_SEMANTIC_EMBEDDING_MODEL: 'text-embedding-3-small',
      CACHE_SEMANTIC_THRESHOLD: '0.9',
      // Generous, so a loaded machine does not turn hits into misses (the time limit: semantic-cache-faults).
      CACHE_SEMANTIC_TIMEOUT: '10000',
    },
    configure: (config) => {
      passThroughOnly(config);
      config.gateway.cache.semantic.models = { 'gpt-4o-mini': { enabled: true, threshold: 0.99 } };
    },
  });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => {
  upstream.reset();
  embeddings.texts.length = 0;
  embeddings.serve(upstream);
});

describe('semantic cache: what hits', () => {
  it('answers a paraphrase above the threshold from the stored answer, and says so', async () => {
    const { question, paraphrase } = questions();
    const first = await chat(chatBody(question));
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers['x-gateway-cache-match']).toBeUndefined();

    const second = await chat(chatBody(paraphrase));
    expect(second.statusCode).toBe(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers['x-gateway-cache-match']).toBe('semantic');
    expect(second.headers['x-gateway-cache-similarity']).toBe('0.9600');
    expect(second.headers['x-gateway-attempts']).toBe('0');
    expect(second.body).toBe(CHAT_COMPLETION);
    assertOpenAISchema('CreateChatCompletionResponse', second.json());
    expect(chatCalls()).toBe(1);
    expect(gateway.logs.accessLines().at(-1)?.['cache']).toBe('HIT');
  });

  it('misses a near miss below the threshold and asks the provider', async () => {
    const { question, nearMiss } = questions();
    await chat(chatBody(question));
    const near = await chat(chatBody(nearMiss));
    expect(near.statusCode).toBe(200);
    expect(near.headers['x-cache']).toBe('MISS');
    expect(chatCalls()).toBe(2);
  });

  it('replays a stored stream as server-sent events to a paraphrase', async () => {
    const { question, paraphrase } = questions();
    const streaming = { stream: true, stream_options: { include_usage: true } };
    const first = await chat(chatBody(question, streaming));
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.body).toBe(CHAT_STREAM_USAGE);
    const second = await chat(chatBody(paraphrase, streaming));
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers['x-gateway-cache-match']).toBe('semantic');
    expect(second.headers['content-type']).toContain('text/event-stream');
    expect(second.body).toBe(CHAT_STREAM_USAGE);
    // And a unary paraphrase is answered from the stored stream too.
    const unary = await chat(chatBody(paraphrase));
    expect(unary.headers['x-cache']).toBe('HIT');
    assertOpenAISchema('CreateChatCompletionResponse', unary.json());
    expect(chatCalls()).toBe(1);
  });

  it('is on for a model configured for it without the header, with that model threshold', async () => {
    const { question, paraphrase } = questions();
    await chat(chatBody(question, { model: 'gpt-4o-mini' }), {});
    // 0.96 is under gpt-4o-mini's own threshold of 0.99.
    const second = await chat(chatBody(paraphrase, { model: 'gpt-4o-mini' }), {});
    expect(second.headers['x-cache']).toBe('MISS');
    expect(embeddings.texts).toEqual([question, paraphrase]);
  });
});

describe('semantic cache: what never hits', () => {
  it('a request that did not opt in: no embedding call, the exact cache only', async () => {
    const { question, paraphrase, otherParaphrase } = questions();
    await chat(chatBody(question));
    const other = await chat(chatBody(paraphrase), {});
    expect(other.headers['x-cache']).toBe('MISS');
    const off = await chat(chatBody(otherParaphrase), { 'x-gateway-cache': 'exact' });
    expect(off.headers['x-cache']).toBe('MISS');
    expect(embeddings.texts).toEqual([question]);
  });

  it('a different system prompt, model, tool set, response format or temperature, at the same meaning', async () => {
    const { question, paraphrase } = questions();
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    await chat({
      model: 'gpt-4o',
      temperature: 0.2,
      tools,
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: question },
      ],
    });
    const variants = [
      { temperature: 0.7, tools, system: 'Answer briefly.', model: 'gpt-4o' },
      { temperature: 0.2, tools, system: 'Answer at length.', model: 'gpt-4o' },
      { temperature: 0.2, tools: [], system: 'Answer briefly.', model: 'gpt-4o' },
      { temperature: 0.2, tools, system: 'Answer briefly.', model: 'gpt-4.1' },
      {
        temperature: 0.2,
        tools,
        system: 'Answer briefly.',
        model: 'gpt-4o',
        response_format: { type: 'json_object' },
      },
    ];
    for (const { system, ...fields } of variants) {
      const answer = await chat({
        ...fields,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: paraphrase },
        ],
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['x-cache']).toBe('MISS');
    }
    // The same everything but the words: a hit.
    const same = await chat({
      model: 'gpt-4o',
      temperature: 0.2,
      tools,
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: paraphrase },
      ],
    });
    expect(same.headers['x-cache']).toBe('HIT');
    expect(chatCalls()).toBe(1 + variants.length);
  });

  it("another key's entry, in client scope", async () => {
    const { question, paraphrase } = questions();
    await chat(chatBody(question), SEMANTIC, KEY_A);
    const other = await chat(chatBody(paraphrase), SEMANTIC, KEY_B);
    expect(other.headers['x-cache']).toBe('MISS');
    const own = await chat(chatBody(paraphrase), SEMANTIC, KEY_B);
    expect(own.headers['x-cache']).toBe('HIT');
  });

  it('a different earlier conversation, or a tool result in the compared turn', async () => {
    const { question, paraphrase } = questions();
    const conversation = (earlier: string, last: string) =>
      chatBody('', {
        messages: [
          { role: 'user', content: earlier },
          { role: 'assistant', content: 'Noted.' },
          { role: 'user', content: last },
        ],
      });
    await chat(conversation('I am planning a trip.', question));
    expect((await chat(conversation('I am writing a quiz.', paraphrase))).headers['x-cache']).toBe('MISS');
    expect((await chat(conversation('I am planning a trip.', paraphrase))).headers['x-cache']).toBe('HIT');

    const before = embeddings.texts.length;
    const toolTurn = await chat(
      chatBody('', {
        messages: [
          { role: 'user', content: question },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'Paris' },
        ],
      }),
    );
    expect(toolTurn.statusCode).toBe(200);
    expect(toolTurn.headers['x-cache']).toBe('MISS');
    expect(embeddings.texts.length).toBe(before);
  });

  it('an unknown x-gateway-cache value is a 400 naming the header', async () => {
    const { question } = questions();
    const answer = await chat(chatBody(question), { 'x-gateway-cache': 'fuzzy' });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error.param).toBe('x-gateway-cache');
    expect(chatCalls()).toBe(0);
  });
});

describe('semantic cache: accounting', () => {
  it("counts the embedding calls in the key's usage and in the metrics", async () => {
    const { question, paraphrase } = questions();
    await chat(chatBody(question), SEMANTIC, KEY_B);
    await chat(chatBody(paraphrase), SEMANTIC, KEY_B);
    const usage = await gateway.app.inject({ url: '/v1/usage', headers: authHeaders(KEY_B) });
    const models = JSON.stringify(usage.json());
    expect(models).toContain('text-embedding-3-small');

    const metrics = await gateway.app.inject({ url: '/metrics', headers: authHeaders(KEY_A) });
    const samples = parsePrometheus(metrics.body);
    const hits = samples.find(
      (sample) =>
        sample.name === 'llm_gateway_semantic_cache_lookups_total' && sample.labels['result'] === 'hit',
    );
    expect(hits?.value).toBeGreaterThanOrEqual(1);
    expect(
      samples.some(
        (sample) => sample.name === 'llm_gateway_semantic_cache_embedding_tokens_total' && sample.value > 0,
      ),
    ).toBe(true);
  });
});
