/**
 * From measured runs to the figures the benchmark reports: medians over interleaved rounds, overhead
 * against direct, CPU per request as a multiple of the floor's, the targets of the performance work,
 * and the markdown table. Pure: the runner measures, this module only computes and renders.
 */
import { median } from './statistics.js';
import type { WorkloadId } from './arguments.js';
import type { TargetKind } from './workloads.js';

/** One measured run: one workload, one target, one concurrency, one round. */
export interface RunRecord {
  workload: WorkloadId;
  target: TargetKind;
  concurrency: number;
  round: number;
  completed: number;
  failed: number;
  durationSeconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the measured process (floor or gateway) per 2xx answer, µs; NaN for direct. */
  cpuPerRequestUs: number;
  /** The part of it spent in the kernel (stime), µs. */
  systemCpuPerRequestUs: number;
  /** The part of it spent on the main thread (the event loop), µs; the rest went to worker threads. */
  mainThreadCpuPerRequestUs: number;
  /** Peak RSS of the measured process over the workload at this concurrency, bytes; NaN for direct. */
  peakRssBytes: number;
  /**
   * V8 heap allocated per 2xx answer, bytes (bench/heap-probe.mjs); NaN where not measured, absent in
   * runs saved before the probe existed (as are the two below).
   */
  allocatedPerRequestBytes?: number;
  /** V8 heap in use over the run, mean of samples, bytes. */
  meanHeapUsedBytes?: number;
  /** Garbage collection on the main thread per 2xx answer, µs. */
  gcPerRequestUs?: number;
}

/** One round of the time-to-first-token probe (one connection, sequential requests). */
export interface FirstTokenRecord {
  workload: WorkloadId;
  target: TargetKind;
  round: number;
  firstByteP50Ms: number;
  firstByteP99Ms: number;
}

export interface TargetFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuPerRequestUs: number;
  mainThreadCpuPerRequestUs: number;
  peakRssBytes: number;
  allocatedPerRequestBytes: number;
  meanHeapUsedBytes: number;
  gcPerRequestUs: number;
  failed: number;
}

export interface CellSummary {
  workload: WorkloadId;
  concurrency: number;
  targets: Partial<Record<TargetKind, TargetFigures>>;
  /** Gateway minus direct, ms. */
  overheadP50Ms: number;
  overheadP99Ms: number;
  /**
   * Gateway minus floor, p50, ms: the gateway's own cost once the price of any second process on the
   * path (a hop, and its scheduling on a busy machine) is taken out.
   */
  overFloorP50Ms: number;
  /** Gateway CPU per request over the floor's. */
  cpuRatio: number;
}

export interface FirstTokenSummary {
  workload: WorkloadId;
  targets: Partial<Record<TargetKind, { p50Ms: number; p99Ms: number }>>;
  /** Gateway minus direct, median time to first byte, ms. */
  overheadMs: number;
  /** Gateway minus floor, ms. */
  overFloorMs: number;
}

function summarizeTarget(records: RunRecord[]): TargetFigures {
  return {
    requestsPerSecond: median(records.map((record) => record.requestsPerSecond)),
    p50Ms: median(records.map((record) => record.p50Ms)),
    p99Ms: median(records.map((record) => record.p99Ms)),
    cpuPerRequestUs: median(records.map((record) => record.cpuPerRequestUs)),
    mainThreadCpuPerRequestUs: median(records.map((record) => record.mainThreadCpuPerRequestUs)),
    peakRssBytes: Math.max(...records.map((record) => record.peakRssBytes)),
    allocatedPerRequestBytes: median(records.map((record) => record.allocatedPerRequestBytes ?? Number.NaN)),
    meanHeapUsedBytes: median(records.map((record) => record.meanHeapUsedBytes ?? Number.NaN)),
    gcPerRequestUs: median(records.map((record) => record.gcPerRequestUs ?? Number.NaN)),
    failed: records.reduce((sum, record) => sum + record.failed, 0),
  };
}

