/**
 * The processes of a benchmark run: the fake upstream, the floor proxy and the compiled gateway, each
 * its own Node process, pinned with taskset to a CPU apart from the load generator's where the
 * machine has two or more.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchKeys } from './workloads.js';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The project's pinned Node (the `node` package), else the one running the benchmark. */
export const NODE_BINARY = existsSync(join(PROJECT_ROOT, 'node_modules/.bin/node'))
  ? join(PROJECT_ROOT, 'node_modules/.bin/node')
  : process.execPath;

export interface CpuPlan {
  /** Whether processes are pinned at all (taskset present, two CPUs or more, not --no-pin). */
  pinned: boolean;
  cpus: number;
  /** The load generator (this process). */
  loadGenerator: number;
  /** The gateway and the floor proxy: the processes measured. */
  measured: number;
  upstream: number;
}

export function planCpus(pin: boolean): CpuPlan {
  const cpus = availableParallelism();
  const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  return {
    pinned: pin && hasTaskset && cpus >= 2,
    cpus,
    loadGenerator: 0,
    measured: 1,
    // On two CPUs the upstream shares the load generator's: the measured process keeps one to itself.
    upstream: cpus >= 3 ? 2 : 0,
  };
}

/** Pins every thread of this process (the load generator) to its CPU. */
export function pinThisProcess(plan: CpuPlan): void {
  if (!plan.pinned) return;
  spawnSync('taskset', ['-a', '-cp', String(plan.loadGenerator), String(process.pid)], { stdio: 'ignore' });
}

/** Every child process still running, and temporary files: none outlives the benchmark, however it ends. */
const running = new Set<ChildProcess>();
const temporaryPaths = new Set<string>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const path of temporaryPaths) rmSync(path, { recursive: true, force: true });
});

/** Removes `path` when the benchmark ends, if nothing removed it before. */
export function removeOnExit(path: string): string {
  temporaryPaths.add(path);
  return path;
}

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** The V8 heap figures of a measured process (bench/heap-probe.mjs loaded into it). */
  readonly heap?: HeapProbe;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

const HEAP_PROBE = join(PROJECT_ROOT, 'bench/heap-probe.mjs');

/** The figures bench/heap-probe.mjs writes for one window between two marks. */
export interface HeapWindow {
  sequence: number;
  /** What the V8 heap grew by between collections, summed: the bytes allocated, a lower bound. */
  allocatedBytes: number;
  meanHeapUsedBytes: number;
  /** The collections' time on the main thread. */
  gcMs: number;
  collections: number;
}

/**
 * The reading side of bench/heap-probe.mjs: `mark()` signals the process and reads the figures of the
 * window that the signal ends (and the next one begins).
 */
export class HeapProbe {
  #read = 0;

  constructor(
    readonly pid: number,
    readonly file: string,
  ) {}

  /** The process's flags and environment that load the probe. */
  static load(file: string): { flags: string[]; environment: Record<string, string> } {
    return { flags: ['--import', HEAP_PROBE], environment: { BENCH_HEAP_PROBE: file } };
  }

