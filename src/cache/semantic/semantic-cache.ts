/**
 * The semantic cache (docs/caching.md, "Semantic cache"): after the exact cache missed, a chat
 * request that opted in (per request with `x-gateway-cache: semantic`, or for its model, group or
 * key by configuration) is answered with the stored answer of a question close enough in meaning:
 * the same partition (everything but the compared turns equal, semantic-subject.ts), in the same
 * scope as the exact cache, at a cosine similarity at or above the threshold of its model or group.
 * A wrong hit is worse than a miss: anything in doubt is a miss.
 *
 * The question is embedded by the configured embedding model through the router
 * (embed-question.ts); that call's usage is accounted to the key as the embedding model's own. A
 * failed or late embedding, or a store that cannot answer, is a plain miss: the semantic cache
 * never fails a request, nor delays it past its time limit. A miss stores the fresh answer (a
 * stream once it ended cleanly) in the exact cache and here.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { GatewayOptions } from '../../../schemas/options.js';
import { costOf, pricingOf } from '../../catalog.js';
import { GatewayError } from '../../errors.js';
import type { UnaryResult, Usage } from '../../provider.js';
import { targetsOf } from '../../model-access.js';
import type { OrderedPlan, Router } from '../../routing/router.js';
import type { Deployment } from '../../routing/deployment.js';
import type { UsageStore } from '../../usage/usage-store.js';
import { readCacheDirectives } from '../cache-directives.js';
import { decodeCacheEntry } from '../cache-entry.js';
import { resolvedModelOf } from '../cache-key.js';
import type { CacheStore } from '../cache-store.js';
import {
  ChatStoreTicket,
  type ChatCacheTicket,
  type ResponseCache,
  type StreamRecorder,
} from '../response-cache.js';
import { embedQuestion, type EmbeddingOutcome } from './embed-question.js';
import { semanticSubjectOf } from './semantic-subject.js';
import type { SemanticStore } from './semantic-store.js';

/** Per request: `semantic` asks for a semantic lookup, `exact` turns it off. */
export const CACHE_MODE_HEADER = 'x-gateway-cache';
export const CACHE_MATCH_HEADER = 'x-gateway-cache-match';
export const CACHE_SIMILARITY_HEADER = 'x-gateway-cache-similarity';

export type SemanticLookupResult = 'hit' | 'miss' | 'skipped' | 'embedding_failed' | 'store_unavailable';

/** What the semantic cache reports, for metrics (plugins/semantic-cache.ts). */
export interface SemanticCacheObserver {
  lookup(result: SemanticLookupResult): void;
  embedding(seconds: number, outcome: 'success' | EmbeddingFailure): void;
  embeddingUsage(deployment: Deployment, usage: Usage, costUsd: number): void;
}

type EmbeddingFailure = Extract<EmbeddingOutcome, { ok: false }>['reason'];

export interface SemanticCacheSettings {
  readonly semantic: GatewayOptions['cache']['semantic'];
  readonly cache: GatewayOptions['cache'];
}

export class SemanticCache {
  readonly #settings: SemanticCacheSettings;
  readonly #store: SemanticStore;
  readonly #router: Router;
  readonly #exact: ResponseCache;
  readonly #usage: UsageStore | undefined;
  readonly #observer: SemanticCacheObserver;
  readonly #clients: ReadonlySet<string>;

  constructor(
    settings: SemanticCacheSettings,
    store: SemanticStore,
    router: Router,
    exact: ResponseCache,
    usage: UsageStore | undefined,
    observer: SemanticCacheObserver,
  ) {
    this.#settings = settings;
    this.#store = store;
    this.#router = router;
    this.#exact = exact;
    this.#usage = usage;
    this.#observer = observer;
    this.#clients = new Set(settings.semantic.clients);
  }