/** Medians over rounds for each workload and concurrency, in the order first measured. */
export function summarizeRuns(records: RunRecord[]): CellSummary[] {
  const cells = new Map<string, CellSummary>();
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const cellKey = `${record.workload}|${record.concurrency}`;
    if (!cells.has(cellKey)) {
      cells.set(cellKey, {
        workload: record.workload,
        concurrency: record.concurrency,
        targets: {},
        overheadP50Ms: Number.NaN,
        overheadP99Ms: Number.NaN,
        overFloorP50Ms: Number.NaN,
        cpuRatio: Number.NaN,
      });
    }
    const groupKey = `${cellKey}|${record.target}`;
    groups.set(groupKey, [...(groups.get(groupKey) ?? []), record]);
  }
  for (const [groupKey, group] of groups) {
    const [workload, concurrency, target] = groupKey.split('|') as [string, string, TargetKind];
    cells.get(`${workload}|${concurrency}`)!.targets[target] = summarizeTarget(group);
  }
  for (const cell of cells.values()) {
    const { direct, floor, gateway } = cell.targets;
    if (direct && gateway) {
      cell.overheadP50Ms = gateway.p50Ms - direct.p50Ms;
      cell.overheadP99Ms = gateway.p99Ms - direct.p99Ms;
    }
    if (floor && gateway) {
      cell.cpuRatio = gateway.cpuPerRequestUs / floor.cpuPerRequestUs;
      cell.overFloorP50Ms = gateway.p50Ms - floor.p50Ms;
    }
  }
  return [...cells.values()];
}

export function summarizeFirstToken(records: FirstTokenRecord[]): FirstTokenSummary[] {
  const workloads = [...new Set(records.map((record) => record.workload))];
  return workloads.map((workload) => {
    const targets: FirstTokenSummary['targets'] = {};
    for (const target of ['direct', 'floor', 'gateway'] as const) {
      const own = records.filter((record) => record.workload === workload && record.target === target);
      if (own.length === 0) continue;
      targets[target] = {
        p50Ms: median(own.map((record) => record.firstByteP50Ms)),
        p99Ms: median(own.map((record) => record.firstByteP99Ms)),
      };
    }
    const overheadMs =
      targets.gateway && targets.direct ? targets.gateway.p50Ms - targets.direct.p50Ms : Number.NaN;
    const overFloorMs =
      targets.gateway && targets.floor ? targets.gateway.p50Ms - targets.floor.p50Ms : Number.NaN;
    return { workload, targets, overheadMs, overFloorMs };
  });
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** null when the run did not measure it. */
  met: boolean | null;
}

const MEGABYTE = 1024 * 1024;

/**
 * The performance targets, each against what this run measured (the worst concurrency counts):
 * CPU per request against the floor's, the gateway's latency over the floor's at one connection,
 * and memory against the floor's under the same workload.
 */
