/**
 * Command-line flags of `npm run bench`, parsed with Node's own `util.parseArgs` and checked here so
 * a typo stops the run at once with a line naming the flag.
 */
import { parseArgs } from 'node:util';

export const WORKLOAD_IDS = [
  'openai-unary',
  'openai-stream',
  'openai-stream-burst',
  'openai-stream-paced',
  'gemini-unary',
  'gemini-stream',
  'anthropic-unary',
  'anthropic-stream',
  'anthropic-door-unary',
  'anthropic-door-stream',
  'gemini-door-unary',
  'gemini-door-stream',
  'responses-unary',
  'responses-stream',
  'embeddings',
  'cache-hit',
] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

export type BenchMode = 'bench' | 'soak' | 'profile';

export interface BenchArguments {
  mode: BenchMode;
  quick: boolean;
  /** Seconds of each measured run. */
  durationSeconds: number;
  /** Seconds of load before a workload's first measured run on each target. */
  warmupSeconds: number;
  /** Interleaved rounds (direct, floor, gateway in turn); the table shows medians over rounds. */
  rounds: number;
  concurrencies: number[];
  workloads: WorkloadId[];
  /** Sequential requests of the time-to-first-token probe, per target and round. */
  ttftRequests: number;
  /** Soak: requests in all, and connections. */
  soakRequests: number;
  soakConnections: number;
  /** Pin the load generator and the measured process to different CPUs with taskset. */
  pin: boolean;
  /** Whether the semantic cache's figures are measured after the workloads. */
  semantic: boolean;
  /** Where results go (bench/results by default). */
  outputDirectory: string;
  /** Extra environment of the gateway process (NAME=VALUE flags), shown in the report. */
  gatewayEnvironment: Record<string, string>;
  /** The compiled gateway to measure: a folder laid out as `dist/` (default: the checkout's `dist`). */
  gatewayDist: string;
  /** The share of requests the gateway traces, exporting to the fake upstream; undefined: tracing off. */
  traces: number | undefined;
  /** Renders the markdown of an earlier run's JSON instead of running. */
  render: string | undefined;
  help: boolean;
}

export class BenchArgumentError extends Error {
  override name = 'BenchArgumentError';
}

export const USAGE = `npm run bench -- [flags]

  (no flag)             every workload at concurrencies 1, 16, 64; 3 interleaved rounds of 5 s
  --quick               a run of about a minute: 1 round of 1 s, short warm-ups
  --soak                a bounded number of mixed requests through the gateway, RSS sampled as it goes
  --requests N          requests of the soak (default 1000000)
  --profile             the gateway under --cpu-prof on each chosen workload; prints the hotspots
  --duration S          seconds per measured run
  --warmup S            seconds of warm-up per workload and target
  --rounds N            interleaved rounds
  --concurrency LIST    connections, comma-separated (default 1,16,64; soak: first value, default 64)
  --workloads LIST      any of ${WORKLOAD_IDS.join(', ')}
  --ttft-requests N     sequential requests of the time-to-first-token probe
  --no-pin              do not pin processes to CPUs with taskset
  --no-semantic         skip the semantic cache's figures (to compare builds on a few workloads)
  --traces RATIO        the gateway traces RATIO of the requests (1 = all, 0.01 = 1%), exporting
                        them over OTLP/HTTP to the fake upstream; tracing is off without it
  --gateway-env N=V     an extra environment variable of the gateway (repeatable), e.g.
                        NODE_OPTIONS=--max-semi-space-size=8 or CACHE_MAX_BYTES=16777216
  --gateway-dist DIR    measure the gateway compiled in DIR (a copy of dist/ kept beside it, e.g.
                        dist-before), to compare two builds run after run (default dist)
  --output DIR          where results are written (default bench/results)
  --render FILE         redo the markdown of an earlier run from its JSON (written beside it)
  --help                this text`;

