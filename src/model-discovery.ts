/**
 * Models found on the providers' own servers (`ProviderAdapter.modelDiscovery`): a model server of
 * one's own serves whatever it has loaded, so its instance's models are asked of it when the gateway
 * starts and again every `refreshMs`, and put in the catalog (`Catalog.setDiscovered`), where the
 * router and /v1/models find them. Names no provider.
 *
 * A server that does not answer keeps the models found before (none at first), and is asked again at
 * the next refresh: a local server started after the gateway is found then.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Catalog } from './catalog.js';
import type { ProviderInstance } from './provider.js';

/** The longest the first discovery holds up the start, per instance. */
const START_TIMEOUT_MS = 10_000;

/** Runs `run` every `ms` until cancelled; injected by tests, which await what `run` returns. */
export interface DiscoveryScheduler {
  every(ms: number, run: () => Promise<void>): { cancel(): void };
}

const timers: DiscoveryScheduler = {
  every(ms, run) {
    const timer = setInterval(() => void run(), ms);
    // A refresh never keeps the process alive.
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};

export interface ModelDiscoveryOptions {
  scheduler?: DiscoveryScheduler;
  /** The longest one discovery may take (at start, and each refresh). */
  timeoutMs?: number;
}

export class ModelDiscoveryRunner {
  readonly #instances: readonly ProviderInstance[];
  readonly #catalog: Catalog;
  readonly #log: FastifyBaseLogger;
  readonly #scheduler: DiscoveryScheduler;
  readonly #timeoutMs: number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #schedules: { cancel(): void }[] = [];
  readonly #closing = new AbortController();

  constructor(
    providers: { configured(): ProviderInstance[] },
    catalog: Catalog,
    log: FastifyBaseLogger,
    options: ModelDiscoveryOptions = {},
  ) {
    this.#instances = providers.configured().filter((instance) => instance.adapter.modelDiscovery);
    this.#catalog = catalog;
    this.#log = log;
    this.#scheduler = options.scheduler ?? timers;
    this.#timeoutMs = options.timeoutMs ?? START_TIMEOUT_MS;
  }

  /** The instances whose models are discovered. */
  get instances(): readonly string[] {
    return this.#instances.map((instance) => instance.id);
  }

  /** Discovers every instance's models once, then schedules the refreshes. */
  async start(): Promise<void> {
    await this.refresh();
    for (const instance of this.#instances) {
      const refreshMs = instance.adapter.modelDiscovery!.refreshMs;
      this.#schedules.push(this.#scheduler.every(refreshMs, () => this.refresh(instance.id)));
    }
  }

  /** Asks the servers (one instance, or all) now; one request per instance at a time. */
  async refresh(id?: string): Promise<void> {
    const chosen = this.#instances.filter((instance) => id === undefined || instance.id === id);
    await Promise.all(chosen.map((instance) => this.#discover(instance)));
  }

  #discover(instance: ProviderInstance): Promise<void> {
    let running = this.#inFlight.get(instance.id);
    if (!running) {
      running = this.#ask(instance).finally(() => this.#inFlight.delete(instance.id));
      this.#inFlight.set(instance.id, running);
    }
    return running;
  }

  async #ask(instance: ProviderInstance): Promise<void> {
    const signal = AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#timeoutMs)]);
    const before = this.#catalog.discovered().filter((model) => model.provider === instance.id);
    try {
      const models = await instance.adapter.modelDiscovery!.discover(signal);
      this.#catalog.setDiscovered(instance.id, models);
      const changed =
        before.length !== models.length || models.some((model, index) => model.id !== before[index]?.id);
      const line = { provider: instance.id, models: models.map((model) => model.id) };
      if (changed) this.#log.info(line, 'models discovered');
      else this.#log.debug(line, 'models discovered, unchanged');
    } catch (error) {
      if (this.#closing.signal.aborted) return;
      this.#log.warn(
        { provider: instance.id, error: (error as Error).message, kept: before.length },
        'model discovery failed: the models found before are kept',
      );
    }
  }

  /** Stops the refreshes and abandons the discoveries under way. */
  close(): void {
    for (const schedule of this.#schedules) schedule.cancel();
    this.#schedules.length = 0;
    this.#closing.abort();
  }
}
