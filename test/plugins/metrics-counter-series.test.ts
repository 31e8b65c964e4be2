import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectHeld, counterSeries } from '../../plugins/metrics.js';

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
