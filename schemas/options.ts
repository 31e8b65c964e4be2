/**
 * The gateway's options: one TypeBox schema that is the single description of every setting: its
 * shape, default, TypeScript type and, as metadata on its node, the environment variable that sets
 * it. `src/config.ts` generates its convict loader from this schema (files and environment); an
 * application that embeds the gateway passes (part of) it straight to the plugin.
 *
 * Metadata a node may carry besides JSON Schema (read by src/config.ts only):
 *   env           the environment variable that sets it
 *   sensitive     the value is a secret: never printed, not even in an error
 *   unit          how an error names an integer: 'port' or 'milliseconds'
 *   configFormat  how an environment string is read: 'http-url', 'optional-url', 'key-list'
 *   configOpen    a subtree validated as a whole by this schema, with no environment variables
 *
 * Provider instances (`providers.<id>`) carry the keys every instance has (below); the rest of an
 * instance's settings, and the variables that set them, are declared by its provider
 * (plugins/providers/<type>/index.ts) and checked against that provider's own schema.
 */
import { Type, type Static } from '@sinclair/typebox';

/** The keys every provider instance has; its provider's settings schema adds the rest. */
export const PROVIDER_INSTANCE_KEYS = [
  'type',
  'apiKey',
  'baseUrl',
  'requiresApiKey',
  'enabled',
  'pricing',
] as const;

