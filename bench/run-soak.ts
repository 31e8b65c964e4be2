/**
 * `npm run bench -- --soak [--requests N]`: a bounded number of requests (a million by default) of
 * every workload in turn through the gateway, its RSS (and V8 heap, from its own /metrics) sampled as
 * they go, then once more after a few idle seconds. Memory must level off: the verdict compares the
 * half-way sample with the last one under load.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WORKLOAD_IDS, type BenchArguments } from './arguments.js';
import {
  PROJECT_ROOT,
  pinThisProcess,
  planCpus,
  startFakeUpstream,
  startGateway,
  type BenchProcess,
} from './bench-processes.js';
import { describeMachine, renderMachine } from './describe-machine.js';
import { renderGatewayEnvironment } from './render-results.js';
import { log, targetOrigin, verifyAnswers } from './measure-workloads.js';
import { readLoadAverage, readMemory } from './process-figures.js';
import { runLoad } from './run-load.js';
import { judgeSoak, renderSoak, type SoakSample } from './soak-report.js';
import { WORKLOADS, type BenchKeys } from './workloads.js';

const HEAP_USED = /^llm_gateway_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m;
const SAMPLE_EVERY_MS = 2_000;
const IDLE_BEFORE_LAST_SAMPLE_MS = 5_000;

async function readHeapUsed(origin: string, key: string): Promise<number> {
  try {
    const answer = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${key}` } });
    const match = HEAP_USED.exec(await answer.text());
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export async function runSoak(options: BenchArguments, keys: BenchKeys): Promise<void> {
  const plan = planCpus(options.pin);
  pinThisProcess(plan);
  const machine = describeMachine(plan);
  const loadBefore = await readLoadAverage();
  const started: BenchProcess[] = [];
  let counter = 0;
  const nextCounter = () => ++counter;
  try {
    const upstream = await startFakeUpstream(plan);
    started.push(upstream);
    // A million access-log lines would fill a disk for nothing: they are written, to /dev/null.
    const gateway = await startGateway({
      plan,
      upstreamPort: upstream.port,
      keys,
      logPath: '/dev/null',
      environment: options.gatewayEnvironment,
      dist: options.gatewayDist,
      traces: options.traces,
    });
    started.push(gateway);
    const targets = { upstream, gateway };
    const origin = targetOrigin(targets, 'gateway');
    await verifyAnswers(targets, keys, [...WORKLOAD_IDS], nextCounter, ['gateway']);

    const samples: SoakSample[] = [];
    const beganAt = Date.now();
    let completed = 0;
    const sample = async (phase: SoakSample['phase']) => {
      const memory = await readMemory(gateway.pid);
      const heapUsedBytes = await readHeapUsed(origin, keys.gateway);
      samples.push({
        phase,
        seconds: (Date.now() - beganAt) / 1000,
        completed,
        rssBytes: memory.rssBytes,
        heapUsedBytes,
      });
      const last = samples.at(-1)!;
      log(
        `soak ${phase} ${last.seconds.toFixed(0)} s: ${completed} requests, RSS ${(last.rssBytes / 2 ** 20).toFixed(1)} MB, ` +
          `heap ${(last.heapUsedBytes / 2 ** 20).toFixed(1)} MB`,
      );
    };
    await sample('start');
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(() => sample('load'));
    }, SAMPLE_EVERY_MS);
    const result = await runLoad({
      origin,
      // The load generator refuses more connections than requests.
      connections: Math.min(options.soakConnections, options.soakRequests),
      amount: options.soakRequests,
      templates: WORKLOAD_IDS.map((id) => WORKLOADS[id].request('gateway', keys)),
      nextCounter,
      recordLatencies: false,
      onTick: (count) => (completed = count),
    }).finally(() => clearInterval(timer));
    await sampling;
    completed = result.completed;
    await sample('end');
    await new Promise((resolve) => setTimeout(resolve, IDLE_BEFORE_LAST_SAMPLE_MS));
    await sample('idle');
    const { peakRssBytes } = await readMemory(gateway.pid);
    const loadAfter = await readLoadAverage();

    const verdict = judgeSoak(samples, peakRssBytes);
    const markdown = [
      `# Gateway soak, ${new Date().toISOString()}`,
      '',
      renderMachine(machine, loadBefore, loadAfter),
      `- ${options.soakRequests} requests over ${Math.min(options.soakConnections, options.soakRequests)} connections, the six workloads in turn ` +
        `(${WORKLOAD_IDS.join(', ')}); ${result.completed} answered 2xx, ${result.non2xx} non-2xx, ` +
        `${result.errors} errors, in ${result.durationSeconds.toFixed(0)} s ` +
        `(${result.requestsPerSecond.toFixed(0)} req/s)`,
      ...renderGatewayEnvironment(options.gatewayEnvironment),
      '',
      renderSoak(samples, verdict),
      '',
    ].join('\n');
    const directory = resolve(PROJECT_ROOT, options.outputDirectory);
    await mkdir(directory, { recursive: true });
    const name = `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const json = {
      kind: 'soak',
      finishedAt: new Date().toISOString(),
      arguments: options,
      machine,
      loadAverage: { before: loadBefore, after: loadAfter },
      result: { ...result, latencies: undefined },
      samples,
      verdict,
    };
    await writeFile(join(directory, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    await writeFile(join(directory, `${name}.md`), markdown);
    await writeFile(join(directory, 'latest-soak.md'), markdown);
    process.stdout.write(`${markdown}\nWritten: ${join(options.outputDirectory, name)}.{md,json}\n`);
  } finally {
    for (const child of started.reverse()) await child.stop();
  }
}
