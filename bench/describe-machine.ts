/**
 * What the figures were measured on, written beside them: the CPU, cores, memory, kernel, the Node
 * that runs the gateway, the load generator's version, and the load the machine already had.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { CpuPlan } from './bench-processes.js';
import { NODE_BINARY, PROJECT_ROOT } from './bench-processes.js';

export interface MachineDescription {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  autocannon: string;
  pinning: string;
}

export function describeMachine(plan: CpuPlan): MachineDescription {
  const node = spawnSync(NODE_BINARY, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const autocannon = (
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/autocannon/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: plan.cpus,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node,
    autocannon,
    pinning: plan.pinned
      ? `taskset: load generator on CPU ${plan.loadGenerator}, gateway and floor on CPU ${plan.measured}, ` +
        `fake upstream on CPU ${plan.upstream}`
      : 'none (taskset missing, one CPU, or --no-pin)',
  };
}

export function renderMachine(
  machine: MachineDescription,
  loadBefore: number[],
  loadAfter: number[],
): string {
  const lines = [
    `- Machine: ${machine.cpuModel}, ${machine.cpus} CPUs, ${machine.memoryGiB} GiB, Linux ${machine.kernel}`,
    `- Gateway on Node ${machine.node} (NODE_ENV=production, compiled dist/), load generator autocannon ${machine.autocannon}`,
    `- Pinning: ${machine.pinning}`,
    `- Load average (1/5/15 min) before: ${loadBefore.map((value) => value.toFixed(2)).join(' ')}, ` +
      `after: ${loadAfter.map((value) => value.toFixed(2)).join(' ')}`,
  ];
  if (machine.cpus <= 2) {
    lines.push(
      `- On ${machine.cpus} CPUs the load generator shares a core with the fake upstream and other work ` +
        'on the machine competes: read the figures as ratios (gateway against floor and direct, measured ' +
        'interleaved), not as absolute capacity.',
    );
  }
  return lines.join('\n');
}
