/**
 * Latencies and gateway overheads as the rollups keep them: counts in fixed, log-spaced buckets,
 * so that rollups of any hours, days, keys or models merge by adding bucket to bucket, and the
 * percentiles of the merged counts are read from them. An average of percentiles would be wrong;
 * the buckets make them exact to within one bucket.
 *
 * Each bucket is √2 wider than the one before: bucket 0 holds what took under 0.1 ms, bucket k
 * (1 to 46) from 0.1·√2^(k-1) to 0.1·√2^k ms, bucket 47 all from 0.1·2^23 ms (about 14 minutes)
 * on. A percentile is given as its bucket's geometric middle, at most 19 % from any value in it.
 * The bounds are part of the store's schema (migration 3 writes them out): changing them needs a
 * migration.
 * @see https://www.vldb.org/pvldb/vol12/p2195-masson.pdf (DDSketch: relative-error buckets that merge)
 */

/** Buckets per distribution. */
export const DURATION_BUCKETS = 48;

/** The lower bound of bucket 1, in milliseconds. */
export const SMALLEST_BOUND_MS = 0.1;

/** The factor between one bucket's bounds. */
export const BUCKET_RATIO = Math.SQRT2;

/** Counts per bucket, DURATION_BUCKETS long. */
export type DurationHistogram = number[];

/** The columns of one distribution in the rollup tables: `latency_00` … `latency_47`. */
export function bucketColumnsOf(name: 'latency' | 'overhead'): string[] {
  return Array.from({ length: DURATION_BUCKETS }, (_, index) => `${name}_${String(index).padStart(2, '0')}`);
}

/** The bucket a duration falls in. */
export function bucketOfDuration(milliseconds: number): number {
  if (!(milliseconds >= SMALLEST_BOUND_MS)) return 0;
  const bucket = Math.floor(2 * Math.log2(milliseconds / SMALLEST_BOUND_MS)) + 1;
  return bucket < DURATION_BUCKETS ? bucket : DURATION_BUCKETS - 1;
}

/** The lower bound of a bucket in milliseconds (0 for bucket 0). */
export function lowerBoundOfBucket(bucket: number): number {
  return bucket <= 0 ? 0 : SMALLEST_BOUND_MS * BUCKET_RATIO ** (bucket - 1);
}

/** What a bucket's durations are reported as: its geometric middle (its lower bound for the last). */
export function valueOfBucket(bucket: number): number {
  if (bucket <= 0) return SMALLEST_BOUND_MS / 2;
  if (bucket >= DURATION_BUCKETS - 1) return lowerBoundOfBucket(DURATION_BUCKETS - 1);
  return SMALLEST_BOUND_MS * BUCKET_RATIO ** (bucket - 0.5);
}

export function emptyHistogram(): DurationHistogram {
  return new Array<number>(DURATION_BUCKETS).fill(0);
}

/** Adds `from` into `into`, bucket by bucket. */
export function addHistogram(into: DurationHistogram, from: readonly number[]): DurationHistogram {
  for (let index = 0; index < DURATION_BUCKETS; index++)
    into[index] = (into[index] ?? 0) + (from[index] ?? 0);
  return into;
}

/**
 * The duration below which `share` of the counted ones lie (nearest rank), as its bucket's value;
 * null when nothing was counted. Rounded to a hundredth of a millisecond.
 */
export function percentileOfHistogram(histogram: readonly number[], share: number): number | null {
  let total = 0;
  for (const count of histogram) total += count;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(share * total));
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket++) {
    seen += histogram[bucket] ?? 0;
    if (seen >= rank) return Math.round(valueOfBucket(bucket) * 100) / 100;
  }
  return null;
}
