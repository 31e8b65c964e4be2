import { describe, expect, it } from 'vitest';
import {
  checkTargets,
  renderEventTable,
  renderFirstTokenTable,
  renderMemoryTable,
  renderRunTable,
  renderThreadTable,
  summarizeFirstToken,
  summarizeRuns,
  type RunRecord,
} from '../../bench/report.js';

const MB = 1024 * 1024;

function run(partial: Partial<RunRecord> & Pick<RunRecord, 'target' | 'round'>): RunRecord {
  return {
    workload: 'openai-unary',
    concurrency: 1,
    completed: 1000,
    failed: 0,
    durationSeconds: 1,
    requestsPerSecond: 1000,
    p50Ms: 1,
    p99Ms: 2,
    cpuPerRequestUs: Number.NaN,
    systemCpuPerRequestUs: Number.NaN,
    mainThreadCpuPerRequestUs: Number.NaN,
    peakRssBytes: Number.NaN,
    ...partial,
  };
}

const records: RunRecord[] = [
  run({ target: 'direct', round: 0, p50Ms: 0.2, p99Ms: 0.5 }),
  run({ target: 'direct', round: 1, p50Ms: 0.1, p99Ms: 0.4 }),
  run({ target: 'direct', round: 2, p50Ms: 0.3, p99Ms: 0.9 }),
  run({ target: 'floor', round: 0, p50Ms: 0.3, cpuPerRequestUs: 100, peakRssBytes: 50 * MB }),
  run({ target: 'floor', round: 1, p50Ms: 0.4, cpuPerRequestUs: 120, peakRssBytes: 50 * MB }),
  run({ target: 'floor', round: 2, p50Ms: 0.5, cpuPerRequestUs: 80, peakRssBytes: 50 * MB }),
  run({
    target: 'gateway',
    round: 0,
    p50Ms: 0.6,
    p99Ms: 1.5,
    cpuPerRequestUs: 150,
    peakRssBytes: 90 * MB,
    allocatedPerRequestBytes: 40 * 1024,
    meanHeapUsedBytes: 60 * MB,
    gcPerRequestUs: 12,
  }),
  run({
    target: 'gateway',
    round: 1,
    p50Ms: 0.45,
    p99Ms: 1.0,
    cpuPerRequestUs: 130,
    peakRssBytes: 95 * MB,
    allocatedPerRequestBytes: 50 * 1024,
    meanHeapUsedBytes: 80 * MB,
    gcPerRequestUs: 20,
  }),
  run({
    target: 'gateway',
    round: 2,
    p50Ms: 0.4,
    p99Ms: 3.0,
    cpuPerRequestUs: 170,
    failed: 2,
    peakRssBytes: 95 * MB,
    allocatedPerRequestBytes: 45 * 1024,
    meanHeapUsedBytes: 70 * MB,
    gcPerRequestUs: 16,
  }),
];

describe('summarizeRuns', () => {
  it('takes medians over rounds, overhead against direct and CPU against the floor', () => {
    const [cell] = summarizeRuns(records);
    expect(cell!.targets.direct!.p50Ms).toBe(0.2);
    expect(cell!.targets.gateway!.p50Ms).toBe(0.45);
    expect(cell!.overheadP50Ms).toBeCloseTo(0.25, 10);
    expect(cell!.overheadP99Ms).toBeCloseTo(1.5 - 0.5, 10);
    expect(cell!.targets.floor!.cpuPerRequestUs).toBe(100);
    expect(cell!.cpuRatio).toBeCloseTo(1.5, 10);
    expect(cell!.targets.gateway!.peakRssBytes).toBe(95 * MB);
    expect(cell!.targets.gateway!.failed).toBe(2);
  });

  it('keeps one cell per workload and concurrency, in the order measured', () => {
    const more = [
      ...records,
      ...records.map((record) => ({ ...record, concurrency: 64 })),
      ...records.map((record) => ({ ...record, workload: 'embeddings' as const })),
    ];
    expect(summarizeRuns(more).map((cell) => `${cell.workload}@${cell.concurrency}`)).toEqual([
      'openai-unary@1',
      'openai-unary@64',
      'embeddings@1',
    ]);
  });
});

