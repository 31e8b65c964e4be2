import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { CHAT_COMPLETION, startFakeOpenAI } from '../helpers/fake-openai.js';
import { ControlledEmbeddings } from '../helpers/fake-embeddings.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { passThroughOnly } from '../helpers/routing.js';
import type { WarmResult } from '../../plugins/api/cache-warm.js';
import { describeSummary, progressLine, warmCache } from '../../scripts/warm-cache.js';

const KEY = 'cache-warm-test-key-aaaa';
const OTHER_KEY = 'cache-warm-test-key-bbbb';
const ADMIN_KEY = 'cache-warm-admin-key-0000';
const embeddings = new ControlledEmbeddings()
  .set('How do I return an order?', [1, 0])
  .set('What is the procedure to send back an order?', [0.95, Math.sqrt(1 - 0.95 * 0.95)])
  .set('Where is my parcel?', [0, 1]);

let upstream: FakeUpstream;
let gateway: TestApp;

const line = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra });

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  embeddings.serve(upstream);
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_API_KEYS: `${KEY},${OTHER_KEY}`,
      GATEWAY_ADMIN_KEYS: ADMIN_KEY,
      CACHE_ENABLED: 'true',
      CACHE_SEMANTIC_EMBEDDING_MODEL: 'text-embedding-3-small',
      CACHE_SEMANTIC_THRESHOLD: '0.9',
      CACHE_SEMANTIC_TIMEOUT: '10000',
    },
    configure: passThroughOnly,
  });
  await gateway.listen();
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

describe('cache warming', () => {
  it('refuses a caller without an admin key', async () => {
    const answer = await gateway.app.inject({
      method: 'POST',
      url: '/admin/cache/warm',
      headers: { ...authHeaders(KEY), 'content-type': 'application/x-ndjson' },
      payload: line('Where is my parcel?'),
    });
    expect(answer.statusCode).toBe(403);
    expect(answer.json().error.code).toBe('admin_key_required');
    expect(upstream.received('/v1/chat/completions')).toHaveLength(0);
  });

  it('refuses a body that is not JSONL', async () => {
    const answer = await gateway.app.inject({
      method: 'POST',
      url: '/admin/cache/warm',
      headers: { ...authHeaders(ADMIN_KEY), 'content-type': 'application/x-ndjson' },
      payload: '\n\n',
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error.message).toContain('one per line');
  });

  it('stores what is not cached, skips what is, reports each line and the cost, and serves paraphrases', async () => {
    const results: WarmResult[] = [];
    const file = [
      line('How do I return an order?'),
      line('Where is my parcel?', { temperature: 0 }),
      line('How do I return an order?'),
      'not json',
      JSON.stringify({ request: { messages: [{ role: 'user', content: 'Hello' }] } }),
      '',
    ].join('\n');
    const summary = await warmCache(file, {
      url: gateway.url,
      adminKey: ADMIN_KEY,
      warmKey: KEY,
      concurrency: 1,
      onResult: (result) => results.push(result),
    });
    expect(summary).toMatchObject({ type: 'summary', requests: 5, stored: 2, cached: 1, failed: 2 });
    expect(summary.prompt_tokens).toBeGreaterThan(0);
    expect(summary.cost_usd).toBeGreaterThan(0);
    expect(results.map((result) => [result.line, result.outcome])).toEqual([
      [1, 'stored'],
      [2, 'stored'],
      [3, 'cached'],
      [4, 'failed'],
      [5, 'failed'],
    ]);
    expect(results[4]!.error).toContain('no model');
    expect(describeSummary(summary)).toContain('stored:          2');
    expect(progressLine(2, 4, { stored: 1, cached: 1, failed: 0 })).toBe(
      `[${'#'.repeat(15)}${'.'.repeat(15)}] 2/4  stored 1  already cached 1  failed 0`,
    );
    expect(upstream.received('/v1/chat/completions')).toHaveLength(2);

    // The warmed key's paraphrase is answered from the cache; another key's is not.
    const paraphrase = {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'What is the procedure to send back an order?' }],
    };
    const ask = (key: string) =>
      gateway.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { ...authHeaders(key), 'content-type': 'application/json', 'x-gateway-cache': 'semantic' },
        payload: JSON.stringify(paraphrase),
      });
    const hit = await ask(KEY);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-gateway-cache-match']).toBe('semantic');
    expect(hit.body).toBe(CHAT_COMPLETION);
    expect((await ask(OTHER_KEY)).headers['x-cache']).toBe('MISS');

    // Warming again: everything is already there.
    const again = await warmCache(
      [line('How do I return an order?'), line('Where is my parcel?', { temperature: 0 })].join('\n'),
      {
        url: gateway.url,
        adminKey: ADMIN_KEY,
        warmKey: KEY,
      },
    );
    expect(again).toMatchObject({ requests: 2, stored: 0, cached: 2, failed: 0, cost_usd: 0 });
    expect(upstream.received('/v1/chat/completions')).toHaveLength(3);
  });

  it('says what went wrong when the gateway refuses the warming', async () => {
    await expect(warmCache(line('x'), { url: gateway.url, adminKey: 'not-an-admin' })).rejects.toThrow(
      /403: This endpoint needs an admin key/,
    );
  });
});
