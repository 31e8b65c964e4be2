/**
 * The exact-match response cache for chat completions, embeddings and the answers of inbound doors
 * (docs/caching.md). Routes call it at two points: `lookup…` after the model is resolved and before
 * the router runs (a hit answers the request there), and the returned ticket after a successful call
 * (the answer is stored).
 *
 * Entries are scoped per key unless `cache.scope` is `global`. A request that brings its own provider
 * key is never served from or stored in the cache. Every answer of a cacheable route says what the
 * cache did in `X-Cache: HIT | MISS | BYPASS`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../schemas/chat.js';
import type { EmbeddingsRequest } from '../../schemas/embeddings.js';
import type { GatewayOptions } from '../../schemas/options.js';
import { renderError, GatewayError } from '../errors.js';
import { setGatewayHeaders } from '../http/gateway-headers.js';
import type { RequestState } from '../http/request-state.js';
import type { StreamEvent, UnaryResult } from '../provider.js';
import { targetsOf, type PlanTargets } from '../model-access.js';
import { ChatStreamBody, SSE_HEADERS } from '../sse.js';
import { readCacheDirectives, type CacheDirectives } from './cache-directives.js';
import {
  decodeCacheEntry,
  decodeStoredStream,
  encodeCacheEntry,
  encodeStoredStream,
  type CacheEntry,
  type StoredStream,
} from './cache-entry.js';
import { chatAnswerDigest, embeddingInputItems, embeddingItemDigests, resolvedModelOf } from './cache-key.js';
import type { CacheStore } from './cache-store.js';
import { convertChunksToCompletion, convertCompletionToChunks } from './convert-cached-chat.js';

export const CACHE_HEADER = 'x-cache';
/** For embeddings: how many of the request's inputs came from the cache, as `<hits>/<inputs>`. */
export const CACHE_HITS_HEADER = 'x-gateway-cache-hits';

export interface ChatCacheTicket {
  /** True when the cache answered: the reply is sent and the route only returns it. */
  readonly answered: boolean;
  /** Keeps a successful unary answer; returns at once (the write is not awaited). */
  storeUnary(result: UnaryResult): void;
  /**
   * A recorder for the stream's events on their way to the client (`add` each, `complete` once the
   * upstream ended cleanly: the moment src/sse.ts writes `[DONE]`); nothing is kept after a cut or an
   * error. Null when the answer is not to be stored.
   */
  streamRecorder(): StreamRecorder | null;
}

export interface StreamRecorder {
  add(event: StreamEvent): void;
  complete(): void;
}

/**
 * A door's ticket (an inbound API besides OpenAI's): the door's own answer stored for the request,
 * if any, and how to keep a fresh one. The door replays a stored answer in its own forms (unary, or
 * its stream grammar).
 */
export interface AnswerCacheTicket {
  /** The stored answer (the door's unary answer, JSON text) on a hit; undefined otherwise. */
  readonly hit: string | undefined;
  /** Whether `store` keeps anything (a stream need not be collected otherwise). */
  readonly storing: boolean;
  /**
   * Keeps a complete answer (JSON text); returns at once (the write is not awaited). An answer
   * without the provider's usage is not kept: a hit must stand in for a full answer.
   */
  store(answer: string, hasUsage: boolean): void;
}

export interface EmbeddingsCacheTicket {
  readonly answered: boolean;
  /** What to send upstream: the client's request, or only the inputs the cache did not have. */
  readonly request: EmbeddingsRequest;
  /** The client's answer from the upstream's (merged with the cached inputs); keeps the new inputs. */
  complete(result: UnaryResult): UnaryResult;
}

const NO_CHAT_TICKET: ChatCacheTicket = Object.freeze({
  answered: false,
  storeUnary() {},
  streamRecorder: () => null,
});

const ANSWERED_CHAT: ChatCacheTicket = Object.freeze({ ...NO_CHAT_TICKET, answered: true });

