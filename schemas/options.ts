/**
 * The gateway's options: one TypeBox schema that is the single source of the options' shape, their
 * defaults and their TypeScript type. `src/config.ts` maps YAML files and environment variables onto
 * it; an application that embeds the gateway passes (part of) it straight to the plugin.
 */
import { Type, type Static } from '@sinclair/typebox';

const ProviderInstanceOptions = Type.Object(
  {
    /** Provider type (the adapter that speaks its wire protocol); defaults to the instance id. */
    type: Type.Optional(Type.String({ minLength: 1 })),
    apiKey: Type.Optional(Type.String()),
    baseUrl: Type.String({ minLength: 1 }),
    /** When false the instance is used without a key (a self-hosted OpenAI-compatible server). */
    requiresApiKey: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

/** Requests per minute for each rate-limited class of routes (route config `rateLimitClass`). */
const RequestsPerMinute = Type.Object(
  {
    chat: Type.Integer({ minimum: 0, default: 60 }),
    embeddings: Type.Integer({ minimum: 0, default: 30 }),
    audio: Type.Integer({ minimum: 0, default: 10 }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * A client key declared in configuration (auth.mode client or hybrid). Only the key's SHA-256 is
 * kept (`npm run keys -- create` prints it); the plaintext is shown once, to the person who made it.
 */
const ClientKeyOptions = Type.Object(
  {
    /** Stable and safe to log; scopes the client's rate limits and cache entries. */
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
    name: Type.String({ minLength: 1 }),
    keyHash: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }),
    /** Model names (globs: `gpt-4o*`, `openai/*`, `*`) the key may call; absent = every model. */
    allowedModels: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Per-client limits that replace the gateway's defaults. */
    rateLimits: Type.Optional(
      Type.Object(
        {
          chat: Type.Optional(Type.Integer({ minimum: 0 })),
          embeddings: Type.Optional(Type.Integer({ minimum: 0 })),
          audio: Type.Optional(Type.Integer({ minimum: 0 })),
          tokensPerMinute: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Spending limit, carried by the identity for budget enforcement. */
    budget: Type.Optional(
      Type.Object(
        {
          limitUsd: Type.Number({ minimum: 0 }),
          period: Type.Union([Type.Literal('daily'), Type.Literal('monthly')]),
        },
        { additionalProperties: false },
      ),
    ),
    /** Whether the client may send its own provider key (header x-provider-api-key). */
    byok: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const CorsOptions = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    origins: Type.Array(Type.String(), { default: ['*'] }),
    methods: Type.Array(Type.String(), { default: ['GET', 'POST', 'DELETE', 'OPTIONS'] }),
    allowedHeaders: Type.Array(Type.String(), {
      default: [
        'authorization',
        'content-type',
        'x-api-key',
        'x-request-id',
        'cache-control',
        'x-gateway-cache-ttl',
        'x-provider-api-key',
      ],
    }),
    exposedHeaders: Type.Array(Type.String(), {
      default: [
        'x-request-id',
        'x-gateway-provider',
        'x-gateway-model',
        'x-gateway-attempts',
        'x-gateway-overhead-ms',
        'x-gateway-warnings',
        'x-cache',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
        'x-ratelimit-limit-tokens',
        'x-ratelimit-remaining-tokens',
        'x-gateway-cache-hits',
        'retry-after',
      ],
    }),
    credentials: Type.Boolean({ default: false }),
    maxAge: Type.Integer({ minimum: 0, default: 600 }),
  },
  { default: {} },
);

export const STRATEGIES = ['priority', 'weighted', 'cost', 'latency', 'least-busy'] as const;
const Strategy = Type.Union(
  STRATEGIES.map((name) => Type.Literal(name)),
  { description: 'priority | weighted | cost | latency | least-busy' },
);

const DeploymentSpec = Type.Object(
  {
    /** Provider instance id: one the environment configures, or one of yours. */
    provider: Type.String({ minLength: 1 }),
    /** The provider's name for the model; default: the entry's catalog upstream name. */
    model: Type.Optional(Type.String({ minLength: 1 })),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Lower is tried first by the `priority` strategy. */
    priority: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

const RouteEntry = Type.Object(
  {
    /** Where this model (or alias) is served: its deployments. */
    deployments: Type.Optional(Type.Array(DeploymentSpec, { minItems: 1 })),
    /** A group: the models (catalog ids or other entries) it spreads over. */
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    strategy: Type.Optional(Strategy),
    /** Models tried, in order, once every deployment of this entry has failed. */
    fallbacks: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Whether a request may choose the strategy with the x-gateway-strategy header. */
    allowStrategyHeader: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const RoutingOptionsSchema = Type.Object(
  {
    strategy: Type.Union(
      STRATEGIES.map((name) => Type.Literal(name)),
      { default: 'priority' },
    ),
    allowStrategyHeader: Type.Boolean({ default: true }),
    /** Aliases, models with several deployments, and groups, by the name clients send. */
    models: Type.Record(Type.String({ minLength: 1 }), RouteEntry, { default: {} }),
    retries: Type.Object(
      {
        /** Retries on the same deployment after a retryable failure (then failover). */
        maxRetries: Type.Integer({ minimum: 0, maximum: 10, default: 1 }),
        baseDelayMs: Type.Integer({ minimum: 0, default: 250 }),
        maxDelayMs: Type.Integer({ minimum: 0, default: 4000 }),
      },
      { default: {} },
    ),
    circuitBreaker: Type.Object(
      {
        /** Consecutive failures that open the circuit. */
        consecutiveFailures: Type.Integer({ minimum: 1, default: 5 }),
        /** Failure share over the window that opens it, once the window holds minimumRequests. */
        failureRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5 }),
        minimumRequests: Type.Integer({ minimum: 1, default: 10 }),
        windowMs: Type.Integer({ minimum: 1000, default: 60_000 }),
        /** How long an open circuit refuses calls before one probe is let through. */
        cooldownMs: Type.Integer({ minimum: 1, default: 30_000 }),
        /** How long a deployment whose key was refused (401/403) stays out. */
        badKeyCooldownMs: Type.Integer({ minimum: 1, default: 300_000 }),
      },
      { default: {} },
    ),
    /** A stream that has not sent its first event within this time fails over (ms, 0 = off). */
    streamFirstByteTimeoutMs: Type.Integer({ minimum: 0, default: 30_000 }),
    latency: Type.Object(
      {
        /** Weight of the newest sample in the moving average of time to first byte. */
        smoothing: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.3 }),
        /** Share of requests sent to a random healthy deployment so a recovered one is noticed. */
        exploration: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }),
      },
      { default: {} },
    ),
  },
  { default: {} },
);

const MediaOptionsSchema = Type.Object(
  {
    /** Largest media file the gateway downloads for a client's URL (an image_url), in bytes. */
    maxBytes: Type.Integer({ minimum: 1, default: 20 * 1024 * 1024 }),
    /** Time allowed for one download, redirects included, in ms. */
    timeoutMs: Type.Integer({ minimum: 1, default: 10_000 }),
    /** Let media URLs reach loopback, private, link-local and unique-local addresses. */
    allowPrivateNetworks: Type.Boolean({ default: false }),
    /** Redirects followed per download (each one checked like the first URL). */
    maxRedirects: Type.Integer({ minimum: 0, maximum: 20, default: 5 }),
  },
  { default: {} },
);

export const ServerOptionsSchema = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /** Largest request body accepted, in bytes (JSON routes; audio uploads have their own limit). */
    bodyLimit: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024 }),
    /** Time allowed to receive a whole request from the client, in ms. */
    requestTimeout: Type.Integer({ minimum: 0, default: 60_000 }),
    /** Time allowed to receive the request headers, in ms. */
    headersTimeout: Type.Integer({ minimum: 0, default: 15_000 }),
    /** How long an idle keep-alive client connection stays open, in ms. */
    keepAliveTimeout: Type.Integer({ minimum: 0, default: 72_000 }),
    /** How long shutdown waits for in-flight requests and streams before closing them, in ms. */
    shutdownTimeout: Type.Integer({ minimum: 0, default: 25_000 }),
    trustProxy: Type.Boolean({ default: false }),
  },
  { default: {} },
);