  async mark(timeoutMs = 10_000): Promise<HeapWindow | undefined> {
    const wanted = this.#read + 1;
    process.kill(this.pid, 'SIGUSR2');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const lines = existsSync(this.file) ? readFileSync(this.file, 'utf8').split('\n') : [];
      // The last element is what follows the last newline: a line being written, or nothing.
      if (lines.length - 1 >= wanted) {
        this.#read = wanted;
        return JSON.parse(lines[wanted - 1]!) as HeapWindow;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  }
}

function heapProbeFile(name: string): string {
  const folder = removeOnExit(mkdtempSync(join(tmpdir(), 'llm-gateway-bench-heap-')));
  return join(folder, `${name}.jsonl`);
}

function command(plan: CpuPlan, cpu: number, args: string[]): [string, string[]] {
  return plan.pinned ? ['taskset', ['-c', String(cpu), NODE_BINARY, ...args]] : [NODE_BINARY, args];
}

function stopper(child: ChildProcess): (graceMs?: number) => Promise<void> {
  return (graceMs = 30_000) =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/** Starts a child that prints `listening <port>` once it accepts connections. */
function startListening(
  name: string,
  plan: CpuPlan,
  cpu: number,
  args: string[],
  heapProbe?: string,
): Promise<BenchProcess> {
  const probe = heapProbe ? HeapProbe.load(heapProbe) : undefined;
  const [file, argv] = command(plan, cpu, ['--import', 'tsx', ...(probe?.flags ?? []), ...args]);
  const child = track(
    spawn(file, argv, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...probe?.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  return new Promise((resolve, reject) => {
    let output = '';
    let errors = '';
    child.stderr!.on('data', (part: Buffer) => (errors += part.toString()));
    child.stdout!.on('data', (part: Buffer) => {
      output += part.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) {
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        const pid = child.pid!;
        const heap = heapProbe ? new HeapProbe(pid, heapProbe) : undefined;
        resolve({ name, pid, port: Number(match[1]), heap, stop: stopper(child) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before listening: ${errors}`)));
    child.once('error', reject);
  });
}

export function startFakeUpstream(plan: CpuPlan): Promise<BenchProcess> {
  return startListening('fake upstream', plan, plan.upstream, ['bench/fake-upstream.ts']);
}

/** `heapProbe`: load bench/heap-probe.mjs (not in a soak: its records would grow with the run). */
export function startFloorProxy(
  plan: CpuPlan,
  upstreamPort: number,
  heapProbe = false,
): Promise<BenchProcess> {
  return startListening(
    'floor proxy',
    plan,
    plan.measured,
    ['bench/floor-proxy.ts', String(upstreamPort)],
    heapProbe ? heapProbeFile('floor') : undefined,
  );
}

/** A port free right now (the gateway is told its port rather than reporting it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface GatewayStart {
  plan: CpuPlan;
  upstreamPort: number;
  keys: BenchKeys;
  /** Where the access log goes; /dev/null discards it (its writing is still paid). */
  logPath: string;
  /** Extra flags for Node (--cpu-prof ...). */
  nodeFlags?: string[];
  /** Load bench/heap-probe.mjs (not in a soak: its records would grow with the run). */
  heapProbe?: boolean;
  /** Extra environment (--gateway-env), over the defaults below. */
  environment?: Record<string, string>;
  /** The compiled gateway's folder, relative to the checkout (--gateway-dist; default `dist`). */
  dist?: string;
  /** The share of requests traced (--traces), exported to the fake upstream's /v1/traces. */
  traces?: number;
}

/**
 * The gateway with its default features on: auth by a GATEWAY_API_KEYS key, rate limiting (limits
 * too high to refuse), the in-memory cache, metrics, and the access log at info, in production mode.
 * It runs in an empty working folder, so no `.env` of the checkout changes its settings, with only
 * the variables set here.
 */
export async function startGateway(options: GatewayStart): Promise<BenchProcess> {
  const port = await findFreePort();
  const upstream = `http://127.0.0.1:${options.upstreamPort}`;
  const workingFolder = removeOnExit(mkdtempSync(join(tmpdir(), 'llm-gateway-bench-')));
  const unlimited = '1000000000';
  const probeFile = options.heapProbe ? heapProbeFile('gateway') : undefined;
  const probe = probeFile ? HeapProbe.load(probeFile) : undefined;
  const environment: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    GATEWAY_API_KEYS: options.keys.gateway,
    OPENAI_API_KEY: options.keys.upstreamOpenAI,
    OPENAI_BASE_URL: `${upstream}/v1`,
    GEMINI_API_KEY: options.keys.upstreamGemini,
    GEMINI_BASE_URL: upstream,
    ANTHROPIC_API_KEY: options.keys.upstreamAnthropic,
    ANTHROPIC_BASE_URL: upstream,
    RATE_LIMITING_ENABLED: 'true',
    RATE_LIMIT_CHAT_RPM: unlimited,
    RATE_LIMIT_EMBEDDINGS_RPM: unlimited,
    RATE_LIMIT_AUDIO_RPM: unlimited,
    CACHE_ENABLED: 'true',
    METRICS_ACCESS: 'protected',
    ...(options.traces === undefined
      ? {}
      : {
          OTEL_EXPORTER_OTLP_ENDPOINT: upstream,
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: String(options.traces),
        }),
    ...options.environment,
    ...probe?.environment,
  };
  const log = openSync(options.logPath, 'w');
  const [file, argv] = command(options.plan, options.plan.measured, [
    ...(options.nodeFlags ?? []),
    ...(probe?.flags ?? []),
    join(resolve(PROJECT_ROOT, options.dist ?? 'dist'), 'src/server.js'),
  ]);
  const child = track(
    spawn(file, argv, { cwd: workingFolder, env: environment, stdio: ['ignore', log, 'pipe'] }),
  );
  closeSync(log);
  let errors = '';
  child.stderr!.on('data', (part: Buffer) => (errors += part.toString()));
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code}) at start: ${errors}`)));
    child.once('error', reject);
  });
  const stop = stopper(child);
  const handle: BenchProcess = {
    name: 'gateway',
    pid: child.pid!,
    port,
    heap: probeFile ? new HeapProbe(child.pid!, probeFile) : undefined,
    stop: async (graceMs) => {
      await stop(graceMs);
      rmSync(workingFolder, { recursive: true, force: true });
    },
  };
  // A later exit is the stopper's business, not a failed start.
  exited.catch(() => {});
  try {
    await Promise.race([waitForHealth(port), exited]);
  } catch (error) {
    await handle.stop(2_000);
    throw error;
  }
  return handle;
}

async function waitForHealth(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/health`);
      await answer.arrayBuffer();
      if (answer.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('the gateway did not answer /health within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
