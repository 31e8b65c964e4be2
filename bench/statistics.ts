/**
 * The few statistics the benchmark reports: percentiles of latency samples (nearest rank, the
 * definition HdrHistogram and most load generators use, so p50 and p99 are values that were actually
 * observed) and medians over interleaved rounds.
 */

/** The value at percentile `p` (0–100) of `values`, by nearest rank; NaN for no values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentiles(values, [p])[0];
}

/** Several percentiles of one sample set (sorted once), in the order asked. */
export function percentiles<const Wanted extends readonly number[]>(
  values: ArrayLike<number>,
  wanted: Wanted,
): { [Index in keyof Wanted]: number } {
  const sorted = Float64Array.from(values).sort();
  return wanted.map((p) => {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0 and 100: got ${p}`);
    if (sorted.length === 0) return Number.NaN;
    return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
  }) as { [Index in keyof Wanted]: number };
}

/** The median of `values` (the mean of the two middle values for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Latency samples in a growable typed array, so a long run does not box a million numbers. */
export class SampleBuffer {
  #values = new Float64Array(4096);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  get length(): number {
    return this.#length;
  }

  values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }
}