export const ProviderInstanceOptionsSchema = Type.Object(
  {
    /** Provider type (the adapter that speaks its wire protocol); defaults to the instance id. */
    type: Type.Optional(Type.String({ minLength: 1 })),
    apiKey: Type.Optional(Type.String()),
    /** Default: the provider's own base URL. */
    baseUrl: Type.Optional(Type.String({ minLength: 1 })),
    /** When false the instance is used without a key (a self-hosted OpenAI-compatible server). */
    requiresApiKey: Type.Optional(Type.Boolean()),
    /** When false the instance is not built at all. */
    enabled: Type.Optional(Type.Boolean()),
    /**
     * USD per 1M tokens of the models this instance serves that the catalog does not price (called
     * as `<instance>/<model>`): without it such a model costs nothing, and keys with a budget may not
     * call it.
     */
    pricing: Type.Optional(
      Type.Object(
        {
          input: Type.Number({ minimum: 0 }),
          output: Type.Number({ minimum: 0 }),
          cached_input: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: true },
);

/** Requests per minute for each rate-limited class of routes (route config `rateLimitClass`). */
const RequestsPerMinute = Type.Object(
  {
    chat: Type.Integer({
      minimum: 0,
      default: 60,
      env: 'RATE_LIMIT_CHAT_RPM',
      description: 'Chat requests per minute per key',
    }),
    embeddings: Type.Integer({
      minimum: 0,
      default: 30,
      env: 'RATE_LIMIT_EMBEDDINGS_RPM',
      description: 'Embeddings requests per minute per key',
    }),
    audio: Type.Integer({
      minimum: 0,
      default: 10,
      env: 'RATE_LIMIT_AUDIO_RPM',
      description: 'Audio requests per minute per key',
    }),
    moderations: Type.Integer({
      minimum: 0,
      default: 120,
      env: 'RATE_LIMIT_MODERATIONS_RPM',
      description: 'Moderation requests per minute per key',
    }),
    files: Type.Integer({
      minimum: 0,
      default: 60,
      env: 'RATE_LIMIT_FILES_RPM',
      description: 'Files and batches requests per minute per key',
    }),
    images: Type.Integer({
      minimum: 0,
      default: 10,
      env: 'RATE_LIMIT_IMAGES_RPM',
      description: 'Image requests (generations, edits, variations) per minute per key',
    }),
    realtime: Type.Integer({
      minimum: 0,
      default: 10,
      env: 'RATE_LIMIT_REALTIME_RPM',
      description: 'Realtime sessions opened (and client secrets minted) per minute per key',
    }),
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
          moderations: Type.Optional(Type.Integer({ minimum: 0 })),
          files: Type.Optional(Type.Integer({ minimum: 0 })),
          images: Type.Optional(Type.Integer({ minimum: 0 })),
          realtime: Type.Optional(Type.Integer({ minimum: 0 })),
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
    enabled: Type.Boolean({ default: false, env: 'CORS_ENABLED', description: 'Answer CORS' }),
    origins: Type.Array(Type.String(), {
      default: ['*'],
      env: 'CORS_ORIGINS',
      description: 'Allowed origins',
    }),
    methods: Type.Array(Type.String(), {
      default: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      description: 'Allowed methods',
    }),
    allowedHeaders: Type.Array(Type.String(), {
      description: 'Allowed request headers',
      default: [
        'authorization',
        'content-type',
        'x-api-key',
        'x-request-id',
        'cache-control',
        'x-gateway-cache-ttl',
        'x-provider-api-key',
        'x-gateway-cache',
      ],
    }),
    exposedHeaders: Type.Array(Type.String(), {
      description: 'Exposed response headers',
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
        'x-gateway-cache-match',
        'x-gateway-cache-similarity',
      ],
    }),
    credentials: Type.Boolean({ default: false, description: 'Allow credentials' }),
    maxAge: Type.Integer({ minimum: 0, default: 600, description: 'Preflight cache, s' }),
  },
  { additionalProperties: false, default: {} },
);

/** Where the semantic cache is on, and how close a question must be, per model or group name. */
const SemanticCacheModelOptions = Type.Object(
  {
    /** Semantic lookups for every request naming this model or group (else only when asked for). */
    enabled: Type.Optional(Type.Boolean()),
    /** Cosine similarity a stored question must reach to answer this model's requests. */
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

/** The semantic cache (docs/caching.md, "Semantic cache"): off until an embedding model is named. */
export const SemanticCacheOptionsSchema = Type.Object(
  {
    /** The catalog model (or routing entry) that embeds questions; empty: no semantic cache. */
    embeddingModel: Type.String({
      default: '',
      env: 'CACHE_SEMANTIC_EMBEDDING_MODEL',
      description: 'Embedding model of the semantic cache (empty: no semantic cache)',
    }),
    /** Semantic lookups for every chat request, not only those that ask (x-gateway-cache: semantic). */
    enabled: Type.Boolean({
      default: false,
      env: 'CACHE_SEMANTIC_ENABLED',
      description: 'Semantic cache for every chat request (else per model, key or request)',
    }),
    threshold: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.95,
      env: 'CACHE_SEMANTIC_THRESHOLD',
      description: 'Cosine similarity a stored question must reach to answer',
    }),
    /** Per model or group name (as clients send it, or its catalog id): on, and its threshold. */
    models: Type.Record(Type.String({ minLength: 1 }), SemanticCacheModelOptions, { default: {} }),
    /** Client key ids whose every chat request is looked up semantically. */
    clients: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      env: 'CACHE_SEMANTIC_CLIENTS',
      description: 'Client key ids with the semantic cache on for every request',
    }),
    /** Earlier turns compared with the last user turn; older turns must match exactly. */
    window: Type.Integer({
      minimum: 0,
      maximum: 20,
      default: 0,
      env: 'CACHE_SEMANTIC_WINDOW',
      description: 'Earlier turns compared by meaning with the last user turn',
    }),
    /** The embedding call's time limit: past it the lookup is a plain miss. */
    timeoutMs: Type.Integer({
      minimum: 1,
      default: 500,
      env: 'CACHE_SEMANTIC_TIMEOUT',
      unit: 'milliseconds',
      description: 'Time limit of the embedding call of a semantic lookup, ms',
    }),
    /** Bound of the in-memory semantic cache: entries. */
    maxEntries: Type.Integer({
      minimum: 1,
      default: 10_000,
      env: 'CACHE_SEMANTIC_MAX_ENTRIES',
      description: 'Entries of the in-memory semantic cache',
    }),
    /** Bound of the in-memory semantic cache: vectors and answers, bytes. */
    maxBytes: Type.Integer({
      minimum: 1024,
      default: 128 * 1024 * 1024,
      env: 'CACHE_SEMANTIC_MAX_BYTES',
      description: 'Bound of the in-memory semantic cache, bytes',
    }),
    /** In Redis: entries kept per partition (the newest). */
    partitionMaxEntries: Type.Integer({
      minimum: 1,
      default: 2000,
      env: 'CACHE_SEMANTIC_PARTITION_MAX_ENTRIES',
      description: 'Entries kept per partition of the semantic cache in Redis',
    }),
    /** In Redis: how long a partition's vectors are reused by this replica before being read again, ms. */
    partitionCacheMs: Type.Integer({
      minimum: 0,
      default: 2000,
      unit: 'milliseconds',
      description: "How long a replica reuses a partition's vectors read from Redis, ms",
    }),
    /** Compare turns that hold tool calls or tool results (else such requests use the exact cache only). */
    allowToolResults: Type.Boolean({ default: false, description: 'Semantic lookups with tool results' }),
    /** Compare turns that hold images, audio or files (their bytes must match exactly). */
    allowMedia: Type.Boolean({ default: false, description: 'Semantic lookups with images or audio' }),
  },
  { additionalProperties: false, default: {} },
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
      { additionalProperties: false, default: {} },
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
      { additionalProperties: false, default: {} },
    ),
    /** A stream that has not sent its first event within this time fails over (ms, 0 = off). */
    streamFirstByteTimeoutMs: Type.Integer({ minimum: 0, default: 30_000 }),
    /**
     * The same for models whose catalog entry has the `reasoning` capability, which think before
     * their first event (ms, 0 = as streamFirstByteTimeoutMs; a shorter value is not used).
     */
    reasoningFirstByteTimeoutMs: Type.Integer({ minimum: 0, default: 120_000 }),
    latency: Type.Object(
      {
        /** Weight of the newest sample in the moving average of time to first byte. */
        smoothing: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.3 }),
        /** Share of requests sent to a random healthy deployment so a recovered one is noticed. */
        exploration: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {}, configOpen: true },
);