function positiveNumber(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new BenchArgumentError(
      `--${flag} must be a ${integer ? 'whole number' : 'number'} greater than 0: value was "${text}"`,
    );
  }
  return value;
}

function numberList(flag: string, text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const values = text.split(',').map((item) => positiveNumber(flag, item.trim(), true)!);
  return [...new Set(values)];
}

const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function environmentList(items: string[] | undefined): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const item of items ?? []) {
    const equals = item.indexOf('=');
    const name = equals < 0 ? '' : item.slice(0, equals);
    if (!ENVIRONMENT_NAME.test(name)) {
      throw new BenchArgumentError(`--gateway-env must be NAME=VALUE: value was "${item}"`);
    }
    environment[name] = item.slice(equals + 1);
  }
  return environment;
}

function workloadList(text: string | undefined): WorkloadId[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  for (const name of names) {
    if (!(WORKLOAD_IDS as readonly string[]).includes(name)) {
      throw new BenchArgumentError(
        `--workloads: unknown workload "${name}": choose from ${WORKLOAD_IDS.join(', ')}`,
      );
    }
  }
  if (names.length === 0) throw new BenchArgumentError('--workloads needs at least one workload');
  return [...new Set(names)] as WorkloadId[];
}

function tracesRatio(text: string | undefined): number | undefined {
  const ratio = positiveNumber('traces', text, false);
  if (ratio !== undefined && ratio > 1) {
    throw new BenchArgumentError(`--traces must be a share of requests, at most 1: value was "${text}"`);
  }
  return ratio;
}

export function parseBenchArguments(argv: string[]): BenchArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      options: {
        quick: { type: 'boolean', default: false },
        soak: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        requests: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        rounds: { type: 'string' },
        concurrency: { type: 'string' },
        workloads: { type: 'string' },
        'ttft-requests': { type: 'string' },
        pin: { type: 'boolean', default: true },
        semantic: { type: 'boolean', default: true },
        'gateway-env': { type: 'string', multiple: true },
        traces: { type: 'string' },
        'gateway-dist': { type: 'string' },
        output: { type: 'string' },
        render: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new BenchArgumentError((error as Error).message);
  }
  const values = parsed.values;
  if (values.soak && values.profile) throw new BenchArgumentError('--soak and --profile cannot be combined');
  if (values.requests !== undefined && !values.soak) {
    throw new BenchArgumentError('--requests applies to --soak only');
  }
  const mode: BenchMode = values.soak ? 'soak' : values.profile ? 'profile' : 'bench';
  const quick = values.quick;
  const concurrencies = numberList('concurrency', values.concurrency);
  const defaultWorkloads: WorkloadId[] =
    mode === 'profile' ? ['openai-unary', 'openai-stream'] : [...WORKLOAD_IDS];

  return {
    mode,
    quick,
    durationSeconds:
      positiveNumber('duration', values.duration, false) ?? (mode === 'profile' ? 10 : quick ? 1 : 5),
    warmupSeconds: positiveNumber('warmup', values.warmup, false) ?? (quick ? 0.5 : 2),
    rounds: positiveNumber('rounds', values.rounds, true) ?? (quick ? 1 : 3),
    concurrencies:
      concurrencies ?? (mode === 'soak' ? [64] : mode === 'profile' ? [16] : quick ? [1, 64] : [1, 16, 64]),
    workloads: workloadList(values.workloads) ?? defaultWorkloads,
    ttftRequests: positiveNumber('ttft-requests', values['ttft-requests'], true) ?? (quick ? 50 : 300),
    soakRequests: positiveNumber('requests', values.requests, true) ?? 1_000_000,
    soakConnections: concurrencies?.[0] ?? 64,
    pin: values.pin,
    semantic: values.semantic,
    gatewayEnvironment: environmentList(values['gateway-env']),
    gatewayDist: values['gateway-dist'] ?? 'dist',
    traces: tracesRatio(values.traces),
    outputDirectory: values.output ?? 'bench/results',
    render: values.render,
    help: values.help,
  };
}
