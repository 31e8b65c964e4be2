/**
 * What the kernel says about a process: CPU time from /proc/<pid>/stat (utime + stime, every thread
 * of the process, in clock ticks), resident memory and its peak from /proc/<pid>/status (VmRSS,
 * VmHWM), and the machine's load average. The parsers are pure; the readers are thin.
 * @see https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
 * @see https://man7.org/linux/man-pages/man5/proc_pid_status.5.html
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';

export interface CpuTicks {
  userTicks: number;
  systemTicks: number;
}

export interface MemoryUsage {
  /** Resident set now, bytes. */
  rssBytes: number;
  /** Peak resident set since start or the last reset, bytes. */
  peakRssBytes: number;
}

/**
 * utime and stime (fields 14 and 15) of a /proc/<pid>/stat line. The second field, the command
 * name in parentheses, may itself hold spaces and parentheses, so fields are counted after the
 * last closing parenthesis.
 */
export function parseProcStat(text: string): CpuTicks {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line: no command name');
  // After ")": field 3 (state) is the first; utime is field 14, stime field 15.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const userTicks = Number(fields[14 - 3]);
  const systemTicks = Number(fields[15 - 3]);
  if (!Number.isInteger(userTicks) || !Number.isInteger(systemTicks)) {
    throw new Error('not a /proc/<pid>/stat line: utime and stime are not numbers');
  }
  return { userTicks, systemTicks };
}

const STATUS_LINES = { VmRSS: /^VmRSS:\s+(\d+)\s+kB$/m, VmHWM: /^VmHWM:\s+(\d+)\s+kB$/m };

/** VmRSS and VmHWM of a /proc/<pid>/status text, in bytes. */
export function parseProcStatus(text: string): MemoryUsage {
  const kilobytes = (name: keyof typeof STATUS_LINES): number => {
    const match = STATUS_LINES[name].exec(text);
    if (!match) throw new Error(`/proc/<pid>/status has no ${name} line`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kilobytes('VmRSS'), peakRssBytes: kilobytes('VmHWM') };
}

/** The 1, 5 and 15 minute load averages of /proc/loadavg. */
export function parseLoadAverage(text: string): [number, number, number] {
  const [one, five, fifteen] = text.trim().split(/\s+/).map(Number);
  if (![one, five, fifteen].every((value) => Number.isFinite(value))) {
    throw new Error('not a /proc/loadavg text');
  }
  return [one!, five!, fifteen!];
}

/** CPU milliseconds between two readings of the same process: in all, and in the kernel. */
export function cpuMillisecondsBetween(
  before: CpuTicks,
  after: CpuTicks,
  ticksPerSecond: number,
): { totalMs: number; systemMs: number } {
  const systemTicks = after.systemTicks - before.systemTicks;
  const ticks = after.userTicks - before.userTicks + systemTicks;
  return { totalMs: (ticks * 1000) / ticksPerSecond, systemMs: (systemTicks * 1000) / ticksPerSecond };
}

export async function readCpuTicks(pid: number): Promise<CpuTicks> {
  return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * CPU ticks of the process's main thread alone (its thread id is the process id): the event loop
 * every request runs on, without the worker threads beside it (the store's SQLite writer, the
 * garbage collector's and libuv's helpers).
 * @see https://man7.org/linux/man-pages/man5/proc_pid_task.5.html
 */
export async function readMainThreadCpuTicks(pid: number): Promise<CpuTicks> {
  return parseProcStat(await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
}

export async function readMemory(pid: number): Promise<MemoryUsage> {
  return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
}

/**
 * Resets the process's peak RSS to its current RSS (writing 5 to clear_refs, Linux 4.0+), so a
 * peak can be told per workload. False when the kernel refuses; the peak is then the process's.
 * @see https://man7.org/linux/man-pages/man5/proc_pid_clear_refs.5.html
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export async function readLoadAverage(): Promise<[number, number, number]> {
  return parseLoadAverage(await readFile('/proc/loadavg', 'utf8'));
}

/** The kernel's clock ticks per second (USER_HZ), the unit of utime and stime. */
export function clockTicksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(value) && value > 0) return value;
  } catch {
    // getconf is missing: Linux has used 100 on every common architecture.
  }
  return 100;
}