describe('checkTargets', () => {
  it('judges each target on the worst concurrency, and says what was not measured', () => {
    const cells = summarizeRuns([
      ...records,
      ...records.map((record) =>
        record.target === 'gateway'
          ? { ...record, concurrency: 64, cpuPerRequestUs: 90 }
          : { ...record, concurrency: 64 },
      ),
    ]);
    const firstToken = summarizeFirstToken([
      { workload: 'openai-stream', target: 'direct', round: 0, firstByteP50Ms: 0.5, firstByteP99Ms: 1 },
      { workload: 'openai-stream', target: 'gateway', round: 0, firstByteP50Ms: 0.8, firstByteP99Ms: 2 },
    ]);
    const checks = checkTargets(cells, firstToken);
    const byTarget = (text: string) => checks.find((check) => check.target.startsWith(text))!;
    expect(byTarget('Unary chat, OpenAI: CPU')).toMatchObject({ measured: '1.50×', met: true });
    // Gateway p50 0.45 ms against the floor's 0.4 ms; first byte 0.8 ms, the floor not probed.
    expect(byTarget('Unary chat, OpenAI: p50 over the floor')).toMatchObject({
      measured: '0.050 ms',
      met: true,
    });
    expect(byTarget('Streamed chat, OpenAI: time')).toMatchObject({ measured: 'not measured', met: null });
    expect(byTarget('Streamed chat, OpenAI: CPU')).toMatchObject({ measured: 'not measured', met: null });
    // 95 MB against the floor's 50 MB.
    expect(byTarget('Peak RSS')).toMatchObject({ measured: '1.90×', met: false });
    expect(byTarget('RSS after start')).toMatchObject({ measured: 'not measured', met: null });
    expect(
      checkTargets(cells, firstToken, { gateway: 60 * MB, floor: 50 * MB }).find((check) =>
        check.target.startsWith('RSS after start'),
      ),
    ).toMatchObject({ measured: '1.20×', met: true });
  });

  it('fails a target the run missed', () => {
    const cells = summarizeRuns(
      records.map((record) => ({
        ...record,
        cpuPerRequestUs: record.cpuPerRequestUs * (record.target === 'gateway' ? 2 : 1),
      })),
    );
    expect(
      checkTargets(cells, []).find((check) => check.target.startsWith('Unary chat, OpenAI: CPU')),
    ).toMatchObject({
      measured: '3.00×',
      met: false,
    });
  });

  it('holds the doors and the Responses translation to 2× the floor', () => {
    const cells = summarizeRuns(
      records.map((record) => ({
        ...record,
        workload: 'responses-stream' as const,
        cpuPerRequestUs: record.cpuPerRequestUs * (record.target === 'gateway' ? 1.3 : 1),
      })),
    );
    // Gateway 1.5× the floor's, times 1.3.
    expect(
      checkTargets(cells, []).find((check) => check.target.startsWith('Responses API translated, streamed')),
    ).toMatchObject({
      target: expect.stringContaining('≤ 2× floor') as unknown,
      measured: '1.95×',
      met: true,
    });
  });
});

describe('rendering', () => {
  it('gives streams their CPU per event, gateway and floor', () => {
    const cells = summarizeRuns(records.map((record) => ({ ...record, workload: 'openai-stream' as const })));
    const rows = renderEventTable(cells, 20, new Set(['openai-stream'])).split('\n');
    // Medians: floor 100 µs, gateway 150 µs per stream of 20 events.
    expect(rows[2]).toBe('| openai-stream | 1 | 5.0 / 7.5 | 2.5 |');
    expect(renderEventTable(cells, 20, new Set(['gemini-stream'])).split('\n')).toHaveLength(2);
  });

  it("splits the gateway's CPU between its event loop and its other threads", () => {
    const split = records.map((record) =>
      record.target === 'gateway'
        ? { ...record, mainThreadCpuPerRequestUs: record.cpuPerRequestUs - 20 }
        : record,
    );
    const rows = renderThreadTable(summarizeRuns(split)).split('\n');
    expect(rows).toHaveLength(3);
    // Medians: 150 µs in all, 130 µs on the event loop.
    expect(rows[2]).toBe('| openai-unary | 1 | 150 | 130 | 20 |');
  });

  it('writes one table row per cell, with failures named', () => {
    const table = renderRunTable(summarizeRuns(records));
    const rows = table.split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[2]).toBe(
      '| openai-unary (gateway: 2 failed) | 1 | 1000 / 1000 / 1000 | 0.200 / 0.400 / 0.450 | 0.500 / 2.000 / 1.500 | ' +
        '+0.250 / +1.000 | +0.050 | 100 / 150 | 1.50× | 95 |',
    );
  });

  it('writes the first-token table with the overhead against direct', () => {
    const table = renderFirstTokenTable(
      summarizeFirstToken([
        { workload: 'gemini-stream', target: 'direct', round: 0, firstByteP50Ms: 0.5, firstByteP99Ms: 1 },
        { workload: 'gemini-stream', target: 'gateway', round: 0, firstByteP50Ms: 0.75, firstByteP99Ms: 2 },
      ]),
    );
    expect(table.split('\n')[2]).toBe(
      '| gemini-stream | 0.500 / – / 0.750 | 1.000 / – / 2.000 | +0.250 | – |',
    );
  });
});

describe('renderMemoryTable', () => {
  it('puts the floor and the gateway side by side: peak RSS, medians of heap, allocation and GC', () => {
    const table = renderMemoryTable(summarizeRuns(records));
    // The floor's runs have no heap figures (saved before the probe existed): shown as '–'.
    expect(table.split('\n')[2]).toBe('| openai-unary | 1 | 50 / 95 | – / 70.0 | – / 45.0 | – / 16.0 |');
  });
});