export const MediaOptionsSchema = Type.Object(
  {
    /** Largest media file the gateway downloads for a client's URL (an image_url), in bytes. */
    maxBytes: Type.Integer({
      minimum: 1,
      default: 20 * 1024 * 1024,
      env: 'MEDIA_MAX_BYTES',
      description: 'Largest media file downloaded for an image URL, bytes',
    }),
    /** Time allowed for one download, redirects included, in ms. */
    timeoutMs: Type.Integer({
      minimum: 1,
      default: 10_000,
      env: 'MEDIA_TIMEOUT',
      unit: 'milliseconds',
      description: 'Time allowed for one media download, ms',
    }),
    /** Let media URLs reach loopback, private, link-local and unique-local addresses. */
    allowPrivateNetworks: Type.Boolean({
      default: false,
      env: 'MEDIA_ALLOW_PRIVATE_NETWORKS',
      description: 'Let media URLs reach loopback, private and link-local addresses',
    }),
    /** Redirects followed per download (each one checked like the first URL). */
    maxRedirects: Type.Integer({
      minimum: 0,
      maximum: 20,
      default: 5,
      description: 'Redirects followed per media download',
    }),
    /** Media URLs one request may name (image_url and file parts with an http(s) URL). */
    maxFilesPerRequest: Type.Integer({
      minimum: 0,
      default: 50,
      env: 'MEDIA_MAX_FILES_PER_REQUEST',
      description: 'Media URLs one request may name',
    }),
    /** Bytes the gateway downloads for one request in all, whatever the number of files. */
    maxBytesPerRequest: Type.Integer({
      minimum: 1,
      default: 64 * 1024 * 1024,
      env: 'MEDIA_MAX_BYTES_PER_REQUEST',
      description: 'Media bytes downloaded for one request in all',
    }),
    /** Downloads of one request under way at once. */
    concurrency: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 4,
      description: 'Media downloads of one request at once',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** Bounds of a request body, checked before anything reads it. */
const LimitsOptionsSchema = Type.Object(
  {
    /** How deep objects and arrays may nest in a JSON body (deeper is a 400, before anything walks it). */
    jsonDepth: Type.Integer({
      minimum: 8,
      maximum: 1000,
      default: 64,
      env: 'LIMIT_JSON_DEPTH',
      description: 'Nesting depth allowed in a JSON body',
    }),
    /** Messages one chat request may hold. */
    messages: Type.Integer({
      minimum: 1,
      default: 2048,
      env: 'LIMIT_MESSAGES',
      description: 'Messages one chat request may hold',
    }),
    /** Content parts one chat request may hold, over all its messages. */
    contentParts: Type.Integer({
      minimum: 1,
      default: 2048,
      env: 'LIMIT_CONTENT_PARTS',
      description: 'Content parts one chat request may hold, over all its messages',
    }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * OpenTelemetry traces (docs/observability.md), set by the standard OTEL_* variables. Off while no
 * endpoint is set: then nothing of the SDK is loaded.
 */
export const TracingOptionsSchema = Type.Object(
  {
    /** Base URL of the OTLP/HTTP receiver; traces go to `<endpoint>/v1/traces`. */
    endpoint: Type.String({
      default: '',
      env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      configFormat: 'optional-url',
      description: 'OTLP/HTTP receiver base URL (traces off when empty)',
    }),
    /** The full URL traces are sent to, when it is not `<endpoint>/v1/traces`. */
    tracesEndpoint: Type.String({
      default: '',
      env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      configFormat: 'optional-url',
      description: 'OTLP/HTTP traces URL, overrides the endpoint',
    }),
    /** Headers sent with every export, `key=value,key2=value2` (values URL-encoded). */
    headers: Type.String({
      default: '',
      env: 'OTEL_EXPORTER_OTLP_HEADERS',
      sensitive: true,
      description: 'Headers sent with each export (key=value,...)',
    }),
    serviceName: Type.String({
      default: 'llm-gateway',
      env: 'OTEL_SERVICE_NAME',
      description: 'service.name of the spans',
    }),
    sampler: Type.Union(
      [
        Type.Literal('always_on'),
        Type.Literal('always_off'),
        Type.Literal('traceidratio'),
        Type.Literal('parentbased_always_on'),
        Type.Literal('parentbased_always_off'),
        Type.Literal('parentbased_traceidratio'),
      ],
      {
        default: 'parentbased_always_on',
        env: 'OTEL_TRACES_SAMPLER',
        description: 'Which requests are traced (the OpenTelemetry sampler names)',
      },
    ),
    /** The share of traces kept by the `traceidratio` samplers, 0 to 1. */
    samplerArg: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 1,
      env: 'OTEL_TRACES_SAMPLER_ARG',
      description: 'Share of traces kept by the traceidratio samplers',
    }),
    disabled: Type.Boolean({
      default: false,
      env: 'OTEL_SDK_DISABLED',
      description: 'Turns tracing off whatever the endpoint',
    }),
    /** Prompts and completions on the model-call spans; off, as the GenAI conventions advise. */
    captureContent: Type.Boolean({
      default: false,
      env: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
      description: 'Record prompts and completions on spans',
    }),
    /** How long finished spans wait to be sent in one batch, ms. */
    exportDelayMs: Type.Integer({
      minimum: 1,
      default: 5000,
      env: 'OTEL_BSP_SCHEDULE_DELAY',
      unit: 'milliseconds',
      description: 'Delay between span exports, ms',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ServerOptionsSchema = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0', env: 'GATEWAY_HOST', description: 'Interface to listen on' }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8080,
      env: 'GATEWAY_PORT',
      unit: 'port',
      description: 'Port to listen on',
    }),
    /** Largest request body accepted, in bytes (JSON routes; audio uploads have their own limit). */
    bodyLimit: Type.Integer({
      minimum: 1024,
      default: 10 * 1024 * 1024,
      env: 'BODY_LIMIT',
      description: 'Largest JSON body, bytes',
    }),
    /** Time allowed to receive a whole request from the client, in ms. */
    requestTimeout: Type.Integer({
      minimum: 0,
      default: 60_000,
      description: 'Time to receive a request, ms',
    }),
    /** Time allowed to receive the request headers, in ms. */
    headersTimeout: Type.Integer({ minimum: 0, default: 15_000, description: 'Time to receive headers, ms' }),
    /** How long an idle keep-alive client connection stays open, in ms. */
    keepAliveTimeout: Type.Integer({ minimum: 0, default: 72_000, description: 'Idle keep-alive, ms' }),
    /** How long shutdown waits for in-flight requests and streams before closing them, in ms. */
    shutdownTimeout: Type.Integer({
      minimum: 0,
      default: 25_000,
      env: 'SHUTDOWN_TIMEOUT',
      description: 'Drain time on shutdown, ms',
    }),
    trustProxy: Type.Boolean({
      default: false,
      env: 'TRUST_PROXY',
      description: 'Trust X-Forwarded-* headers',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ENVIRONMENTS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The standalone server's own settings: what `src/server.ts` needs besides the gateway plugin's. */
export const StandaloneOptionsSchema = Type.Object(
  {
    env: Type.Union(
      ENVIRONMENTS.map((name) => Type.Literal(name)),
      { default: 'development', env: 'NODE_ENV', description: 'Which config/<env>.yaml applies' },
    ),
    logLevel: Type.Union(
      LOG_LEVELS.map((name) => Type.Literal(name)),
      { default: 'info', env: 'LOG_LEVEL', description: 'pino log level' },
    ),
    masterKey: Type.String({
      default: '',
      env: 'GATEWAY_MASTER_KEY',
      sensitive: true,
      description: 'Decrypts enc: values of provider settings (32 bytes, hex or base64)',
    }),
    server: ServerOptionsSchema,
  },
  { additionalProperties: false },
);

export const GatewayOptionsSchema = Type.Object(
  {
    /** Upper bound on one upstream call (connect, wait, and the whole body or stream), in ms. */
    requestTimeout: Type.Integer({
      minimum: 1,
      default: 600_000,
      env: 'REQUEST_TIMEOUT',
      unit: 'milliseconds',
      description: 'Upper bound on one upstream call, ms',
    }),
    /** Requests served at once; beyond it the gateway answers 503 with Retry-After. 0 = no limit. */
    maxConcurrentRequests: Type.Integer({
      minimum: 0,
      default: 1000,
      env: 'MAX_CONCURRENT_REQUESTS',
      description: 'Requests served at once (0 = unlimited)',
    }),
    auth: Type.Object(
      {
        /** Keys clients present (plaintext, as given in GATEWAY_API_KEYS). Empty = protected mode. */
        apiKeys: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          env: 'GATEWAY_API_KEYS',
          sensitive: true,
          configFormat: 'key-list',
          description: 'Client keys',
        }),
        /** Which keys are accepted: apiKeys (gateway), clients (client), or both (hybrid). */
        mode: Type.Union([Type.Literal('gateway'), Type.Literal('client'), Type.Literal('hybrid')], {
          default: 'hybrid',
          env: 'AUTH_MODE',
          description: 'Which keys count: gateway (GATEWAY_API_KEYS), client (auth.clients) or hybrid (both)',
        }),
        /** Client keys by SHA-256 (npm run keys -- create). */
        clients: Type.Array(ClientKeyOptions, { default: [] }),
        /** Keys that may read every key's usage (GET /v1/usage/keys), as given in GATEWAY_ADMIN_KEYS. */
        adminKeys: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          env: 'GATEWAY_ADMIN_KEYS',
          sensitive: true,
          configFormat: 'key-list',
          description: 'Keys that may read every key usage',
        }),
        /** Keys that may read the metrics and the detailed health only (scrapers), as given in METRICS_API_KEYS. */
        metricsKeys: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          env: 'METRICS_API_KEYS',
          sensitive: true,
          configFormat: 'key-list',
          description: 'Keys that may read /metrics and the detailed health only',
        }),
        /**
         * With NODE_ENV=production, a start without any client key (protected mode) is refused unless
         * this is true: a production gateway behind a proxy on its own host would trust every client.
         */
        allowUnauthenticated: Type.Boolean({
          default: false,
          env: 'ALLOW_UNAUTHENTICATED',
          description: 'Allow a production start without any key (protected mode)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    usage: Type.Object(
      {
        /** Share of a key's budget after which answers carry x-gateway-budget-warning. */
        budgetWarningShare: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.8,
          env: 'BUDGET_WARNING_SHARE',
          description: 'Budget share after which answers carry a warning header',
        }),
        /** Days of usage kept. */
        retentionDays: Type.Integer({ minimum: 1, default: 400, description: 'Days of usage kept' }),
        /** Usage records held in memory while Redis is unreachable, written when it is back. */
        maxHeldRecords: Type.Integer({
          minimum: 0,
          default: 50_000,
          env: 'USAGE_MAX_HELD_RECORDS',
          description: 'Usage records held in memory while Redis is unreachable',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Provider instances by id. The id is also the default type: an instance named after a provider
     * type is the one that provider's environment variables configure (`OPENAI_API_KEY` →
     * `providers.openai.apiKey`).
     */
    providers: Type.Record(Type.String(), ProviderInstanceOptionsSchema, { default: {} }),
    /** Model catalog entries; when absent the catalog shipped with the providers is used. */
    models: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    /** What happens to a request parameter the serving model or provider cannot honour. */
    unsupportedParameters: Type.Union([Type.Literal('drop'), Type.Literal('reject')], {
      default: 'drop',
      env: 'UNSUPPORTED_PARAMETERS',
      description: 'drop (with a warning) or reject a parameter the model cannot honour',
    }),
    cors: CorsOptions,
    docs: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          env: 'DOCS_ENABLED',
          description: 'Serve /docs and /openapi.json',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Chat input checked by a moderation model before any model is called, for the keys and the
     * models (aliases, groups) named here; a flagged input is answered 400 `content_filter`.
     */
    moderation: Type.Object(
      {
        model: Type.String({
          minLength: 1,
          default: 'omni-moderation-latest',
          env: 'MODERATION_MODEL',
          description: 'The moderation model that checks chat input',
        }),
        keys: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          env: 'MODERATION_KEYS',
          description: 'Key ids (globs; * for every key) whose chat input is moderated first',
        }),
        models: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          env: 'MODERATION_MODELS',
          description: 'Models, aliases or groups (globs) whose chat input is moderated first',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    ui: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          env: 'UI_ENABLED',
          description: 'Serve the dashboard at /ui/',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    logging: Type.Object(
      {
        /** Debug only: write prompts and completions into the access log. */
        bodies: Type.Boolean({
          default: false,
          env: 'LOG_BODIES',
          description: 'Debug only: log prompts and completions',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    metrics: Type.Object(
      {
        /** protected: behind the gateway keys; open: no key needed; off: not served. */
        access: Type.Union([Type.Literal('protected'), Type.Literal('open'), Type.Literal('off')], {
          default: 'protected',
          env: 'METRICS_ACCESS',
          description: 'protected (behind keys), open, or off',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    upstream: Type.Object(
      {
        /** Keep-alive connections per upstream origin. */
        connections: Type.Integer({
          minimum: 1,
          default: 128,
          description: 'Connections per upstream origin',
        }),
        connectTimeout: Type.Integer({
          minimum: 1,
          default: 10_000,
          unit: 'milliseconds',
          description: 'Upstream connect timeout, ms',
        }),
        keepAliveTimeout: Type.Integer({
          minimum: 1,
          default: 30_000,
          unit: 'milliseconds',
          description: 'Upstream idle keep-alive, ms',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    cache: Type.Object(
      {
        enabled: Type.Boolean({ default: true, env: 'CACHE_ENABLED', description: 'Response cache' }),
        ttlSeconds: Type.Integer({
          minimum: 1,
          default: 3600,
          env: 'CACHE_TTL',
          description: 'Cache TTL, s',
        }),
        /** Largest TTL a request may ask for with x-gateway-cache-ttl, in seconds. */
        maxTtlSeconds: Type.Integer({
          minimum: 1,
          default: 86_400,
          env: 'CACHE_MAX_TTL',
          description: 'Largest TTL a request may ask for (x-gateway-cache-ttl), s',
        }),
        /** `client`: each key has its own entries; `global`: every key shares them. */
        scope: Type.Union([Type.Literal('client'), Type.Literal('global')], {
          default: 'client',
          env: 'CACHE_SCOPE',
          description: 'client (entries per key) or global (shared by every key)',
        }),
        /** Bound of the in-memory cache (values and keys, in UTF-16 code units ≈ bytes). */
        maxBytes: Type.Integer({
          minimum: 1024,
          default: 64 * 1024 * 1024,
          env: 'CACHE_MAX_BYTES',
          description: 'Bound of the in-memory cache, bytes',
        }),
        /** Answers (and embedding vectors, each) larger than this are not stored. */
        maxEntryBytes: Type.Integer({
          minimum: 1,
          default: 1024 * 1024,
          env: 'CACHE_MAX_ENTRY_BYTES',
          description: 'Largest answer or embedding stored, bytes',
        }),
        /** Prefix of the cache's keys in Redis (after REDIS_KEY_PREFIX), apart from accounting keys. */
        keyPrefix: Type.String({
          default: 'cache:',
          env: 'CACHE_KEY_PREFIX',
          description: 'Prefix of the cache keys in Redis, after REDIS_KEY_PREFIX',
        }),
        /** A Redis of the cache's own; default: the shared one (REDIS_URL). */
        redisUrl: Type.String({
          default: '',
          env: 'CACHE_REDIS_URL',
          sensitive: true,
          configFormat: 'optional-url',
          description: 'Redis of the cache alone (default: REDIS_URL)',
        }),
        semantic: SemanticCacheOptionsSchema,
      },
      { additionalProperties: false, default: {} },
    ),
    rateLimit: Type.Object(
      {
        enabled: Type.Boolean({ default: true, env: 'RATE_LIMITING_ENABLED', description: 'Rate limiting' }),
        requestsPerMinute: RequestsPerMinute,
        /** Tokens per minute per key (from the usage providers report); 0 = no token limit. */
        tokensPerMinute: Type.Integer({
          minimum: 0,
          default: 0,
          env: 'RATE_LIMIT_TOKENS_PER_MINUTE',
          description: 'Tokens per minute per key (0 = no token limit)',
        }),
        /** Requests without a valid key answered per client address and minute; beyond it 429. */
        unauthenticatedPerMinute: Type.Integer({
          minimum: 1,
          default: 30,
          env: 'RATE_LIMIT_UNAUTHENTICATED_RPM',
          description: 'Requests without a valid key per client address per minute',
        }),
        /** When Redis fails: allow (`open`), count per instance (`local`) or refuse with 503 (`closed`). */
        onRedisError: Type.Union([Type.Literal('open'), Type.Literal('local'), Type.Literal('closed')], {
          default: 'open',
          env: 'RATE_LIMIT_ON_REDIS_ERROR',
          description: 'When Redis fails: open (allow), local (count per instance) or closed (refuse)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    redis: Type.Object(
      {
        url: Type.String({
          default: '',
          env: 'REDIS_URL',
          sensitive: true,
          configFormat: 'optional-url',
          description: 'Redis for shared state',
        }),
        /** Prefix of every key the gateway writes, so several gateways can share one Redis. */
        keyPrefix: Type.String({
          default: 'llm-gateway:',
          env: 'REDIS_KEY_PREFIX',
          description: 'Prefix of every Redis key the gateway writes',
        }),
        /** A command slower than this fails (cache reads then miss, rate limits follow onRedisError), ms. */
        commandTimeout: Type.Integer({
          minimum: 1,
          default: 250,
          env: 'REDIS_COMMAND_TIMEOUT',
          unit: 'milliseconds',
          description: 'Slowest Redis answer accepted, ms',
        }),
        /** How long the start waits for Redis before it gives up, ms. */
        connectTimeout: Type.Integer({
          minimum: 1,
          default: 5000,
          unit: 'milliseconds',
          description: 'How long the start waits for Redis, ms',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * The store of durable records (keys and teams made at run time, the spend log): a SQLite file
     * under `dataDir`, or PostgreSQL when `databaseUrl` is set (docs/admin.md).
     */
    store: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          env: 'STORE_ENABLED',
          description: 'Keep keys, teams and spend in the store (the admin API needs it)',
        }),
        dataDir: Type.String({
          minLength: 1,
          default: './data',
          env: 'DATA_DIR',
          description: 'Folder of the SQLite store, created on first start',
        }),
        databaseUrl: Type.String({
          default: '',
          env: 'DATABASE_URL',
          sensitive: true,
          configFormat: 'optional-url',
          description: 'PostgreSQL for the store (replicas share it); empty = SQLite under DATA_DIR',
        }),
        /** The PostgreSQL schema of the store's tables, so several gateways can share a database. */
        databaseSchema: Type.String({
          pattern: '^[a-z_][a-z0-9_]{0,62}$',
          default: 'public',
          env: 'DATABASE_SCHEMA',
          description: 'PostgreSQL schema of the store tables',
        }),
        /** Connections the PostgreSQL pool may open at most. */
        databasePoolSize: Type.Integer({
          minimum: 1,
          default: 10,
          env: 'DATABASE_POOL_SIZE',
          description: 'PostgreSQL connections at most',
        }),
        /** Days spend rows are kept; the daily rollups are kept whatever this says. */
        spendRetentionDays: Type.Integer({
          minimum: 1,
          default: 90,
          env: 'SPEND_RETENTION_DAYS',
          description: 'Days spend rows are kept (daily rollups are kept)',
        }),
        /** Spend rows held in memory at most while the database is slow or down; more are dropped. */
        spendQueueSize: Type.Integer({
          minimum: 1,
          default: 20_000,
          env: 'SPEND_QUEUE_SIZE',
          description: 'Spend rows waiting for the database at most',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** State the Responses API keeps for the responses the gateway itself answers (docs/inbound/responses.md). */
    responses: Type.Object(
      {
        /**
         * How long a stored response (and the conversation it continues) is kept for GET, DELETE and
         * `previous_response_id`, in seconds; OpenAI keeps its own for 30 days.
         */
        retentionSeconds: Type.Integer({
          minimum: 60,
          default: 30 * 86_400,
          env: 'RESPONSES_RETENTION',
          description: 'How long stored Responses API responses are kept, s',
        }),
        /**
         * Background responses (`background: true`) go on after their request: the gateway looks at
         * each this often until it ends, then records its usage, ms.
         */
        backgroundPollInterval: Type.Integer({
          minimum: 10,
          default: 5000,
          unit: 'milliseconds',
          description: 'Time between two looks at a running background response, ms',
        }),
        /** Background responses watched at once; beyond it their usage is not recorded (logged). */
        backgroundMaxWatched: Type.Integer({
          minimum: 1,
          default: 10_000,
          description: 'Background responses watched at once',
        }),
        /** How long a background response is watched before the gateway gives up on its usage, s. */
        backgroundMaxWatchSeconds: Type.Integer({
          minimum: 1,
          default: 86_400,
          description: 'How long a background response is watched, s',
        }),
        /** Bound of the in-memory store when there is no Redis (UTF-16 code units ≈ bytes). */
        maxMemoryBytes: Type.Integer({
          minimum: 1024,
          default: 16 * 1024 * 1024,
          env: 'RESPONSES_MAX_MEMORY_BYTES',
          description: 'Bound of the in-memory store of Responses API responses, bytes',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Realtime sessions (GET /v1/realtime, a WebSocket relayed to the provider): docs/openai-endpoints.md. */
    realtime: Type.Object(
      {
        /** Sessions one key may have open at once (in this process); one more is refused with 429. */
        maxSessionsPerKey: Type.Integer({
          minimum: 0,
          default: 5,
          env: 'REALTIME_MAX_SESSIONS_PER_KEY',
          description: 'Realtime sessions open at once per key (0 = unlimited)',
        }),
        /** Longest a session may last; then both sides are closed (1008). */
        maxSessionSeconds: Type.Integer({
          minimum: 1,
          default: 1800,
          env: 'REALTIME_MAX_SESSION_SECONDS',
          description: 'Longest a realtime session may last, s',
        }),
        /**
         * Bytes a session may have waiting to be sent to one side; past it the session is closed
         * (1013). Reading from the other side pauses long before, at a sixteenth of it.
         */
        maxBufferedBytes: Type.Integer({
          minimum: 65_536,
          default: 8 * 1024 * 1024,
          env: 'REALTIME_MAX_BUFFERED_BYTES',
          description: 'Bytes a realtime session may have waiting for one side',
        }),
        /** Key ids (globs; * for every key) that may mint realtime client secrets for browsers. */
        clientSecretKeys: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          env: 'REALTIME_CLIENT_SECRET_KEYS',
          description: 'Key ids (globs; * for every key) that may mint realtime client secrets',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    tracing: TracingOptionsSchema,
    routing: RoutingOptionsSchema,
    /** Media the gateway downloads for providers that take only bytes (image URLs). */
    media: MediaOptionsSchema,
    limits: LimitsOptionsSchema,
  },
  { additionalProperties: false },
);

export type GatewayOptions = Static<typeof GatewayOptionsSchema>;
export type ServerOptions = Static<typeof ServerOptionsSchema>;
export type StandaloneOptions = Static<typeof StandaloneOptionsSchema>;
export type ProviderInstanceOptions = Static<typeof ProviderInstanceOptionsSchema>;
export type RoutingOptions = Static<typeof RoutingOptionsSchema>;
export type RouteEntry = Static<typeof RouteEntry>;
export type DeploymentSpec = Static<typeof DeploymentSpec>;
export type Strategy = (typeof STRATEGIES)[number];
export type MediaOptions = Static<typeof MediaOptionsSchema>;
export type LimitsOptions = Static<typeof LimitsOptionsSchema>;
export type TracingOptions = Static<typeof TracingOptionsSchema>;
export type ClientKeyOptions = Static<typeof ClientKeyOptions>;

/** Deep partial, for callers that give only what differs from the defaults. */
export type GatewayOptionsInput = {
  [K in keyof GatewayOptions]?: GatewayOptions[K] extends unknown[]
    ? GatewayOptions[K]
    : GatewayOptions[K] extends Record<string, unknown>
      ? Partial<GatewayOptions[K]>
      : GatewayOptions[K];
};