export function checkTargets(
  cells: CellSummary[],
  firstToken: FirstTokenSummary[],
  startRssBytes?: { gateway: number; floor: number },
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const worstRatio = (workload: WorkloadId) => {
    const ratios = cells
      .filter((cell) => cell.workload === workload && Number.isFinite(cell.cpuRatio))
      .map((cell) => cell.cpuRatio);
    return ratios.length > 0 ? Math.max(...ratios) : Number.NaN;
  };
  const ratioCheck = (workload: WorkloadId, limit: number, label: string) => {
    const ratio = worstRatio(workload);
    checks.push({
      target: `${label}: CPU per request ≤ ${limit}× floor`,
      measured: Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'not measured',
      met: Number.isFinite(ratio) ? ratio <= limit : null,
    });
  };
  ratioCheck('openai-unary', 1.5, 'Unary chat, OpenAI');
  ratioCheck('openai-stream', 1.5, 'Streamed chat, OpenAI');
  ratioCheck('openai-stream-burst', 1.5, 'Streamed chat arriving in one read, OpenAI');
  ratioCheck('openai-stream-paced', 1.5, 'Streamed chat arriving paced, OpenAI');
  ratioCheck('gemini-unary', 2, 'Unary chat, Gemini');
  ratioCheck('gemini-stream', 2, 'Streamed chat, Gemini');
  ratioCheck('anthropic-unary', 2, 'Unary chat, Anthropic');
  ratioCheck('anthropic-stream', 2, 'Streamed chat, Anthropic');
  ratioCheck('anthropic-door-unary', 2, 'Anthropic API in, unary');
  ratioCheck('anthropic-door-stream', 2, 'Anthropic API in, streamed');
  ratioCheck('gemini-door-unary', 2, 'Gemini API in, unary');
  ratioCheck('gemini-door-stream', 2, 'Gemini API in, streamed');
  ratioCheck('responses-unary', 2, 'Responses API translated, unary');
  ratioCheck('responses-stream', 2, 'Responses API translated, streamed');

  const single = cells.find((cell) => cell.workload === 'openai-unary' && cell.concurrency === 1);
  const overFloor = single?.overFloorP50Ms ?? Number.NaN;
  checks.push({
    target: 'Unary chat, OpenAI: p50 over the floor < 0.1 ms at 1 connection',
    measured: Number.isFinite(overFloor) ? `${overFloor.toFixed(3)} ms` : 'not measured',
    met: Number.isFinite(overFloor) ? overFloor < 0.1 : null,
  });

  const ttft = firstToken.find((summary) => summary.workload === 'openai-stream')?.overFloorMs ?? Number.NaN;
  checks.push({
    target: 'Streamed chat, OpenAI: time to first token over the floor < 0.1 ms',
    measured: Number.isFinite(ttft) ? `${ttft.toFixed(3)} ms` : 'not measured',
    met: Number.isFinite(ttft) ? ttft < 0.1 : null,
  });

  const rssRatios = cells
    .map(
      (cell) =>
        (cell.targets.gateway?.peakRssBytes ?? Number.NaN) / (cell.targets.floor?.peakRssBytes ?? Number.NaN),
    )
    .filter((ratio) => Number.isFinite(ratio));
  const worstRss = rssRatios.length > 0 ? Math.max(...rssRatios) : Number.NaN;
  checks.push({
    target: "Peak RSS under each workload ≤ 1.25× the floor's",
    measured: Number.isFinite(worstRss) ? `${worstRss.toFixed(2)}×` : 'not measured',
    met: Number.isFinite(worstRss) ? worstRss <= 1.25 : null,
  });

  const startRatio = startRssBytes ? startRssBytes.gateway / startRssBytes.floor : Number.NaN;
  checks.push({
    target: "RSS after start ≤ 1.3× the floor's",
    measured: Number.isFinite(startRatio) ? `${startRatio.toFixed(2)}×` : 'not measured',
    met: Number.isFinite(startRatio) ? startRatio <= 1.3 : null,
  });
  return checks;
}

/**
 * CPU per streamed event, gateway and floor: what relaying one event costs, so streams of any
 * length can be weighed (a stream's CPU over its number of events).
 */
