/**
 * A benchmark run's results as saved (JSON) and as read (markdown). The markdown is made from the
 * JSON alone, so `npm run bench -- --render <file.json>` can redo it for an earlier run.
 */
import type { BenchArguments } from './arguments.js';
import { renderMachine, type MachineDescription } from './describe-machine.js';
import {
  checkTargets,
  renderEventTable,
  renderThreadTable,
  renderMemoryTable,
  renderFirstTokenTable,
  renderRunTable,
  renderTargetTable,
  summarizeFirstToken,
  summarizeRuns,
  type FirstTokenRecord,
  type RunRecord,
} from './report.js';
import { STREAM_EVENTS } from './upstream-bodies.js';
import { WORKLOADS } from './workloads.js';

const STREAMED_WORKLOADS = new Set(
  Object.values(WORKLOADS)
    .filter((workload) => workload.stream)
    .map((workload) => workload.id),
);

export interface BenchResults {
  kind: 'bench';
  finishedAt: string;
  arguments: BenchArguments;
  machine: MachineDescription;
  loadAverage: { before: number[]; after: number[] };
  accessLog: { bytes: number; lines: number };
  /** RSS right after start, before any request. */
  startRssBytes?: { gateway: number; floor: number };
  runs: RunRecord[];
  firstToken: FirstTokenRecord[];
  /** The semantic cache's report (bench/measure-semantic.ts), in Markdown; older results have none. */
  semanticReport?: string;
}

const MEGABYTE = 1024 * 1024;

/** The semantic cache's report as a section of this one: its headings one level down. */
export function renderSemanticReport(report: string): string {
  const body = report.trim().replace(/^(#+) /gm, '#$1 ');
  return body.startsWith('## ') ? body : `## Semantic cache\n\n${body}`;
}

/** The gateway's extra environment of this run, when there was one (older results have none). */
export function renderGatewayEnvironment(environment: Record<string, string> | undefined): string[] {
  const entries = Object.entries(environment ?? {});
  if (entries.length === 0) return [];
  return [
    `- Gateway environment added: ${entries.map(([name, value]) => `\`${name}=${value}\``).join(', ')}`,
  ];
}

export function renderBenchResults(results: BenchResults) {
  const options = results.arguments;
  const summary = summarizeRuns(results.runs);
  const firstTokenSummary = summarizeFirstToken(results.firstToken);
  const targets = checkTargets(summary, firstTokenSummary, results.startRssBytes);
  const settings =
    `${options.rounds} interleaved round(s) of ${options.durationSeconds} s per target, ` +
    `concurrencies ${options.concurrencies.join(', ')}, warm-up ${options.warmupSeconds} s, ` +
    `first-token probe ${options.ttftRequests} sequential requests per round`;
  const { bytes, lines } = results.accessLog;
  const markdown = [
    `# Gateway benchmark, ${results.finishedAt}`,
    '',
    renderMachine(results.machine, results.loadAverage.before, results.loadAverage.after),
    `- Runs: ${settings}; medians over rounds`,
    ...(results.startRssBytes
      ? [
          `- RSS after start, before any request: gateway ${(results.startRssBytes.gateway / MEGABYTE).toFixed(0)} MB, ` +
            `floor ${(results.startRssBytes.floor / MEGABYTE).toFixed(0)} MB`,
        ]
      : []),
    `- Access log: ${(bytes / Math.max(1, lines)).toFixed(0)} bytes per line, ${lines} lines written to a file`,
    ...renderGatewayEnvironment(options.gatewayEnvironment),
    ...(options.traces === undefined
      ? ['- Traces: off']
      : [`- Traces: on, ${options.traces * 100}% of requests sampled, exported over OTLP/HTTP (JSON)`]),
    '',
    '## Throughput, latency, CPU and memory',
    '',
    'Direct: the load generator calls the fake upstream. Floor: a bare node:http proxy piping bytes. ' +
      'Overhead: gateway minus direct; over floor: gateway minus floor. CPU: utime + stime of the process ' +
      'over the run, per 2xx answer. Peak RSS: the gateway’s VmHWM over the workload at that concurrency.',
    '',
    renderRunTable(summary),
    '',
    '## Streams: CPU per event',
    '',
    `Each stream carries ${STREAM_EVENTS} events; the CPU per request of the table above over that number.`,
    '',
    renderEventTable(summary, STREAM_EVENTS, STREAMED_WORKLOADS),
    '',
    '## Gateway CPU by thread',
    '',
    'The event loop carries every request; the other threads (the store writing spend rows with SQLite, ' +
      'the garbage collector’s helpers) run beside it, on the same core when the gateway is pinned to one.',
    '',
    renderThreadTable(summary),
    '',
    '## Memory',
    '',
    'Peak RSS: VmHWM over the workload at that concurrency (reset before it; what the process kept from ' +
      'earlier workloads counts too). V8 heap in use: sampled every 50 ms over each run, mean. Allocated: ' +
      'what the V8 heap grew by between collections over the run, per 2xx answer. GC: the collections’ ' +
      'time on the main thread per answer (bench/heap-probe.mjs, loaded into both processes).',
    '',
    renderMemoryTable(summary),
    '',
    '## Time to first token (1 connection)',
    '',
    renderFirstTokenTable(firstTokenSummary),
    '',
    '## Targets',
    '',
    renderTargetTable(targets),
    '',
    ...(results.semanticReport ? [renderSemanticReport(results.semanticReport), ''] : []),
  ].join('\n');
  return { markdown, summary, firstTokenSummary, targets };
}
