import { describe, expect, it } from 'vitest';
import {
  cpuMillisecondsBetween,
  parseLoadAverage,
  parseProcStat,
  parseProcStatus,
  readCpuTicks,
  readMainThreadCpuTicks,
} from '../../bench/process-figures.js';

// Recorded from a Linux 6 machine; the command name is chosen to hold spaces and parentheses.
const STAT =
  '30250 (node (main) x) S 30200 30200 29000 0 -1 4194560 52317 0 12 0 1834 211 0 0 20 0 11 0 ' +
  '512345 1208655872 45210 18446744073709551615 1 1 0 0 0 0 0 16781312 17922 0 0 0 17 1 0 0 0 0 0\n';

const STATUS = `Name:\tnode
Umask:\t0022
State:\tS (sleeping)
VmPeak:\t 1180336 kB
VmSize:\t 1180336 kB
VmHWM:\t  181244 kB
VmRSS:\t  176840 kB
RssAnon:\t  120000 kB
Threads:\t11
`;

describe('parseProcStat', () => {
  it('reads utime and stime (fields 14 and 15) after a command name holding spaces and parentheses', () => {
    expect(parseProcStat(STAT)).toEqual({ userTicks: 1834, systemTicks: 211 });
  });

  it('refuses a text that is not a stat line', () => {
    expect(() => parseProcStat('hello')).toThrow(/no command name/);
    expect(() => parseProcStat('1 (x) S 1 2')).toThrow(/not numbers/);
  });
});

describe('parseProcStatus', () => {
  it('reads the resident set and its peak in bytes', () => {
    expect(parseProcStatus(STATUS)).toEqual({ rssBytes: 176840 * 1024, peakRssBytes: 181244 * 1024 });
  });

  it('names the missing line', () => {
    expect(() => parseProcStatus('Name:\tnode\nVmRSS:\t 1 kB\n')).toThrow(/VmHWM/);
  });
});

describe('parseLoadAverage', () => {
  it('reads the three load averages', () => {
    expect(parseLoadAverage('3.89 2.60 3.11 3/412 30412\n')).toEqual([3.89, 2.6, 3.11]);
    expect(() => parseLoadAverage('x')).toThrow();
  });
});

describe('cpuMillisecondsBetween', () => {
  it('turns the tick difference into milliseconds, with the kernel part apart', () => {
    const before = { userTicks: 100, systemTicks: 20 };
    const after = { userTicks: 160, systemTicks: 35 };
    expect(cpuMillisecondsBetween(before, after, 100)).toEqual({ totalMs: 750, systemMs: 150 });
    expect(cpuMillisecondsBetween(before, after, 250)).toEqual({ totalMs: 300, systemMs: 60 });
  });
});

describe('readMainThreadCpuTicks', () => {
  it("reads this process's main thread, which has spent no more CPU than the whole process", async () => {
    // Spend some CPU on this thread so that the tick counts are not all zero.
    const until = Date.now() + 50;
    let spin = 0;
    while (Date.now() < until) spin++;
    expect(spin).toBeGreaterThan(0);
    const main = await readMainThreadCpuTicks(process.pid);
    const whole = await readCpuTicks(process.pid);
    expect(main.userTicks + main.systemTicks).toBeGreaterThan(0);
    expect(main.userTicks).toBeLessThanOrEqual(whole.userTicks);
    expect(main.systemTicks).toBeLessThanOrEqual(whole.systemTicks);
  });
});
