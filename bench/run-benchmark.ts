/**
 * `npm run bench`: the gateway's cost per request against a bare Node reverse proxy (the floor) and
 * against calling the upstream directly, on loopback with a fast fake upstream. See
 * docs/performance.md for what it measures, how, and the latest findings.
 *
 * Modes: the benchmark (default), `--soak` (memory over a long mixed run) and `--profile` (the
 * gateway under --cpu-prof, hotspots summarised).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BenchArgumentError, USAGE, parseBenchArguments, type BenchArguments } from './arguments.js';
import {
  PROJECT_ROOT,
  pinThisProcess,
  planCpus,
  removeOnExit,
  startFakeUpstream,
  startFloorProxy,
  startGateway,
  type BenchProcess,
} from './bench-processes.js';
import { describeMachine } from './describe-machine.js';
import { log, measureWorkloads, verifyAnswers } from './measure-workloads.js';
import { readLoadAverage, readMemory } from './process-figures.js';
import { renderBenchResults, type BenchResults } from './render-results.js';
import { runProfile } from './run-profile.js';
import { runSoak } from './run-soak.js';
import type { BenchKeys } from './workloads.js';

/**
 * The semantic cache's figures (hit and wrong-hit rates by threshold, lookup cost at 10,000 and
 * 100,000 entries in memory and in Redis), from bench/measure-semantic.ts run as its own process
 * once the gateway's workloads are measured; a quick run takes fewer lookups.
 */
function measureSemanticCache(quick: boolean): string | undefined {
  log('measuring the semantic cache (bench/measure-semantic.ts)');
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/measure-semantic.ts', ...(quick ? ['--runs', '3'] : ['--runs', '20'])],
    { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (run.status !== 0) {
    log(
      `the semantic cache could not be measured: ${(run.stderr || run.error?.message || '').slice(0, 500)}`,
    );
    return undefined;
  }
  return run.stdout;
}

const KEYS: BenchKeys = {
  gateway: 'bench-client-key-0001',
  upstreamOpenAI: 'sk-bench-upstream-0001',
  upstreamGemini: 'bench-gemini-key-0001',
  upstreamAnthropic: 'bench-anthropic-key-0001',
};

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const part of createReadStream(path)) {
    for (const byte of part as Buffer) if (byte === 10) lines++;
  }
  return lines;
}

async function runBenchmark(options: BenchArguments): Promise<void> {
  const plan = planCpus(options.pin);
  pinThisProcess(plan);
  const machine = describeMachine(plan);
  const loadBefore = await readLoadAverage();
  const logPath = removeOnExit(join(tmpdir(), `llm-gateway-bench-access-${process.pid}.log`));
  const started: BenchProcess[] = [];
  let counter = 0;
  const nextCounter = () => ++counter;
  try {
    const upstream = await startFakeUpstream(plan);
    started.push(upstream);
    const floor = await startFloorProxy(plan, upstream.port, true);
    started.push(floor);
    const gateway = await startGateway({
      plan,
      upstreamPort: upstream.port,
      keys: KEYS,
      logPath,
      environment: options.gatewayEnvironment,
      dist: options.gatewayDist,
      traces: options.traces,
      heapProbe: true,
    });
    started.push(gateway);
    log(
      `fake upstream :${upstream.port}, floor :${floor.port}, gateway :${gateway.port} (pid ${gateway.pid})`,
    );
    const targets = { upstream, floor, gateway };
    const startRss = {
      gateway: (await readMemory(gateway.pid)).rssBytes,
      floor: (await readMemory(floor.pid)).rssBytes,
    };
    await verifyAnswers(targets, KEYS, options.workloads, nextCounter);

    const measurements = await measureWorkloads(targets, KEYS, options, nextCounter);
    const loadAfter = await readLoadAverage();
    const logBytes = (await stat(logPath)).size;
    const logLines = await countLines(logPath);

    const results: BenchResults = {
      kind: 'bench',
      finishedAt: new Date().toISOString(),
      arguments: options,
      machine,
      loadAverage: { before: loadBefore, after: loadAfter },
      accessLog: { bytes: logBytes, lines: logLines },
      startRssBytes: startRss,
      runs: measurements.runs,
      firstToken: measurements.firstToken,
      semanticReport: options.semantic ? measureSemanticCache(options.quick) : undefined,
    };
    const rendered = renderBenchResults(results);
    const markdown = rendered.markdown;
    const json = {
      ...results,
      summary: rendered.summary,
      firstTokenSummary: rendered.firstTokenSummary,
      targets: rendered.targets,
    };
    const directory = resolve(PROJECT_ROOT, options.outputDirectory);
    await mkdir(directory, { recursive: true });
    const name = `bench-${timestamp()}`;
    await writeFile(join(directory, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    await writeFile(join(directory, `${name}.md`), markdown);
    await writeFile(join(directory, 'latest.md'), markdown);
    await writeFile(join(directory, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
    process.stdout.write(`${markdown}\nWritten: ${join(options.outputDirectory, name)}.{md,json}\n`);
  } finally {
    for (const child of started.reverse()) await child.stop();
    await rm(logPath, { force: true });
  }
}

async function main(): Promise<void> {
  let options: BenchArguments;
  try {
    options = parseBenchArguments(process.argv.slice(2));
  } catch (error) {
    if (error instanceof BenchArgumentError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!existsSync(join(resolve(PROJECT_ROOT, options.gatewayDist), 'src/server.js'))) {
    process.stderr.write(
      `${options.gatewayDist}/src/server.js is missing: npm run bench builds dist first (tsc -p tsconfig.build.json)\n`,
    );
    process.exit(1);
  }
  if (options.render !== undefined) {
    const results = JSON.parse(await readFile(options.render, 'utf8')) as BenchResults;
    const { markdown } = renderBenchResults(results);
    await writeFile(options.render.replace(/\.json$/, '') + '.md', markdown);
    process.stdout.write(markdown);
    return;
  }
  if (options.mode === 'soak') await runSoak(options, KEYS);
  else if (options.mode === 'profile') await runProfile(options, KEYS);
  else await runBenchmark(options);
}

// Ctrl-C or a kill ends the run through process.exit, whose handler stops the child processes.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