const NO_ANSWER_TICKET: AnswerCacheTicket = Object.freeze({ hit: undefined, storing: false, store() {} });

function ignoreFailure(): void {
  // A failed write only means the next request misses; Redis health is reported by plugins/redis.ts.
}

function errorEnvelope(error: unknown) {
  return renderError(error).envelope;
}

async function* fromArray(events: StreamEvent[]): AsyncGenerator<StreamEvent, void, undefined> {
  yield* events;
}

export class ResponseCache {
  readonly enabled: boolean;
  readonly #store: CacheStore | null;
  readonly #options: GatewayOptions['cache'];
  readonly #defaults: CacheDirectives;

  constructor(options: GatewayOptions['cache'], store: CacheStore | null) {
    this.enabled = options.enabled && store !== null;
    this.#store = store;
    this.#options = options;
    this.#defaults = Object.freeze({ read: true, write: true, ttlSeconds: options.ttlSeconds });
  }

  /** The key prefix that scopes entries: the caller's, or one shared by all with scope `global`. */
  #scopeOf(state: RequestState): string {
    return this.#options.scope === 'global' ? '*' : (state.identity?.scope ?? 'anonymous');
  }

  /** Directives of this request, or undefined when the cache must not be used for it at all. */
  #directivesFor(request: FastifyRequest, reply: FastifyReply): CacheDirectives | undefined {
    const directives =
      readCacheDirectives(request.headers, this.#options.ttlSeconds, this.#options.maxTtlSeconds) ??
      this.#defaults;
    // A client's own provider key means the answer is the client's business: never shared, never kept.
    if (request.gateway.providerApiKey !== undefined || (!directives.read && !directives.write)) {
      markCache(reply, request.gateway, 'BYPASS');
      return undefined;
    }
    return directives;
  }

  async lookupChat(
    request: FastifyRequest,
    reply: FastifyReply,
    plan: PlanTargets,
  ): Promise<ChatCacheTicket> {
    if (!this.enabled) return NO_CHAT_TICKET;
    const directives = this.#directivesFor(request, reply);
    if (!directives) return NO_CHAT_TICKET;
    const state = request.gateway;
    const body = request.body as ChatCompletionRequest;
    const key = `chat:${this.#scopeOf(state)}:${chatAnswerDigest(body, resolvedModelOf(targetsOf(plan)))}`;
    if (directives.read) {
      let text: string | undefined;
      try {
        text = await this.#store!.get(key);
      } catch {
        markCache(reply, state, 'BYPASS');
        return NO_CHAT_TICKET;
      }
      const entry = text === undefined ? undefined : decodeCacheEntry(text);
      if (entry && this.#answerChat(entry, body, reply, state)) return ANSWERED_CHAT;
      markCache(reply, state, 'MISS');
    } else markCache(reply, state, 'BYPASS');
    return directives.write
      ? new ChatStoreTicket(this.#store!, key, directives.ttlSeconds, state, this.#options)
      : NO_CHAT_TICKET;
  }

  /** Answers a chat request from an entry found elsewhere (the semantic cache); false when it cannot. */
  answerChatFrom(entry: CacheEntry, request: FastifyRequest, reply: FastifyReply): boolean {
    return this.#answerChat(entry, request.body as ChatCompletionRequest, reply, request.gateway);
  }

  /** Answers from `entry` when it can serve this request; false when it cannot (then it is a miss). */
  #answerChat(
    entry: CacheEntry,
    body: ChatCompletionRequest,
    reply: FastifyReply,
    state: RequestState,
  ): boolean {
    if (entry.kind === 'embedding') return false;
    const stream = body.stream === true;
    // A unary answer always carries usage, and so does a stream asked for with include_usage: an
    // entry without it cannot stand in for those.
    if ((!stream || body.stream_options?.include_usage === true) && !entry.hasUsage) return false;
    const stored = entry.kind === 'stream' ? decodeStoredStream(entry) : undefined;
    if (entry.kind === 'stream' && stored === undefined) return false;
    state.provider = entry.provider;
    state.answeredModel = entry.model;
    state.attempts = 0;
    markCache(reply, state, 'HIT');
    setGatewayHeaders(reply, state);
    if (!stream) {
      const payload =
        entry.kind === 'unary' ? entry.payload : convertChunksToCompletion(...storedStreamParts(stored!));
      reply.type('application/json').send(payload);
      return true;
    }
    const includeUsage = body.stream_options?.include_usage === true;
    let events: StreamEvent[];
    if (entry.kind === 'unary') {
      events = convertCompletionToChunks(
        JSON.parse(entry.payload) as Record<string, unknown>,
        includeUsage,
      ).map((chunk) => ({ chunk }));
    } else {
      const texts =
        includeUsage && stored!.usage !== null ? [...stored!.chunks, stored!.usage] : stored!.chunks;
      events = texts.map(storedEvent);
    }
    reply.headers(SSE_HEADERS);
    reply.send(new ChatStreamBody(fromArray(events), { onError: errorEnvelope }));
    return true;
  }

  /**
   * The cache of a door: `fields` are what changes the door's answer (its request's fields, and the
   * headers that change it), hashed as chat requests are, with the same fields left out
   * (cache-key.ts); entries are kept under the door's API name (`anthropic-messages:…`), so they
   * never meet the chat completions' entries. On a hit the gateway's headers and `X-Cache: HIT` are
   * set; the door sends the answer.
   */
  async lookupAnswer(
    request: FastifyRequest,
    reply: FastifyReply,
    plan: PlanTargets,
    api: string,
    fields: Record<string, unknown>,
  ): Promise<AnswerCacheTicket> {
    if (!this.enabled) return NO_ANSWER_TICKET;
    const directives = this.#directivesFor(request, reply);
    if (!directives) return NO_ANSWER_TICKET;
    const state = request.gateway;
    const key = `${api}:${this.#scopeOf(state)}:${chatAnswerDigest(fields, resolvedModelOf(targetsOf(plan)))}`;
    if (directives.read) {
      let text: string | undefined;
      try {
        text = await this.#store!.get(key);
      } catch {
        markCache(reply, state, 'BYPASS');
        return NO_ANSWER_TICKET;
      }
      const entry = text === undefined ? undefined : decodeCacheEntry(text);
      if (entry?.kind === 'unary') {
        state.provider = entry.provider;
        state.answeredModel = entry.model;
        state.attempts = 0;
        markCache(reply, state, 'HIT');
        setGatewayHeaders(reply, state);
        return { ...NO_ANSWER_TICKET, hit: entry.payload };
      }
      markCache(reply, state, 'MISS');
    } else markCache(reply, state, 'BYPASS');
    if (!directives.write) return NO_ANSWER_TICKET;
    const store = this.#store!;
    const ttl = directives.ttlSeconds;
    const maxEntryBytes = this.#options.maxEntryBytes;
    return {
      hit: undefined,
      storing: true,
      store(answer, hasUsage) {
        if (!hasUsage || answer.length > maxEntryBytes) return;
        const entry = {
          kind: 'unary' as const,
          provider: state.provider,
          model: state.answeredModel,
          hasUsage,
        };
        store.set(key, encodeCacheEntry({ ...entry, payload: answer }), ttl).catch(ignoreFailure);
      },
    };
  }

  async lookupEmbeddings(
    request: FastifyRequest,
    reply: FastifyReply,
    plan: PlanTargets,
  ): Promise<EmbeddingsCacheTicket> {
    const body = request.body as EmbeddingsRequest;
    if (!this.enabled) return passThrough(body);
    const directives = this.#directivesFor(request, reply);
    if (!directives) return passThrough(body);
    const state = request.gateway;
    const scope = this.#scopeOf(state);
    const keys = embeddingItemDigests(
      body as unknown as Record<string, unknown>,
      resolvedModelOf(targetsOf(plan)),
    ).map((digest) => `embeddings:${scope}:${digest}`);
    let cached: (CacheEntry | undefined)[] = [];
    if (directives.read) {
      let texts: (string | undefined)[];
      try {
        texts = await this.#store!.getMany(keys);
      } catch {
        markCache(reply, state, 'BYPASS');
        return passThrough(body);
      }
      cached = texts.map((text) => {
        const entry = text === undefined ? undefined : decodeCacheEntry(text);
        return entry?.kind === 'embedding' ? entry : undefined;
      });
    }
    const items = embeddingInputItems(body.input);
    const missing: number[] = [];
    for (let index = 0; index < items.length; index++) if (!cached[index]) missing.push(index);
    const hits = items.length - missing.length;
    markCache(reply, state, !directives.read ? 'BYPASS' : missing.length === 0 ? 'HIT' : 'MISS');
    if (hits > 0) reply.header(CACHE_HITS_HEADER, `${hits}/${items.length}`);

    if (missing.length === 0) {
      const first = cached[0]!;
      state.provider = first.provider;
      state.answeredModel = first.model;
      state.attempts = 0;
      setGatewayHeaders(reply, state);
      const data = cached.map((entry, index) => embeddingItem(index, entry!.payload));
      reply
        .type('application/json')
        .send(embeddingsBody(data, first.model ?? '', { prompt_tokens: 0, total_tokens: 0 }));
      return { answered: true, request: body, complete: (result) => result };
    }
    const upstreamRequest =
      hits === 0
        ? body
        : { ...body, input: missing.map((index) => items[index]) as EmbeddingsRequest['input'] };
    const store = this.#store!;
    const write = directives.write;
    const ttl = directives.ttlSeconds;
    const maxEntryBytes = this.#options.maxEntryBytes;
    return {
      answered: false,
      request: upstreamRequest,
      complete(result) {
        const vectors = readEmbeddings(result, missing.length);
        if (!vectors) {
          if (hits === 0) return result;
          throw new GatewayError('GW_ERR_UPSTREAM_BAD_RESPONSE', {
            message: 'The provider answered an embeddings request with a list the gateway could not read.',
          });
        }
        if (write) {
          // Each vector is an entry: one larger than the bound (a huge dimension count) is not kept.
          const entries: (readonly [string, string])[] = [];
          vectors.forEach((vector, position) => {
            if (vector.length > maxEntryBytes) return;
            const entry = encodeCacheEntry({
              kind: 'embedding',
              provider: state.provider,
              model: state.answeredModel,
              hasUsage: false,
              payload: vector,
            });
            entries.push([keys[missing[position]!]!, entry]);
          });
          if (entries.length > 0) store.setMany(entries, ttl).catch(ignoreFailure);
        }
        if (hits === 0) return result;
        const data = new Array<string>(items.length);
        for (let index = 0; index < items.length; index++) {
          const entry = cached[index];
          if (entry) data[index] = embeddingItem(index, entry.payload);
        }
        missing.forEach((index, position) => {
          data[index] = embeddingItem(index, vectors[position]!);
        });
        const usage = result.usage
          ? { prompt_tokens: result.usage.promptTokens, total_tokens: result.usage.totalTokens }
          : { prompt_tokens: 0, total_tokens: 0 };
        return { ...result, body: embeddingsBody(data, result.model, usage) };
      },
    };
  }
}

