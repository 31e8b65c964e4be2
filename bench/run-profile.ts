/**
 * `npm run bench -- --profile [--workloads ...]`: for each workload, a fresh gateway under
 * `node --cpu-prof`, warmed up, then loaded for the measured window; its profile is summarised
 * (start-up and warm-up left out) into bench/results/profile-<workload>.md, and the .cpuprofile kept
 * in bench/results/profiles/ for Chrome DevTools or speedscope.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { BenchArguments } from './arguments.js';
import {
  PROJECT_ROOT,
  pinThisProcess,
  planCpus,
  startFakeUpstream,
  startGateway,
  type BenchProcess,
} from './bench-processes.js';
import { log, targetOrigin, verifyAnswers } from './measure-workloads.js';
import { runLoad } from './run-load.js';
import { renderProfileSummary, summarizeCpuProfile, type CpuProfile } from './summarize-profile.js';
import { WORKLOADS, type BenchKeys } from './workloads.js';

export async function runProfile(options: BenchArguments, keys: BenchKeys): Promise<void> {
  const plan = planCpus(options.pin);
  pinThisProcess(plan);
  const directory = resolve(PROJECT_ROOT, options.outputDirectory);
  const profiles = join(directory, 'profiles');
  await mkdir(profiles, { recursive: true });
  const concurrency = options.concurrencies[0]!;
  let counter = 0;
  const nextCounter = () => ++counter;
  const upstream = await startFakeUpstream(plan);
  try {
    for (const id of options.workloads) {
      const workload = WORKLOADS[id];
      const file = `${id}.cpuprofile`;
      await rm(join(profiles, file), { force: true });
      const spawnedAt = performance.now();
      const gateway: BenchProcess = await startGateway({
        plan,
        upstreamPort: upstream.port,
        keys,
        logPath: '/dev/null',
        nodeFlags: ['--cpu-prof', '--cpu-prof-dir', profiles, '--cpu-prof-name', file],
        environment: options.gatewayEnvironment,
        dist: options.gatewayDist,
        traces: options.traces,
      });
      let completed = 0;
      let windowStartMs = 0;
      try {
        const targets = { upstream, gateway };
        await verifyAnswers(targets, keys, [id], nextCounter, ['gateway']);
        const template = workload.request('gateway', keys);
        const origin = targetOrigin(targets, 'gateway');
        await runLoad({
          origin,
          connections: concurrency,
          durationSeconds: options.warmupSeconds,
          templates: [template],
          nextCounter,
          recordLatencies: false,
        });
        windowStartMs = performance.now() - spawnedAt;
        const result = await runLoad({
          origin,
          connections: concurrency,
          durationSeconds: options.durationSeconds,
          templates: [template],
          nextCounter,
          recordLatencies: false,
        });
        completed = result.completed;
      } finally {
        // The profile is written when the process exits.
        await gateway.stop();
      }
      const profile = JSON.parse(await readFile(join(profiles, file), 'utf8')) as CpuProfile;
      const summary = summarizeCpuProfile(profile, {
        projectUrl: pathToFileURL(PROJECT_ROOT).href.replace(/\/?$/, '/'),
        skipFirstMs: windowStartMs,
      });
      const markdown = [
        `## Profile: ${workload.title} (${id})`,
        '',
        `${completed} requests at ${concurrency} connections in ${options.durationSeconds} s under --cpu-prof ` +
          `(the profiler slows the gateway: read shares, not absolute times). ` +
          `Busy CPU per request in the window: ${((summary.busyMs * 1000) / Math.max(1, completed)).toFixed(0)} µs.`,
        '',
        renderProfileSummary(summary),
        '',
      ].join('\n');
      await writeFile(join(directory, `profile-${id}.md`), markdown);
      process.stdout.write(`${markdown}\n`);
      log(`profile written: ${join(options.outputDirectory, 'profiles', file)}`);
    }
  } finally {
    await upstream.stop();
  }
}