export const GatewayOptionsSchema = Type.Object(
  {
    /** Upper bound on one upstream call (connect, wait, and the whole body or stream), in ms. */
    requestTimeout: Type.Integer({ minimum: 1, default: 600_000 }),
    /** Requests served at once; beyond it the gateway answers 503 with Retry-After. 0 = no limit. */
    maxConcurrentRequests: Type.Integer({ minimum: 0, default: 1000 }),
    auth: Type.Object(
      {
        /** Keys clients present (plaintext, as given in GATEWAY_API_KEYS). Empty = protected mode. */
        apiKeys: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
        /** Which keys are accepted: apiKeys (gateway), clients (client), or both (hybrid). */
        mode: Type.Union([Type.Literal('gateway'), Type.Literal('client'), Type.Literal('hybrid')], {
          default: 'hybrid',
        }),
        clients: Type.Array(ClientKeyOptions, { default: [] }),
        /** Keys that may read every key's usage (GET /v1/usage/keys), as given in GATEWAY_ADMIN_KEYS. */
        adminKeys: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
      },
      { default: {} },
    ),
    usage: Type.Object(
      {
        /** Share of a key's budget after which answers carry x-gateway-budget-warning. */
        budgetWarningShare: Type.Number({ minimum: 0, maximum: 1, default: 0.8 }),
        /** Days of usage kept. */
        retentionDays: Type.Integer({ minimum: 1, default: 400 }),
      },
      { default: {} },
    ),
    /**
     * Provider instances by id. The id is also the default type: `openai` and `gemini` are the
     * instances the environment variables configure.
     */
    providers: Type.Record(Type.String(), ProviderInstanceOptions, { default: {} }),
    /** Model catalog entries; when absent the catalog shipped in config/models.yaml is used. */
    models: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    /** What happens to a request parameter the serving model or provider cannot honour. */
    unsupportedParameters: Type.Union([Type.Literal('drop'), Type.Literal('reject')], { default: 'drop' }),
    cors: CorsOptions,
    docs: Type.Object({ enabled: Type.Boolean({ default: true }) }, { default: {} }),
    logging: Type.Object(
      {
        /** Debug only: write prompts and completions into the access log. */
        bodies: Type.Boolean({ default: false }),
      },
      { default: {} },
    ),
    metrics: Type.Object(
      {
        /** protected: behind the gateway keys; open: no key needed; off: not served. */
        access: Type.Union([Type.Literal('protected'), Type.Literal('open'), Type.Literal('off')], {
          default: 'protected',
        }),
      },
      { default: {} },
    ),
    upstream: Type.Object(
      {
        /** Keep-alive connections per upstream origin. */
        connections: Type.Integer({ minimum: 1, default: 128 }),
        connectTimeout: Type.Integer({ minimum: 1, default: 10_000 }),
        keepAliveTimeout: Type.Integer({ minimum: 1, default: 30_000 }),
      },
      { default: {} },
    ),
    cache: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        ttlSeconds: Type.Integer({ minimum: 1, default: 3600 }),
        /** Largest TTL a request may ask for with x-gateway-cache-ttl, in seconds. */
        maxTtlSeconds: Type.Integer({ minimum: 1, default: 86_400 }),
        /** `client`: each key has its own entries; `global`: every key shares them. */
        scope: Type.Union([Type.Literal('client'), Type.Literal('global')], { default: 'client' }),
        /** Bound of the in-memory cache (values and keys, in UTF-16 code units ≈ bytes). */
        maxBytes: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
        /** Answers larger than this are not stored. */
        maxEntryBytes: Type.Integer({ minimum: 1, default: 1024 * 1024 }),
      },
      { default: {} },
    ),
    rateLimit: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        requestsPerMinute: RequestsPerMinute,
        /** Tokens per minute per key (from the usage providers report); 0 = no token limit. */
        tokensPerMinute: Type.Integer({ minimum: 0, default: 0 }),
        /** When Redis fails: allow (`open`), count per instance (`local`) or refuse with 503 (`closed`). */
        onRedisError: Type.Union([Type.Literal('open'), Type.Literal('local'), Type.Literal('closed')], {
          default: 'open',
        }),
      },
      { default: {} },
    ),
    redis: Type.Object(
      {
        url: Type.String({ default: '' }),
        /** Prefix of every key the gateway writes, so several gateways can share one Redis. */
        keyPrefix: Type.String({ default: 'llm-gateway:' }),
        /** A command slower than this fails (cache reads then miss, rate limits follow onRedisError), ms. */
        commandTimeout: Type.Integer({ minimum: 1, default: 250 }),
        /** How long the start waits for Redis before it gives up, ms. */
        connectTimeout: Type.Integer({ minimum: 1, default: 5000 }),
      },
      { default: {} },
    ),
    routing: RoutingOptionsSchema,
    /** Media the gateway downloads for providers that take only bytes (image URLs). */
    media: MediaOptionsSchema,
  },
  { additionalProperties: false },
);

export type GatewayOptions = Static<typeof GatewayOptionsSchema>;
export type ServerOptions = Static<typeof ServerOptionsSchema>;
export type ProviderInstanceOptions = Static<typeof ProviderInstanceOptions>;
export type RoutingOptions = Static<typeof RoutingOptionsSchema>;
export type RouteEntry = Static<typeof RouteEntry>;
export type DeploymentSpec = Static<typeof DeploymentSpec>;
export type Strategy = (typeof STRATEGIES)[number];
export type MediaOptions = Static<typeof MediaOptionsSchema>;
export type ClientKeyOptions = Static<typeof ClientKeyOptions>;

/** Deep partial, for callers that give only what differs from the defaults. */
export type GatewayOptionsInput = {
  [K in keyof GatewayOptions]?: GatewayOptions[K] extends unknown[]
    ? GatewayOptions[K]
    : GatewayOptions[K] extends Record<string, unknown>
      ? Partial<GatewayOptions[K]>
      : GatewayOptions[K];
};
