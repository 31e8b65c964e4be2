/**
 * Decides which of many alike log lines are written: the first of each key (a client address and a
 * reason, say) per window, and with it how many were left out since the last one written. A client
 * that sends thousands of requests without a key then costs one warning line a minute, not one per
 * request, and the count still says how many there were.
 */

export interface LogSamplerOptions {
  /** Length of a window, ms. */
  windowMs: number;
  /** Keys remembered at most; beyond it the least recently written are forgotten. */
  maxKeys: number;
  /** The clock, in ms (tests may drive it). */
  now?: () => number;
}

interface Entry {
  window: number;
  suppressed: number;
}

export class LogSampler {
  readonly #entries = new Map<string, Entry>();
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: LogSamplerOptions) {
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Whether a line for `key` is written now: undefined when it is left out, else the number of lines
   * for the same key left out since the last one written.
   */
  take(key: string): number | undefined {
    const window = Math.floor(this.#now() / this.#windowMs);
    const entry = this.#entries.get(key);
    if (entry && entry.window === window) {
      entry.suppressed += 1;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    // Re-inserted, so that the map's order is the order keys were last written in.
    this.#entries.delete(key);
    this.#entries.set(key, { window, suppressed: 0 });
    if (this.#entries.size > this.#maxKeys) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return suppressed;
  }
}
