/**
 * The usage of background responses (`background: true`), recorded once, when they end. A provider
 * answers such a request at once with a response `queued` or `in_progress` and no usage, and goes on
 * generating after the request is over; nothing would account for the tokens. The gateway asks the
 * provider for the response (GET /v1/responses/{id}, the key that created it) until its status is
 * terminal, then records the usage it reports to the key that asked, once, and forgets it.
 * @see https://platform.openai.com/docs/guides/background
 *
 * The responses watched are held in this process (bounded): a process that stops first leaves
 * theirs unrecorded, and says how many in its log.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ProviderInstance, Usage } from '../../../src/provider.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { usageFromResponsesApi, type ResponsesUsageWire } from '../../../src/provider-toolkit.js';
import { UpstreamFailure } from '../../../src/upstream.js';

/** How long one look at a response may take, ms. */
const LOOK_TIMEOUT_MS = 30_000;

/** The statuses after which a response changes no more. */
const TERMINAL_STATUSES = new Set(['completed', 'failed', 'cancelled', 'incomplete']);

/** Whether a response object's status says it is still being generated (a background response). */
export function isPending(response: { status?: unknown }): boolean {
  return typeof response.status === 'string' && !TERMINAL_STATUSES.has(response.status);
}

/** A background response whose usage is still to be recorded. */
export interface BackgroundResponse {
  readonly responseId: string;
  /** The provider instance that generates it. */
  readonly instance: ProviderInstance;
  /** The client's own provider key, when the response was made with it; never logged. */
  readonly providerApiKey: string | undefined;
  /** The identity of the key that asked, which the usage is recorded to. */
  readonly owner: string;
  /** The model the usage is recorded under, and the deployment whose price it is charged at. */
  readonly model: string;
  readonly deployment: Deployment;
}

export interface BackgroundUsageOptions {
  /** Time between two looks at the responses watched, ms. */
  pollIntervalMs: number;
  /** Responses watched at most; one more is left unrecorded, with a warning. */
  maxWatched: number;
  /** How long a response is watched before the gateway gives up on it, ms. */
  maxWatchMs: number;
  /** Records the usage of a response that ended; called once per response. */
  record(response: BackgroundResponse, usage: Usage): void;
  log: FastifyBaseLogger;
  /** The clock, in ms. */
  now?: () => number;
}

interface Watched {
  readonly response: BackgroundResponse;
  readonly since: number;
}

export class BackgroundUsage {
  readonly #watched = new Map<string, Watched>();
  readonly #options: BackgroundUsageOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #controller = new AbortController();

  constructor(options: BackgroundUsageOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#watched.size;
  }

  /** Starts watching a response that is still being generated. */
  watch(response: BackgroundResponse): void {
    if (this.#closed || this.#watched.has(response.responseId)) return;
    if (this.#watched.size >= this.#options.maxWatched) {
      this.#options.log.warn(
        { event: 'background_usage_dropped', responseId: response.responseId, owner: response.owner },
        'background response not watched: too many are; its usage will not be recorded',
      );
      return;
    }
    this.#watched.set(response.responseId, { response, since: this.#now() });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#watched.size === 0) return;
    this.#timer = setTimeout(() => {
      void this.#pollAll().finally(() => {
        this.#timer = null;
        this.#schedule();
      });
    }, this.#options.pollIntervalMs);
    // Watching must not keep a process that is otherwise done alive.
    this.#timer.unref();
  }

  /** One look at each response watched, one after the other (a few requests at a time at most). */
  async #pollAll(): Promise<void> {
    for (const [id, watched] of [...this.#watched]) {
      if (this.#closed) return;
      if (this.#now() - watched.since > this.#options.maxWatchMs) {
        this.#watched.delete(id);
        this.#options.log.warn(
          { event: 'background_usage_abandoned', responseId: id, owner: watched.response.owner },
          'background response still not ended: its usage will not be recorded',
        );
        continue;
      }
      await this.#poll(id, watched.response);
    }
  }

  async #poll(id: string, response: BackgroundResponse): Promise<void> {
    let parsed: { status?: unknown; usage?: ResponsesUsageWire | null };
    try {
      const result = await response.instance.adapter.storedResponse!(
        { method: 'GET', responseId: id, query: '' },
        {
          // A provider that does not answer holds up the other looks for LOOK_TIMEOUT_MS at most.
          signal: AbortSignal.any([this.#controller.signal, AbortSignal.timeout(LOOK_TIMEOUT_MS)]),
          deadline: this.#now() + LOOK_TIMEOUT_MS,
          log: this.#options.log,
          requestId: `background:${id}`,
          warnings: [],
          apiKey: response.providerApiKey,
        },
      );
      if (!('body' in result)) return;
      parsed = JSON.parse(result.body.toString()) as typeof parsed;
    } catch (error) {
      // Gone at the provider (deleted by its client): nothing more will be reported.
      if (error instanceof UpstreamFailure && error.upstreamStatus === 404) {
        this.#watched.delete(id);
        this.#options.log.warn(
          { event: 'background_usage_lost', responseId: id, owner: response.owner },
          'background response deleted before it ended: its usage is not known',
        );
      }
      // Anything else (the provider unreachable for a while): asked again at the next look.
      return;
    }
    if (isPending(parsed)) return;
    this.#watched.delete(id);
    const usage = usageFromResponsesApi(parsed.usage);
    if (usage) this.#options.record(response, usage);
  }

  /** Stops watching; the responses still watched are named in the log, their usage unrecorded. */
  close(): void {
    this.#closed = true;
    this.#controller.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#watched.size > 0) {
      this.#options.log.warn(
        { event: 'background_usage_unrecorded', responses: [...this.#watched.keys()] },
        `${this.#watched.size} background responses still running at shutdown: their usage is not recorded`,
      );
    }
    this.#watched.clear();
  }
}
