import { describe, expect, it } from 'vitest';
import { parseBenchArguments } from '../../bench/arguments.js';
import { renderBenchResults, type BenchResults } from '../../bench/render-results.js';
import type { RunRecord } from '../../bench/report.js';

function run(target: RunRecord['target'], p50Ms: number, cpuPerRequestUs: number): RunRecord {
  return {
    workload: 'openai-unary',
    target,
    concurrency: 1,
    round: 0,
    completed: 500,
    failed: 0,
    durationSeconds: 1,
    requestsPerSecond: 500,
    p50Ms,
    p99Ms: p50Ms * 3,
    cpuPerRequestUs,
    systemCpuPerRequestUs: cpuPerRequestUs / 4,
    mainThreadCpuPerRequestUs: cpuPerRequestUs * 0.75,
    peakRssBytes: target === 'direct' ? Number.NaN : 100 * 1024 * 1024,
    allocatedPerRequestBytes: target === 'direct' ? Number.NaN : cpuPerRequestUs * 512,
    meanHeapUsedBytes: target === 'direct' ? Number.NaN : cpuPerRequestUs * 1024 * 1024,
    gcPerRequestUs: target === 'direct' ? Number.NaN : cpuPerRequestUs / 10,
  };
}

const results: BenchResults = {
  kind: 'bench',
  finishedAt: '2026-01-01T00:00:00.000Z',
  arguments: parseBenchArguments(['--quick']),
  machine: {
    cpuModel: 'Test CPU',
    cpus: 2,
    memoryGiB: 8,
    kernel: '6.1',
    node: 'v24.0.0',
    autocannon: '9.0.0',
    pinning: 'none',
  },
  loadAverage: { before: [1, 1, 1], after: [2, 2, 2] },
  accessLog: { bytes: 4000, lines: 10 },
  startRssBytes: { gateway: 90 * 1024 * 1024, floor: 45 * 1024 * 1024 },
  runs: [run('direct', 0.2, Number.NaN), run('floor', 0.3, 100), run('gateway', 0.5, 180)],
  firstToken: [],
};

describe('renderBenchResults', () => {
  it('renders the machine, the settings, the table and the targets from the saved results alone', () => {
    const { markdown, targets } = renderBenchResults(results);
    expect(markdown).toContain('# Gateway benchmark, 2026-01-01T00:00:00.000Z');
    expect(markdown).toContain('- Machine: Test CPU, 2 CPUs, 8 GiB, Linux 6.1');
    expect(markdown).toContain('read the figures as ratios');
    expect(markdown).toContain('- Load average (1/5/15 min) before: 1.00 1.00 1.00, after: 2.00 2.00 2.00');
    expect(markdown).toContain('- RSS after start, before any request: gateway 90 MB, floor 45 MB');
    expect(markdown).toContain('- Access log: 400 bytes per line, 10 lines written to a file');
    expect(markdown).toContain(
      '| openai-unary | 1 | 500 / 500 / 500 | 0.200 / 0.300 / 0.500 | 0.600 / 0.900 / 1.500 | +0.300 / +0.900 | +0.200 | 100 / 180 | 1.80× | 100 |',
    );
    expect(markdown).toContain('## Memory');
    expect(markdown).toContain(
      '| openai-unary | 1 | 100 / 100 | 100.0 / 180.0 | 50.0 / 90.0 | 10.0 / 18.0 |',
    );
    expect(targets.find((check) => check.target.startsWith('Unary chat, OpenAI: CPU'))?.met).toBe(false);
  });

  it('names the environment the gateway was given, and says nothing when there was none', () => {
    expect(renderBenchResults(results).markdown).not.toContain('Gateway environment added');
    const tuned = {
      ...results,
      arguments: { ...results.arguments, gatewayEnvironment: { NODE_OPTIONS: '--max-semi-space-size=8' } },
    };
    expect(renderBenchResults(tuned).markdown).toContain(
      '- Gateway environment added: `NODE_OPTIONS=--max-semi-space-size=8`',
    );
  });

  it("ends with the semantic cache's report, its headings a level down, when the run has one", () => {
    expect(renderBenchResults(results).markdown).not.toContain('Semantic cache');
    const report =
      '## Semantic cache: hits\n\n| threshold |\n\n## Semantic cache: one lookup\n\n| entries |\n';
    const markdown = renderBenchResults({ ...results, semanticReport: report }).markdown;
    expect(markdown).toContain('## Semantic cache\n\n### Semantic cache: hits');
    expect(markdown).toContain('### Semantic cache: one lookup');
    expect(markdown.indexOf('## Targets')).toBeLessThan(markdown.indexOf('## Semantic cache'));
  });
});