  /** Whether this request asks for a semantic lookup (header, else its model, group or key). */
  #wanted(request: FastifyRequest, body: ChatCompletionRequest, plan: OrderedPlan): boolean {
    const header = request.headers[CACHE_MODE_HEADER];
    if (header !== undefined) {
      const mode = typeof header === 'string' ? header.trim().toLowerCase() : '';
      if (mode === 'semantic') return true;
      if (mode === 'exact') return false;
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Invalid value for header '${CACHE_MODE_HEADER}': it must be 'semantic' or 'exact'.`,
        param: CACHE_MODE_HEADER,
      });
    }
    const semantic = this.#settings.semantic;
    if (semantic.enabled) return true;
    if (this.#modelSetting(body, plan, 'enabled') === true) return true;
    const identity = request.gateway.identity;
    return identity !== null && this.#clients.has(identity.id);
  }

  /** A model setting, by the name the client sent (a model, alias or group), else by catalog id. */
  #modelSetting<K extends 'enabled' | 'threshold'>(
    body: ChatCompletionRequest,
    plan: OrderedPlan,
    setting: K,
  ): NonNullable<GatewayOptions['cache']['semantic']['models'][string][K]> | undefined {
    const models = this.#settings.semantic.models;
    const named = models[body.model]?.[setting];
    if (named !== undefined) return named;
    for (const deployment of plan.deployments) {
      const id = deployment.model?.id;
      const value = id === undefined ? undefined : models[id]?.[setting];
      if (value !== undefined) return value;
    }
    return undefined;
  }

  thresholdFor(body: ChatCompletionRequest, plan: OrderedPlan): number {
    return this.#modelSetting(body, plan, 'threshold') ?? this.#settings.semantic.threshold;
  }

  /**
   * Called by the chat route after the exact cache missed: answers from a similar question's entry,
   * or returns a ticket that stores the fresh answer in the exact cache (`exact`) and here.
   */
  async lookupChat(
    request: FastifyRequest,
    reply: FastifyReply,
    plan: OrderedPlan,
    exact: ChatCacheTicket,
  ): Promise<ChatCacheTicket> {
    const state = request.gateway;
    // Only where the exact cache was asked and missed: not for no-cache, no-store, a client's own
    // provider key, or a store that is down.
    if (exact.answered || state.cache !== 'MISS') return exact;
    const body = request.body as ChatCompletionRequest;
    if (!this.#wanted(request, body, plan)) return exact;
    const semantic = this.#settings.semantic;
    const subject = semanticSubjectOf(body, resolvedModelOf(targetsOf(plan)), semantic);
    if ('refused' in subject) {
      this.#observer.lookup('skipped');
      return exact;
    }
    const scope = this.#settings.cache.scope === 'global' ? '*' : (state.identity?.scope ?? 'anonymous');
    const partition = `${scope}:${subject.partition}`;

    const started = performance.now();
    const outcome = await embedQuestion(
      this.#router,
      semantic.embeddingModel,
      subject.text,
      request,
      semantic.timeoutMs,
    );
    const elapsed = performance.now() - started;
    // Time spent waiting on the embedding model is upstream time, not the gateway's overhead.
    state.upstreamMs += elapsed;
    this.#observer.embedding(elapsed / 1000, outcome.ok ? 'success' : outcome.reason);
    if (!outcome.ok) {
      this.#observer.lookup('embedding_failed');
      return exact;
    }
    const { vector, usage, deployment } = outcome.question;
    if (usage) this.#account(request, deployment, usage);

    let match;
    try {
      match = await this.#store.search(partition, vector, this.thresholdFor(body, plan));
    } catch (error) {
      request.log.debug({ err: error }, 'semantic cache: store unavailable');
      this.#observer.lookup('store_unavailable');
      return exact;
    }
    if (match) {
      const entry = decodeCacheEntry(match.answer);
      if (entry) {
        // Set before the answer is sent; taken back if the entry cannot serve this request.
        reply.header(CACHE_MATCH_HEADER, 'semantic');
        reply.header(CACHE_SIMILARITY_HEADER, match.similarity.toFixed(4));
        if (this.#exact.answerChatFrom(entry, request, reply)) {
          this.#observer.lookup('hit');
          return { answered: true, storeUnary() {}, streamRecorder: () => null };
        }
        reply.removeHeader(CACHE_MATCH_HEADER);
        reply.removeHeader(CACHE_SIMILARITY_HEADER);
      }
    }
    this.#observer.lookup('miss');

    const directives = readCacheDirectives(
      request.headers,
      this.#settings.cache.ttlSeconds,
      this.#settings.cache.maxTtlSeconds,
    );
    const ttlSeconds = directives?.ttlSeconds ?? this.#settings.cache.ttlSeconds;
    if (directives?.write === false) return exact;
    const store = this.#store;
    // The exact cache's ticket keeps the answer in the same form; its store is this partition.
    const semanticStore: CacheStore = {
      get: async () => undefined,
      getMany: async (keys) => keys.map(() => undefined),
      set: (_key, value, ttl) => store.add(partition, vector, value, ttl),
      setMany: async () => {},
    };
    const ticket = new ChatStoreTicket(semanticStore, partition, ttlSeconds, state, this.#settings.cache);
    return bothTickets(exact, ticket);
  }

  #account(request: FastifyRequest, deployment: Deployment, usage: Usage): void {
    const costUsd = costOf(pricingOf(deployment), usage);
    this.#observer.embeddingUsage(deployment, usage, costUsd);
    const identity = request.gateway.identity;
    if (!identity || !this.#usage) return;
    this.#usage
      .record({
        identity: identity.id,
        model: deployment.model?.id ?? deployment.deploymentId,
        usage,
        costUsd,
        at: new Date(),
      })
      .catch((error: unknown) => request.log.debug({ err: error }, 'semantic cache: usage not recorded'));
  }
}

/** One ticket over two: each answer goes to both caches. */
function bothTickets(first: ChatCacheTicket, second: ChatCacheTicket): ChatCacheTicket {
  return {
    answered: false,
    storeUnary(result: UnaryResult) {
      first.storeUnary(result);
      second.storeUnary(result);
    },
    streamRecorder(): StreamRecorder | null {
      const recorders = [first.streamRecorder(), second.streamRecorder()].filter(
        (recorder): recorder is StreamRecorder => recorder !== null,
      );
      if (recorders.length === 0) return null;
      return {
        add(event) {
          for (const recorder of recorders) recorder.add(event);
        },
        complete() {
          for (const recorder of recorders) recorder.complete();
        },
      };
    },
  };
}