function passThrough(body: EmbeddingsRequest): EmbeddingsCacheTicket {
  return { answered: false, request: body, complete: (result) => result };
}

function markCache(reply: FastifyReply, state: RequestState, status: 'HIT' | 'MISS' | 'BYPASS'): void {
  state.cache = status;
  reply.header(CACHE_HEADER, status);
}

/** A stored chunk, replayed as its text; parsed only if something reads it. */
function storedEvent(raw: string): StreamEvent {
  let chunk: ChatCompletionChunk | undefined;
  return {
    raw,
    get chunk() {
      return (chunk ??= JSON.parse(raw) as ChatCompletionChunk);
    },
  };
}

function storedStreamParts(stored: StoredStream): [string[], string | null] {
  return [stored.chunks, stored.usage];
}

function embeddingItem(index: number, embeddingJson: string): string {
  return `{"object":"embedding","index":${index},"embedding":${embeddingJson}}`;
}

function embeddingsBody(
  data: string[],
  model: string,
  usage: { prompt_tokens: number; total_tokens: number },
): string {
  return `{"object":"list","data":[${data.join(',')}],"model":${JSON.stringify(model)},"usage":${JSON.stringify(usage)}}`;
}

/** Each input's embedding as JSON text, in input order; undefined when the answer is not readable. */
function readEmbeddings(result: UnaryResult, expected: number): string[] | undefined {
  let parsed: { data?: unknown };
  try {
    parsed = JSON.parse(typeof result.body === 'string' ? result.body : result.body.toString('utf8')) as {
      data?: unknown;
    };
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed.data) || parsed.data.length !== expected) return undefined;
  const vectors = new Array<string>(expected);
  for (const item of parsed.data as { index?: unknown; embedding?: unknown }[]) {
    const index = item?.index;
    if (typeof index !== 'number' || index < 0 || index >= expected || vectors[index] !== undefined)
      return undefined;
    if (!Array.isArray(item.embedding) && typeof item.embedding !== 'string') return undefined;
    vectors[index] = JSON.stringify(item.embedding);
  }
  return vectors;
}

