import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/config.js';
import { CHAT_STREAM_USAGE, openaiError, startFakeOpenAI, streamChat } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { parsePrometheus, valueOf } from '../helpers/prometheus.js';

let primary: FakeUpstream;
let secondary: FakeUpstream;
let gateway: TestApp;
let openMetrics: TestApp;

function configure(config: LoadedConfig): void {
  config.gateway.providers['openai'] = {
    ...config.gateway.providers['openai']!,
    baseUrl: `${primary.origin}/v1`,
    apiKey: 'sk-1',
  };
  config.gateway.providers['backup'] = { type: 'openai', baseUrl: `${secondary.origin}/v1`, apiKey: 'sk-2' };
  config.gateway.routing.retries = { maxRetries: 1, baseDelayMs: 0, maxDelayMs: 0 };
  config.gateway.routing.models = {
    'gpt-4o': { deployments: [{ provider: 'openai' }, { provider: 'backup', priority: 1 }] },
  };
}

beforeAll(async () => {
  primary = await startFakeOpenAI();
  secondary = await startFakeOpenAI();
  gateway = await buildTestApp({ configure });
  openMetrics = await buildTestApp({ env: { METRICS_ACCESS: 'open' }, configure });
});
afterAll(async () => {
  await gateway.close();
  await openMetrics.close();
  await primary.close();
  await secondary.close();
});

const chat = (body: Record<string, unknown>) =>
  gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    payload: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], ...body }),
  });

async function scrape(app = gateway) {
  const response = await app.app.inject({ url: '/metrics', headers: authHeaders() });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain');
  return parsePrometheus(response.body);
}