export function renderEventTable(
  cells: CellSummary[],
  eventsPerStream: number,
  streamed: ReadonlySet<WorkloadId>,
): string {
  const rows = cells
    .filter((cell) => streamed.has(cell.workload) && cell.targets.gateway && cell.targets.floor)
    .map((cell) => {
      const floor = cell.targets.floor!.cpuPerRequestUs / eventsPerStream;
      const gateway = cell.targets.gateway!.cpuPerRequestUs / eventsPerStream;
      return `| ${cell.workload} | ${cell.concurrency} | ${floor.toFixed(1)} / ${gateway.toFixed(1)} | ${(gateway - floor).toFixed(1)} |`;
    });
  return [
    '| Workload | Conns | CPU µs/event floor / gateway | Gateway minus floor µs/event |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/**
 * The gateway's CPU per request split by thread: the event loop, which every request waits on, and
 * the worker threads beside it (the store's SQLite writer, the garbage collector's helpers), which
 * hold no request up unless they share its core (as under the benchmark's pinning).
 */
export function renderThreadTable(cells: CellSummary[]): string {
  const rows = cells
    .filter((cell) => cell.targets.gateway)
    .map((cell) => {
      const gateway = cell.targets.gateway!;
      return (
        `| ${cell.workload} | ${cell.concurrency} | ${fixed(gateway.cpuPerRequestUs, 0)} | ` +
        `${fixed(gateway.mainThreadCpuPerRequestUs, 0)} | ` +
        `${fixed(gateway.cpuPerRequestUs - gateway.mainThreadCpuPerRequestUs, 0)} |`
      );
    });
  return [
    '| Workload | Conns | Gateway CPU µs/request | Event-loop thread | Other threads |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

/**
 * Memory under each workload, floor and gateway side by side: peak RSS, the V8 heap in use (mean over
 * the run), the heap allocated per answer and the collector's main-thread time per answer.
 */
export function renderMemoryTable(cells: CellSummary[]): string {
  const pair = (cell: CellSummary, pick: (figures: TargetFigures) => number, digits: number) =>
    triple(cell.targets, pick, digits, ['floor', 'gateway']);
  const rows = cells
    .filter((cell) => cell.targets.gateway)
    .map(
      (cell) =>
        `| ${cell.workload} | ${cell.concurrency} | ` +
        `${pair(cell, (figures) => figures.peakRssBytes / MEGABYTE, 0)} | ` +
        `${pair(cell, (figures) => figures.meanHeapUsedBytes / MEGABYTE, 1)} | ` +
        `${pair(cell, (figures) => figures.allocatedPerRequestBytes / 1024, 1)} | ` +
        `${pair(cell, (figures) => figures.gcPerRequestUs, 1)} |`,
    );
  return [
    '| Workload | Conns | Peak RSS MB floor / gateway | V8 heap in use MB floor / gateway | Allocated KB/request floor / gateway | GC µs/request floor / gateway |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

// ---- rendering ---------------------------------------------------------------------------------

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function triple(
  targets: CellSummary['targets'],
  pick: (figures: TargetFigures) => number,
  digits: number,
  kinds: readonly TargetKind[] = ['direct', 'floor', 'gateway'],
): string {
  return kinds.map((kind) => fixed(targets[kind] ? pick(targets[kind]) : undefined, digits)).join(' / ');
}

function signed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return '–';
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

export function renderRunTable(cells: CellSummary[]): string {
  const lines = [
    '| Workload | Conns | Requests/s direct / floor / gateway | p50 ms direct / floor / gateway | p99 ms direct / floor / gateway | Gateway overhead p50 / p99 ms | p50 over floor ms | CPU µs/request floor / gateway | CPU × floor | Peak RSS MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const cell of cells) {
    const failed = (['direct', 'floor', 'gateway'] as const)
      .map((kind) => [kind, cell.targets[kind]?.failed ?? 0] as const)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${kind}: ${count} failed`);
    lines.push(
      `| ${cell.workload}${failed.length > 0 ? ` (${failed.join(', ')})` : ''} | ${cell.concurrency} | ` +
        `${triple(cell.targets, (figures) => figures.requestsPerSecond, 0)} | ` +
        `${triple(cell.targets, (figures) => figures.p50Ms, 3)} | ` +
        `${triple(cell.targets, (figures) => figures.p99Ms, 3)} | ` +
        `${signed(cell.overheadP50Ms, 3)} / ${signed(cell.overheadP99Ms, 3)} | ` +
        `${signed(cell.overFloorP50Ms, 3)} | ` +
        `${triple(cell.targets, (figures) => figures.cpuPerRequestUs, 0, ['floor', 'gateway'])} | ` +
        `${fixed(cell.cpuRatio, 2)}× | ` +
        `${fixed((cell.targets.gateway?.peakRssBytes ?? Number.NaN) / MEGABYTE, 0)} |`,
    );
  }
  return lines.join('\n');
}

export function renderFirstTokenTable(summaries: FirstTokenSummary[]): string {
  const lines = [
    '| Workload | First byte p50 ms direct / floor / gateway | p99 ms direct / floor / gateway | Gateway overhead p50 ms | Over floor ms |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const summary of summaries) {
    const pick = (key: 'p50Ms' | 'p99Ms') =>
      (['direct', 'floor', 'gateway'] as const)
        .map((kind) => fixed(summary.targets[kind]?.[key], 3))
        .join(' / ');
    lines.push(
      `| ${summary.workload} | ${pick('p50Ms')} | ${pick('p99Ms')} | ${signed(summary.overheadMs, 3)} | ` +
        `${signed(summary.overFloorMs, 3)} |`,
    );
  }
  return lines.join('\n');
}

export function renderTargetTable(checks: TargetCheck[]): string {
  const lines = ['| Target | Measured | Met |', '| --- | ---: | :---: |'];
  for (const check of checks) {
    lines.push(
      `| ${check.target} | ${check.measured} | ${check.met === null ? '–' : check.met ? 'yes' : 'no'} |`,
    );
  }
  return lines.join('\n');
}