/** Stores one chat answer: a unary body at once, a stream once it ended cleanly. */
export class ChatStoreTicket implements ChatCacheTicket {
  readonly answered = false;
  readonly #store: CacheStore;
  readonly #key: string;
  readonly #ttlSeconds: number;
  readonly #state: RequestState;
  readonly #maxEntryBytes: number;

  constructor(
    store: CacheStore,
    key: string,
    ttlSeconds: number,
    state: RequestState,
    options: GatewayOptions['cache'],
  ) {
    this.#store = store;
    this.#key = key;
    this.#ttlSeconds = ttlSeconds;
    this.#state = state;
    this.#maxEntryBytes = options.maxEntryBytes;
  }

  #keep(kind: 'unary' | 'stream', hasUsage: boolean, payload: string, streamLayout?: 'lines' | 'json'): void {
    if (payload.length > this.#maxEntryBytes) return;
    const text = encodeCacheEntry({
      kind,
      ...(streamLayout === undefined ? {} : { streamLayout }),
      provider: this.#state.provider,
      model: this.#state.answeredModel,
      hasUsage,
      payload,
    });
    this.#store.set(this.#key, text, this.#ttlSeconds).catch(ignoreFailure);
  }

  storeUnary(result: UnaryResult): void {
    if (!result.contentType.startsWith('application/json')) return;
    if (result.body.length > this.#maxEntryBytes) return;
    const body =
      typeof result.body === 'string' ? result.body : (result.bodyText ?? result.body.toString('utf8'));
    this.#keep('unary', result.usage !== undefined, body);
  }

  streamRecorder(): StreamRecorder {
    let chunks: string[] | null = [];
    let usage: string | null = null;
    let size = 0;
    return {
      add: (event) => {
        if (chunks === null) return;
        const raw = event.raw ?? JSON.stringify(event.chunk);
        size += raw.length;
        if (size > this.#maxEntryBytes) chunks = null;
        else if (event.mayCarryUsage !== false && event.chunk.choices.length === 0 && event.chunk.usage)
          usage = raw;
        else chunks.push(raw);
      },
      complete: () => {
        if (chunks !== null) {
          const { payload, streamLayout } = encodeStoredStream({ chunks, usage });
          this.#keep('stream', usage !== null, payload, streamLayout);
        }
      },
    };
  }
}