describe('metrics after known traffic', () => {
  it('counts requests, attempts, retries, failovers, tokens and cost exactly', async () => {
    // 1: a plain success (usage 19 + 11). 2: primary fails twice (a retry), backup answers (failover).
    // 3: a stream with usage (24 + 5). 4: an unknown model (404). 5: a validation error (400).
    expect((await chat({ model: 'gpt-4o' })).statusCode).toBe(200);
    primary.enqueue(
      'POST',
      '/v1/chat/completions',
      openaiError(500, 'error-server.json'),
      openaiError(500, 'error-server.json'),
    );
    const failedOver = await chat({ model: 'gpt-4o' });
    expect(failedOver.headers['x-gateway-provider']).toBe('backup');
    primary.enqueue('POST', '/v1/chat/completions', streamChat(CHAT_STREAM_USAGE));
    expect(
      (await chat({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true } })).statusCode,
    ).toBe(200);
    expect((await chat({ model: 'no-such-model' })).statusCode).toBe(404);
    expect((await chat({ model: 'gpt-4o', temperature: 'hot' })).statusCode).toBe(400);

    const samples = await scrape();
    const route = '/v1/chat/completions';
    expect(
      valueOf(samples, 'llm_gateway_requests_total', { route, status_class: '2xx', model: 'gpt-4o' }),
    ).toBe(3);
    expect(valueOf(samples, 'llm_gateway_requests_total', { route, status_class: '4xx' })).toBe(2);
    expect(valueOf(samples, 'llm_gateway_requests_total', { route, model: 'other' })).toBe(1);
    expect(
      valueOf(samples, 'llm_gateway_upstream_attempts_total', {
        deployment: 'openai/gpt-4o',
        outcome: 'failure',
      }),
    ).toBe(2);
    expect(
      valueOf(samples, 'llm_gateway_upstream_attempts_total', {
        deployment: 'openai/gpt-4o',
        outcome: 'success',
      }),
    ).toBe(2);
    expect(
      valueOf(samples, 'llm_gateway_upstream_attempts_total', {
        deployment: 'backup/gpt-4o',
        outcome: 'success',
      }),
    ).toBe(1);
    expect(valueOf(samples, 'llm_gateway_retries_total', { deployment: 'openai/gpt-4o' })).toBe(1);
    expect(valueOf(samples, 'llm_gateway_failovers_total', { model: 'gpt-4o' })).toBe(1);
    expect(valueOf(samples, 'llm_gateway_tokens_total', { model: 'gpt-4o', kind: 'prompt' })).toBe(
      19 + 19 + 24,
    );
    expect(valueOf(samples, 'llm_gateway_tokens_total', { model: 'gpt-4o', kind: 'completion' })).toBe(
      11 + 11 + 5,
    );
    // gpt-4o: $2.50 / $10 per 1M tokens.
    expect(valueOf(samples, 'llm_gateway_cost_usd_total', { model: 'gpt-4o' })).toBeCloseTo(
      (62 * 2.5 + 27 * 10) / 1e6,
      12,
    );
    expect(valueOf(samples, 'llm_gateway_request_duration_seconds_count', { route })).toBe(5);
    expect(valueOf(samples, 'llm_gateway_overhead_seconds_count', { route })).toBe(4);
    expect(valueOf(samples, 'llm_gateway_time_to_first_token_seconds_count', { model: 'gpt-4o' })).toBe(1);
    expect(valueOf(samples, 'llm_gateway_circuit_state', { deployment: 'openai/gpt-4o' })).toBe(0);
    expect(valueOf(samples, 'llm_gateway_requests_in_flight')).toBe(0);
    expect(samples.some((sample) => sample.name === 'llm_gateway_process_resident_memory_bytes')).toBe(true);
  });

  it('keeps label sets bounded under random paths and model names', async () => {
    const seriesOf = (samples: Awaited<ReturnType<typeof scrape>>) =>
      new Set(
        samples
          .filter(
            (sample) => !sample.name.startsWith('llm_gateway_nodejs') && !sample.name.includes('_process_'),
          )
          .map((sample) => `${sample.name}${JSON.stringify(sample.labels)}`),
      );
    const round = async (tag: string) => {
      for (let index = 0; index < 30; index++) {
        await gateway.app.inject({ url: `/random/${tag}/${index}`, headers: authHeaders() });
        await chat({ model: `made-up-${tag}-${index}` });
        await chat({ model: `openai/invented-${tag}-${index}` });
      }
      return scrape();
    };
    await scrape(); // the scrape itself is counted from the second one on
    const first = seriesOf(await round('a'));
    const second = await round('b');
    // A second round of new paths and names adds no series at all.
    expect(seriesOf(second)).toEqual(first);
    const labelValues = second.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.some((value) => /random|made-up|invented/.test(value))).toBe(false);
    expect(valueOf(second, 'llm_gateway_upstream_attempts_total', { deployment: 'openai/other' })).toBe(60);
  });

  it('counts cache hits and misses, and requests refused by the rate limit', async () => {
    const limited = await buildTestApp({
      env: { CACHE_ENABLED: 'true', RATE_LIMITING_ENABLED: 'true', RATE_LIMIT_CHAT_RPM: '3' },
      configure,
    });
    try {
      const send = () =>
        limited.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { ...authHeaders(), 'content-type': 'application/json' },
          payload: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'cache me' }] }),
        });
      const statuses = [];
      for (let index = 0; index < 4; index++) {
        const response = await send();
        statuses.push(`${response.statusCode} ${response.headers['x-cache']}`);
      }
      expect(statuses).toEqual(['200 MISS', '200 HIT', '200 HIT', '429 BYPASS']);
      const samples = await scrape(limited);
      const route = '/v1/chat/completions';
      expect(valueOf(samples, 'llm_gateway_cache_requests_total', { route, result: 'miss' })).toBe(1);
      expect(valueOf(samples, 'llm_gateway_cache_requests_total', { route, result: 'hit' })).toBe(2);
      expect(valueOf(samples, 'llm_gateway_rate_limited_total', { route })).toBe(1);
      expect(valueOf(samples, 'llm_gateway_upstream_attempts_total', { outcome: 'success' })).toBe(1);
    } finally {
      await limited.close();
    }
  });

  it('shows an open circuit as 2', async () => {
    const broken = await buildTestApp({
      configure: (config) => {
        configure(config);
        config.gateway.routing.retries.maxRetries = 0;
        config.gateway.routing.circuitBreaker.consecutiveFailures = 2;
      },
    });
    for (let index = 0; index < 2; index++)
      primary.enqueue('POST', '/v1/chat/completions', openaiError(503, 'error-server.json'));
    for (let index = 0; index < 2; index++) {
      await broken.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { ...authHeaders(), 'content-type': 'application/json' },
        payload: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
      });
    }
    const samples = await scrape(broken);
    expect(valueOf(samples, 'llm_gateway_circuit_state', { deployment: 'openai/gpt-4o' })).toBe(2);
    await broken.close();
  });

  it('serves the same figures as JSON, behind the keys by default, or open by config', async () => {
    const json = await gateway.app.inject({ url: '/v1/health/metrics', headers: authHeaders() });
    const names = json.json().metrics.map((metric: { name: string }) => metric.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'llm_gateway_requests_total',
        'llm_gateway_tokens_total',
        'llm_gateway_cost_usd_total',
      ]),
    );
    expect((await gateway.app.inject({ url: '/metrics', remoteAddress: '10.0.0.9' })).statusCode).toBe(401);
    expect((await openMetrics.app.inject({ url: '/metrics', remoteAddress: '10.0.0.9' })).statusCode).toBe(
      200,
    );
  });
});
