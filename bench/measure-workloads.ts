/**
 * The benchmark proper: each workload against direct (the fake upstream itself), the floor proxy and
 * the gateway, at each concurrency, in interleaved rounds (the order of the three turns each round),
 * with the CPU and peak RSS of the measured process; then, for streams, the time-to-first-token probe.
 */
import { percentiles } from './statistics.js';
import type { BenchArguments } from './arguments.js';
import type { BenchProcess } from './bench-processes.js';
import { probeFirstToken } from './probe-first-token.js';
import {
  clockTicksPerSecond,
  cpuMillisecondsBetween,
  readCpuTicks,
  readMainThreadCpuTicks,
  readMemory,
  resetPeakRss,
} from './process-figures.js';
import type { FirstTokenRecord, RunRecord } from './report.js';
import { runLoad } from './run-load.js';
import { TARGET_KINDS, WORKLOADS, type BenchKeys, type TargetKind } from './workloads.js';

export interface BenchTargets {
  upstream: BenchProcess;
  /** Absent in the soak, which measures the gateway alone. */
  floor?: BenchProcess;
  gateway: BenchProcess;
}

function origin(target: BenchProcess): string {
  return `http://127.0.0.1:${target.port}`;
}

/** The process a target's CPU is measured on (none for direct: nothing stands in between). */
function measuredProcess(targets: BenchTargets, kind: TargetKind): BenchProcess | undefined {
  return kind === 'direct' ? undefined : targets[kind];
}

