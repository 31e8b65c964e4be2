/**
 * Per-route policy (design rule 4): each route states in its `config` whether it needs a key, which
 * rate-limit class it belongs to, whether its answers may be cached and whether it counts toward
 * MAX_CONCURRENT_REQUESTS. Cross-cutting plugins read these; no plugin keeps a list of URLs.
 */
export type RateLimitClass =
  'chat' | 'embeddings' | 'audio' | 'moderations' | 'files' | 'images' | 'realtime' | 'default';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Whether the route needs a gateway key (default true). */
    auth?: boolean;
    /**
     * Whether only the operator's keys may call the route (GATEWAY_API_KEYS, admin keys, metrics
     * keys, the local caller in protected mode): what it shows is about every tenant, or the inside.
     */
    operatorOnly?: boolean;
    /** Whether the key may also come as the `key` query parameter (Google's APIs take it there). */
    apiKeyInQuery?: boolean;
    /**
     * Whether the key may also come as the WebSocket subprotocol `openai-insecure-api-key.<key>`
     * (browsers cannot set headers on a WebSocket; OpenAI's realtime API takes it there).
     */
    apiKeyInSubprotocol?: boolean;
    /** Whether a key's budget is checked before the request (by default: when `concurrencyLimited`). */
    budgeted?: boolean;
    rateLimitClass?: RateLimitClass;
    cacheable?: boolean;
    /** Whether the request takes a slot of MAX_CONCURRENT_REQUESTS (model calls do). */
    concurrencyLimited?: boolean;
    /**
     * The name the OpenAPI document gives a route's trailing wildcard (`/v1/models/*` is documented
     * as `/v1/models/{model}`): a wildcard takes ids with slashes, which a named parameter cannot.
     */
    wildcardParam?: string;
  }
}
