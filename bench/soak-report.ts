/**
 * The soak's verdict and table. Memory is "flat" when the last sample under load is within
 * max(16 MB, 10%) of the sample at half-way: the first half is allowed to grow (JIT, pools, the
 * response cache filling to its byte bound), the second is not.
 */

export interface SoakSample {
  phase: 'start' | 'load' | 'end' | 'idle';
  seconds: number;
  /** 2xx answers so far. */
  completed: number;
  rssBytes: number;
  /** V8 heap in use, from the gateway's /metrics; NaN when it could not be read. */
  heapUsedBytes: number;
}

export interface SoakVerdict {
  startRssBytes: number;
  halfRssBytes: number;
  endRssBytes: number;
  idleRssBytes: number;
  peakRssBytes: number;
  /** End minus half-way, bytes. */
  rssGrowthBytes: number;
  heapHalfBytes: number;
  heapEndBytes: number;
  heapGrowthBytes: number;
  allowedGrowthBytes: number;
  grew: boolean;
}

const MEGABYTE = 1024 * 1024;

export function judgeSoak(samples: SoakSample[], peakRssBytes: number): SoakVerdict {
  const start = samples.find((sample) => sample.phase === 'start');
  const end = samples.find((sample) => sample.phase === 'end');
  const idle = samples.find((sample) => sample.phase === 'idle');
  if (!start || !end) throw new Error('a soak needs its start and end samples');
  const underLoad = samples.filter((sample) => sample.phase === 'load' || sample.phase === 'end');
  const halfway = end.completed / 2;
  const half = underLoad.reduce((best, sample) =>
    Math.abs(sample.completed - halfway) < Math.abs(best.completed - halfway) ? sample : best,
  );
  const allowedGrowthBytes = Math.max(16 * MEGABYTE, 0.1 * half.rssBytes);
  const rssGrowthBytes = end.rssBytes - half.rssBytes;
  return {
    startRssBytes: start.rssBytes,
    halfRssBytes: half.rssBytes,
    endRssBytes: end.rssBytes,
    idleRssBytes: idle?.rssBytes ?? Number.NaN,
    peakRssBytes,
    rssGrowthBytes,
    heapHalfBytes: half.heapUsedBytes,
    heapEndBytes: end.heapUsedBytes,
    heapGrowthBytes: end.heapUsedBytes - half.heapUsedBytes,
    allowedGrowthBytes,
    grew: rssGrowthBytes > allowedGrowthBytes,
  };
}

function megabytes(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / MEGABYTE).toFixed(1) : '–';
}

/** At most `count` samples, evenly spread, always keeping the first and the last. */
export function thinSamples<T>(samples: T[], count: number): T[] {
  if (samples.length <= count) return samples;
  const kept: T[] = [];
  for (let index = 0; index < count; index++) {
    kept.push(samples[Math.round((index * (samples.length - 1)) / (count - 1))]!);
  }
  return kept;
}

export function renderSoak(samples: SoakSample[], verdict: SoakVerdict): string {
  const lines = [
    '| Phase | Seconds | Requests | RSS MB | Heap used MB |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...[
      ...samples.filter((sample) => sample.phase === 'start'),
      ...thinSamples(
        samples.filter((sample) => sample.phase === 'load'),
        22,
      ),
      ...samples.filter((sample) => sample.phase === 'end' || sample.phase === 'idle'),
    ].map(
      (sample) =>
        `| ${sample.phase} | ${sample.seconds.toFixed(0)} | ${sample.completed} | ${megabytes(sample.rssBytes)} | ` +
        `${megabytes(sample.heapUsedBytes)} |`,
    ),
    '',
    `- RSS: start ${megabytes(verdict.startRssBytes)} MB, half-way ${megabytes(verdict.halfRssBytes)} MB, ` +
      `end ${megabytes(verdict.endRssBytes)} MB, after 5 s idle ${megabytes(verdict.idleRssBytes)} MB, ` +
      `peak ${megabytes(verdict.peakRssBytes)} MB`,
    `- Heap used: half-way ${megabytes(verdict.heapHalfBytes)} MB, end ${megabytes(verdict.heapEndBytes)} MB`,
    `- Second-half RSS growth: ${megabytes(verdict.rssGrowthBytes)} MB (allowed ${megabytes(verdict.allowedGrowthBytes)} MB): ` +
      (verdict.grew ? '**memory grew**' : 'flat'),
  ];
  return lines.join('\n');
}