export function targetOrigin(targets: BenchTargets, kind: TargetKind): string {
  const target = kind === 'direct' ? targets.upstream : targets[kind];
  if (!target) throw new Error(`no ${kind} process was started`);
  return origin(target);
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * One request per workload and target, checked for the right answer before anything is measured
 * (the cache-hit workload twice at the gateway: the second must be a hit), so a misconfigured run
 * stops instead of measuring error pages.
 */
export async function verifyAnswers(
  targets: BenchTargets,
  keys: BenchKeys,
  workloads: BenchArguments['workloads'],
  nextCounter: () => number,
  kinds: readonly TargetKind[] = TARGET_KINDS,
): Promise<void> {
  for (const id of workloads) {
    const workload = WORKLOADS[id];
    for (const kind of kinds) {
      const template = workload.request(kind, keys);
      const times = id === 'cache-hit' && kind === 'gateway' ? 2 : 1;
      for (let time = 0; time < times; time++) {
        const answer = await fetch(targetOrigin(targets, kind) + template.path, {
          method: template.method,
          headers: template.headers,
          body: template.body(nextCounter()),
        });
        const text = await answer.text();
        const problem =
          time === times - 1
            ? workload.check(kind)({ status: answer.status, headers: answer.headers, text })
            : null;
        if (problem) throw new Error(`${id} via ${kind}: wrong answer: ${problem}`);
      }
    }
  }
}

export interface Measurements {
  runs: RunRecord[];
  firstToken: FirstTokenRecord[];
}

export async function measureWorkloads(
  targets: BenchTargets,
  keys: BenchKeys,
  options: BenchArguments,
  nextCounter: () => number,
): Promise<Measurements> {
  const ticksPerSecond = clockTicksPerSecond();
  const runs: RunRecord[] = [];
  const firstToken: FirstTokenRecord[] = [];

  // JIT tiers need thousands of calls: every chosen workload goes through both proxies before the
  // first measurement, so the first workload is not measured on colder code than the last.
  for (const kind of ['floor', 'gateway'] as const) {
    await runLoad({
      origin: targetOrigin(targets, kind),
      connections: Math.max(...options.concurrencies),
      durationSeconds: options.warmupSeconds * 2,
      templates: options.workloads.map((id) => WORKLOADS[id].request(kind, keys)),
      nextCounter,
      recordLatencies: false,
    });
  }

  for (const id of options.workloads) {
    const workload = WORKLOADS[id];
    for (const kind of TARGET_KINDS) {
      await runLoad({
        origin: targetOrigin(targets, kind),
        connections: Math.max(...options.concurrencies),
        durationSeconds: options.warmupSeconds,
        templates: [workload.request(kind, keys)],
        nextCounter,
        recordLatencies: false,
      });
    }

    for (const concurrency of options.concurrencies) {
      const cellRuns: RunRecord[] = [];
      for (const kind of TARGET_KINDS) {
        const measured = measuredProcess(targets, kind);
        if (measured) await resetPeakRss(measured.pid);
      }
      for (let round = 0; round < options.rounds; round++) {
        const order = TARGET_KINDS.map((_, index) => TARGET_KINDS[(index + round) % TARGET_KINDS.length]!);
        for (const kind of order) {
          const measured = measuredProcess(targets, kind);
          // The heap probe's window starts here (the figures since the last mark are dropped).
          await measured?.heap?.mark();
          const before = measured ? await readCpuTicks(measured.pid) : undefined;
          const mainBefore = measured ? await readMainThreadCpuTicks(measured.pid) : undefined;
          const result = await runLoad({
            origin: targetOrigin(targets, kind),
            connections: concurrency,
            durationSeconds: options.durationSeconds,
            templates: [workload.request(kind, keys)],
            nextCounter,
            recordLatencies: true,
          });
          const after = measured ? await readCpuTicks(measured.pid) : undefined;
          const mainAfter = measured ? await readMainThreadCpuTicks(measured.pid) : undefined;
          const heap = await measured?.heap?.mark();
          const cpu =
            before && after
              ? cpuMillisecondsBetween(before, after, ticksPerSecond)
              : { totalMs: Number.NaN, systemMs: Number.NaN };
          const mainThreadMs =
            mainBefore && mainAfter
              ? cpuMillisecondsBetween(mainBefore, mainAfter, ticksPerSecond).totalMs
              : Number.NaN;
          const perRequest = (milliseconds: number) =>
            result.completed > 0 ? (milliseconds * 1000) / result.completed : Number.NaN;
          const [p50, p99] = percentiles(result.latencies, [50, 99]);
          const record: RunRecord = {
            workload: id,
            target: kind,
            concurrency,
            round,
            completed: result.completed,
            failed: result.non2xx + result.errors,
            durationSeconds: result.durationSeconds,
            requestsPerSecond: result.requestsPerSecond,
            p50Ms: p50,
            p99Ms: p99,
            cpuPerRequestUs: perRequest(cpu.totalMs),
            systemCpuPerRequestUs: perRequest(cpu.systemMs),
            mainThreadCpuPerRequestUs: perRequest(mainThreadMs),
            peakRssBytes: Number.NaN,
            allocatedPerRequestBytes:
              heap && result.completed > 0 ? heap.allocatedBytes / result.completed : Number.NaN,
            meanHeapUsedBytes: heap?.meanHeapUsedBytes ?? Number.NaN,
            gcPerRequestUs: heap ? perRequest(heap.gcMs) : Number.NaN,
          };
          cellRuns.push(record);
          log(
            `${id} c=${concurrency} round ${round + 1} ${kind.padEnd(7)} ${record.requestsPerSecond.toFixed(0).padStart(6)} req/s ` +
              `p50 ${p50.toFixed(3)} ms p99 ${p99.toFixed(3)} ms` +
              (measured
                ? ` cpu ${record.cpuPerRequestUs.toFixed(0)} µs/req (kernel ${record.systemCpuPerRequestUs.toFixed(0)}, ` +
                  `event loop ${record.mainThreadCpuPerRequestUs.toFixed(0)})`
                : '') +
              (record.failed > 0 ? ` FAILED ${record.failed}` : ''),
          );
        }
      }
      for (const kind of TARGET_KINDS) {
        const measured = measuredProcess(targets, kind);
        if (!measured) continue;
        const { peakRssBytes } = await readMemory(measured.pid);
        for (const record of cellRuns) if (record.target === kind) record.peakRssBytes = peakRssBytes;
      }
      runs.push(...cellRuns);
    }

    if (workload.stream) {
      for (let round = 0; round < options.rounds; round++) {
        for (const kind of TARGET_KINDS.map(
          (_, index) => TARGET_KINDS[(index + round) % TARGET_KINDS.length]!,
        )) {
          const samples = await probeFirstToken(
            targetOrigin(targets, kind),
            workload.request(kind, keys),
            options.ttftRequests,
            nextCounter,
          );
          const [p50, p99] = percentiles(samples.firstByte, [50, 99]);
          firstToken.push({ workload: id, target: kind, round, firstByteP50Ms: p50, firstByteP99Ms: p99 });
          log(
            `${id} first token round ${round + 1} ${kind.padEnd(7)} p50 ${p50.toFixed(3)} ms p99 ${p99.toFixed(3)} ms`,
          );
        }
      }
    }
  }
  return { runs, firstToken };
}
