import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectHeld, counterSeries, histogramSeries } from '../../plugins/metrics.js';

function tokensCounter(held: boolean) {
  const registry = new Registry();
  const counter = new Counter({
    name: 'test_tokens_total',
    help: 'Tokens',
    labelNames: ['provider', 'kind'],
    registers: [registry],
    ...(held ? { collect: collectHeld } : {}),
  });
  return { registry, counter };
}

describe('counter series held until the registry is read', () => {
  it('renders what increments made on prom-client directly render, zero increments included', async () => {
    const direct = tokensCounter(false);
    const held = tokensCounter(true);
    const series = counterSeries(held.counter);

    const steps: [string, string, number | undefined][] = [
      ['openai', 'prompt', 12],
      ['openai', 'completion', 0],
      ['gemini', 'prompt', undefined],
      ['openai', 'prompt', 3.5],
    ];
    for (const [provider, kind, value] of steps) {
      direct.counter.labels(provider, kind).inc(value);
      series(provider, kind).inc(value);
    }
    const text = await held.registry.metrics();
    expect(text).toBe(await direct.registry.metrics());
    expect(text).toContain('test_tokens_total{provider="openai",kind="prompt"} 15.5');
    expect(text).toContain('test_tokens_total{provider="openai",kind="completion"} 0');
    // Read again: what was handed over is not handed over twice.
    expect(await held.registry.metrics()).toBe(text);

    direct.counter.labels('gemini', 'prompt').inc(2);
    series('gemini', 'prompt').inc(2);
    direct.counter.inc({ provider: 'gemini', kind: 'prompt' }, 4);
    held.counter.inc({ provider: 'gemini', kind: 'prompt' }, 4);
    expect(await held.registry.getMetricsAsJSON()).toEqual(await direct.registry.getMetricsAsJSON());
    expect(await held.registry.metrics()).toContain('test_tokens_total{provider="gemini",kind="prompt"} 7');
  });

  it('refuses a negative or non-finite increment when it is made, as prom-client does', () => {
    const series = counterSeries(tokensCounter(true).counter);
    expect(() => series('openai', 'prompt').inc(-1)).toThrow(TypeError);
    expect(() => series('openai', 'prompt').inc(Number.NaN)).toThrow(TypeError);
  });
});

function durationHistogram() {
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'test_duration_seconds',
    help: 'Durations',
    labelNames: ['route', 'status_class'],
    buckets: [0.005, 0.01, 0.1, 1, 10],
    registers: [registry],
  });
  return { registry, histogram };
}

describe("histogram series written to prom-client's record", () => {
  it('renders what observations made on prom-client directly render, across resets', async () => {
    const direct = durationHistogram();
    const written = durationHistogram();
    const series = histogramSeries(written.histogram);
    const steps: [string, string, number][] = [
      ['/v1/chat/completions', '2xx', 0.003],
      ['/v1/chat/completions', '2xx', 0.005],
      ['/v1/chat/completions', '5xx', 0.0051],
      ['/v1/messages', '2xx', 42],
      ['/v1/chat/completions', '2xx', 0.7],
      ['/v1/messages', '2xx', 0],
    ];
    const observeAll = () => {
      for (const [route, statusClass, value] of steps) {
        direct.histogram.labels(route, statusClass).observe(value);
        series(route, statusClass).observe(value);
      }
    };
    observeAll();
    const text = await written.registry.metrics();
    expect(text).toBe(await direct.registry.metrics());
    expect(text).toContain(
      'test_duration_seconds_bucket{le="0.005",route="/v1/chat/completions",status_class="2xx"} 2',
    );
    expect(text).toContain(
      'test_duration_seconds_bucket{le="+Inf",route="/v1/messages",status_class="2xx"} 2',
    );
    expect(text).toContain('test_duration_seconds_sum{route="/v1/messages",status_class="2xx"} 42');
    expect(await written.registry.getMetricsAsJSON()).toEqual(await direct.registry.getMetricsAsJSON());

    // After a reset the series find their new record, and direct observations add to the same one.
    direct.registry.resetMetrics();
    written.registry.resetMetrics();
    observeAll();
    direct.histogram.observe({ route: '/v1/messages', status_class: '2xx' }, 3);
    written.histogram.observe({ route: '/v1/messages', status_class: '2xx' }, 3);
    expect(await written.registry.metrics()).toBe(await direct.registry.metrics());
  });

  it('refuses a non-finite observation when it is made, as prom-client does', () => {
    const series = histogramSeries(durationHistogram().histogram);
    expect(() => series('/v1/chat/completions', '2xx').observe(Number.NaN)).toThrow(TypeError);
    expect(() => series('/v1/chat/completions', '2xx').observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});
