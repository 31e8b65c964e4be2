/** A DiscoveryScheduler the test runs by hand: nothing happens until `tick`, which awaits the runs. */
import type { DiscoveryScheduler } from '../../src/model-discovery.js';

export class ManualScheduler implements DiscoveryScheduler {
  readonly #jobs = new Set<{ ms: number; run: () => Promise<void> }>();

  every(ms: number, run: () => Promise<void>): { cancel(): void } {
    const job = { ms, run };
    this.#jobs.add(job);
    return { cancel: () => this.#jobs.delete(job) };
  }

  /** The intervals scheduled and not cancelled, in ms. */
  intervals(): number[] {
    return [...this.#jobs].map((job) => job.ms);
  }

  /** Runs every scheduled job once, as if their time had come. */
  async tick(): Promise<void> {
    await Promise.all([...this.#jobs].map((job) => job.run()));
  }
}
