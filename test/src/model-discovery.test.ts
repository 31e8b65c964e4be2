/**
 * The discovery runner over fake adapters and a hand-driven scheduler: models asked of each
 * configured instance that discovers at start, again at each refresh, one request at a time per
 * instance, the models found before kept when a server fails.
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog.js';
import { ModelDiscoveryRunner } from '../../src/model-discovery.js';
import type { DiscoveredModel, ProviderAdapter, ProviderInstance } from '../../src/provider.js';
import { instance } from '../helpers/deployments.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function recordingLog(lines: LogLine[]) {
  const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, fields, message });
  return { info: at('info'), debug: at('debug'), warn: at('warn') } as never;
}

/** An instance whose server answers with `answers`, in turn (an Error is a failure). */
function discovering(
  id: string,
  answers: (DiscoveredModel[] | Error)[],
  refreshMs = 60_000,
  configured = true,
) {
  const calls: AbortSignal[] = [];
  const adapter = {
    modelDiscovery: {
      refreshMs,
      async discover(signal: AbortSignal) {
        calls.push(signal);
        const answer = answers.shift() ?? [];
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
  } as unknown as ProviderAdapter;
  const provider: ProviderInstance = { ...instance(id, configured), adapter };
  return { provider, calls };
}

function runner(
  instances: ProviderInstance[],
  catalog: Catalog,
  lines: LogLine[],
  scheduler: ManualScheduler,
) {
  return new ModelDiscoveryRunner(
    { configured: () => instances.filter((each) => each.configured) },
    catalog,
    recordingLog(lines),
    {
      scheduler,
    },
  );
}

describe('ModelDiscoveryRunner', () => {
  it('discovers at start, then at each refresh of each instance', async () => {
    const vllm = discovering('vllm', [[{ id: 'a' }], [{ id: 'b' }, { id: 'c' }]], 30_000);
    const plain = instance('openai');
    const offline = discovering('offline', [[{ id: 'x' }]], 60_000, false);
    const catalog = new Catalog([]);
    const lines: LogLine[] = [];
    const scheduler = new ManualScheduler();
    const discovery = runner([vllm.provider, plain, offline.provider], catalog, lines, scheduler);
    expect(discovery.instances).toEqual(['vllm']);
    await discovery.start();
    expect(catalog.discovered().map((model) => model.name)).toEqual(['vllm/a']);
    expect(scheduler.intervals()).toEqual([30_000]);
    await scheduler.tick();
    expect(catalog.discovered().map((model) => model.name)).toEqual(['vllm/b', 'vllm/c']);
    expect(offline.calls).toHaveLength(0);
    expect(lines.filter((line) => line.message === 'models discovered').map((line) => line.fields)).toEqual([
      { provider: 'vllm', models: ['a'] },
      { provider: 'vllm', models: ['b', 'c'] },
    ]);
    discovery.close();
    expect(scheduler.intervals()).toEqual([]);
  });

  it('keeps the models found before when a server fails, and says so', async () => {
    const vllm = discovering('vllm', [
      [{ id: 'a' }],
      new Error('The provider vllm could not be reached (ECONNREFUSED).'),
      [{ id: 'a' }],
    ]);
    const catalog = new Catalog([]);
    const lines: LogLine[] = [];
    const scheduler = new ManualScheduler();
    const discovery = runner([vllm.provider], catalog, lines, scheduler);
    await discovery.start();
    await scheduler.tick();
    expect(catalog.discovered().map((model) => model.name)).toEqual(['vllm/a']);
    expect(lines.find((line) => line.level === 'warn')).toMatchObject({
      fields: { provider: 'vllm', kept: 1, error: expect.stringContaining('ECONNREFUSED') },
      message: 'model discovery failed: the models found before are kept',
    });
    await scheduler.tick();
    // Unchanged: said at debug level only.
    expect(lines.at(-1)).toMatchObject({ level: 'debug', message: 'models discovered, unchanged' });
    discovery.close();
  });

  it('asks once per instance at a time, and abandons what is under way on close', async () => {
    let answer!: (models: DiscoveredModel[]) => void;
    const signals: AbortSignal[] = [];
    const adapter = {
      modelDiscovery: {
        refreshMs: 60_000,
        discover: (signal: AbortSignal) => {
          signals.push(signal);
          return new Promise<DiscoveredModel[]>((resolve) => (answer = resolve));
        },
      },
    } as unknown as ProviderAdapter;
    const catalog = new Catalog([]);
    const discovery = runner([{ ...instance('ollama'), adapter }], catalog, [], new ManualScheduler());
    const first = discovery.refresh();
    const second = discovery.refresh('ollama');
    expect(signals).toHaveLength(1);
    answer([{ id: 'llama3.2:latest' }]);
    await Promise.all([first, second]);
    expect(catalog.findDiscovered('llama3.2:latest')).toBeDefined();
    void discovery.refresh();
    discovery.close();
    expect(signals[1]?.aborted).toBe(true);
  });
});
