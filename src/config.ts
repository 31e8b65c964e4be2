/**
 * Standalone configuration: YAML files (config/default.yaml, config/<NODE_ENV>.yaml, then the file
 * named by GATEWAY_CONFIG) overridden by environment variables, validated by convict, mapped onto the
 * gateway's options (schemas/options.ts, the single source of defaults).
 *
 * Pure with respect to the process: the environment is a parameter, so only src/server.ts touches
 * `process.env` (design rule 2). Files are read here because this module is the standalone shell's
 * loader; the gateway plugin itself never reads files or the environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import convict from 'convict';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import {
  GatewayOptionsSchema,
  RoutingOptionsSchema,
  ServerOptionsSchema,
  type GatewayOptions,
  type ServerOptions,
} from '../schemas/options.js';
import { decryptSecret, isEncryptedSecret, parseMasterKey } from './secrets.js';

export const ENVIRONMENTS = ['development', 'production', 'test'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LoadedConfig {
  environment: (typeof ENVIRONMENTS)[number];
  logLevel: (typeof LOG_LEVELS)[number];
  server: ServerOptions;
  gateway: GatewayOptions;
  /** The files that were read, in the order they were applied. */
  sources: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const gatewayDefaults = Value.Default(GatewayOptionsSchema, {}) as GatewayOptions;
const serverDefaults = Value.Default(ServerOptionsSchema, {}) as ServerOptions;

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

// Strict formats: convict's built-in ones coerce leniently ("12abc" → 12, "banana" → true), which
// would let a typo in an environment variable start the gateway with a value nobody asked for.
convict.addFormat({
  name: 'strict-boolean',
  coerce: (value: unknown) => {
    const word = String(value).trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return value;
  },
  validate: (value: unknown) => {
    if (typeof value !== 'boolean') throw new Error('must be true or false');
  },
});

function integerFormat(name: string, minimum: number, maximum: number, what: string) {
  convict.addFormat({
    name,
    coerce: (value: unknown) => (/^-?\d+$/.test(String(value).trim()) ? Number(value) : value),
    validate: (value: unknown) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
        throw new Error(`must be ${what}`);
      }
    },
  });
}
integerFormat('port-number', 0, 65535, 'an integer port from 0 to 65535');
integerFormat('milliseconds', 1, 2_147_483_647, 'a whole number of milliseconds of at least 1');
integerFormat('count', 0, Number.MAX_SAFE_INTEGER, 'a whole number of 0 or more');
integerFormat('positive-count', 1, Number.MAX_SAFE_INTEGER, 'a whole number of 1 or more');

convict.addFormat({
  name: 'share',
  coerce: (value: unknown) => (/^\d+(\.\d+)?$/.test(String(value).trim()) ? Number(value) : value),
  validate: (value: unknown) => {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1))
      throw new Error('must be a number from 0 to 1');
  },
});

convict.addFormat({
  name: 'key-list',
  coerce: (value: unknown) =>
    String(value)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  validate: (value: unknown) => {
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.length === 0)) {
      throw new Error('must be a comma-separated list of non-empty keys');
    }
    if (value.some((item: string) => item.length < 8)) {
      throw new Error('each key must be at least 8 characters long');
    }
  },
});

convict.addFormat({
  name: 'string-list',
  coerce: (value: unknown) =>
    String(value)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  validate: (value: unknown) => {
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw new Error('must be a comma-separated list');
    }
  },
});

convict.addFormat({
  name: 'http-url',
  validate: (value: unknown) => {
    let url: URL;
    try {
      url = new URL(String(value));
    } catch {
      throw new Error('must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http(s) URL');
  },
});

convict.addFormat({
  name: 'optional-url',
  validate: (value: unknown) => {
    if (value === '') return;
    try {
      new URL(String(value));
    } catch {
      throw new Error('must be a URL such as redis://127.0.0.1:6379, or empty');
    }
  },
});

convict.addFormat({
  name: 'secret',
  validate: (value: unknown) => {
    if (typeof value !== 'string') throw new Error('must be a string');
  },
});

/** The convict schema: every key a file or the environment may set, with its variable name. */
function buildSchema() {
  return {
    env: {
      doc: 'Which config/<env>.yaml applies',
      format: [...ENVIRONMENTS],
      default: 'development',
      env: 'NODE_ENV',
    },
    logLevel: { doc: 'pino log level', format: [...LOG_LEVELS], default: 'info', env: 'LOG_LEVEL' },
    server: {
      host: {
        doc: 'Interface to listen on',
        format: String,
        default: serverDefaults.host,
        env: 'GATEWAY_HOST',
      },
      port: {
        doc: 'Port to listen on',
        format: 'port-number',
        default: serverDefaults.port,
        env: 'GATEWAY_PORT',
      },
      bodyLimit: {
        doc: 'Largest JSON body, bytes',
        format: 'positive-count',
        default: serverDefaults.bodyLimit,
        env: 'BODY_LIMIT',
      },
      requestTimeout: {
        doc: 'Time to receive a request, ms',
        format: 'count',
        default: serverDefaults.requestTimeout,
      },
      headersTimeout: {
        doc: 'Time to receive headers, ms',
        format: 'count',
        default: serverDefaults.headersTimeout,
      },
      keepAliveTimeout: {
        doc: 'Idle keep-alive, ms',
        format: 'count',
        default: serverDefaults.keepAliveTimeout,
      },
      shutdownTimeout: {
        doc: 'Drain time on shutdown, ms',
        format: 'count',
        default: serverDefaults.shutdownTimeout,
        env: 'SHUTDOWN_TIMEOUT',
      },
      trustProxy: {
        doc: 'Trust X-Forwarded-* headers',
        format: 'strict-boolean',
        default: serverDefaults.trustProxy,
        env: 'TRUST_PROXY',
      },
    },
    requestTimeout: {
      doc: 'Upper bound on one upstream call, ms',
      format: 'milliseconds',
      default: gatewayDefaults.requestTimeout,
      env: 'REQUEST_TIMEOUT',
    },
    maxConcurrentRequests: {
      doc: 'Requests served at once (0 = unlimited)',
      format: 'count',
      default: gatewayDefaults.maxConcurrentRequests,
      env: 'MAX_CONCURRENT_REQUESTS',
    },
    unsupportedParameters: {
      doc: 'drop (with a warning) or reject a parameter the model cannot honour',
      format: ['drop', 'reject'],
      default: gatewayDefaults.unsupportedParameters,
      env: 'UNSUPPORTED_PARAMETERS',
    },
    auth: {
      apiKeys: {
        doc: 'Client keys',
        format: 'key-list',
        default: [] as string[],
        env: 'GATEWAY_API_KEYS',
        sensitive: true,
      },
      mode: {
        doc: 'Which keys count: gateway (GATEWAY_API_KEYS), client (auth.clients) or hybrid (both)',
        format: ['gateway', 'client', 'hybrid'],
        default: gatewayDefaults.auth.mode,
        env: 'AUTH_MODE',
      },
      clients: {
        doc: 'Client keys by SHA-256 (npm run keys -- create); checked by the options schema',
        format: Array,
        default: [] as unknown[],
      },
      adminKeys: {
        doc: 'Keys that may read every key usage',
        format: 'key-list',
        default: [] as string[],
        env: 'GATEWAY_ADMIN_KEYS',
        sensitive: true,
      },
    },
    usage: {
      budgetWarningShare: {
        doc: 'Budget share after which answers carry a warning header',
        format: 'share',
        default: gatewayDefaults.usage.budgetWarningShare,
        env: 'BUDGET_WARNING_SHARE',
      },
      retentionDays: {
        doc: 'Days of usage kept',
        format: 'positive-count',
        default: gatewayDefaults.usage.retentionDays,
      },
    },
    masterKey: {
      doc: 'Decrypts enc: values of provider settings (32 bytes, hex or base64)',
      format: 'secret',
      default: '',
      env: 'GATEWAY_MASTER_KEY',
      sensitive: true,
    },
    providers: {
      openai: {
        apiKey: {
          doc: 'OpenAI API key',
          format: 'secret',
          default: '',
          env: 'OPENAI_API_KEY',
          sensitive: true,
        },
        baseUrl: {
          doc: 'OpenAI base URL, including /v1',
          format: 'http-url',
          default: 'https://api.openai.com/v1',
          env: 'OPENAI_BASE_URL',
        },
        useResponsesApi: {
          doc: 'Serve Responses-only models through /v1/responses',
          format: 'strict-boolean',
          default: true,
          env: 'OPENAI_USE_RESPONSES_API',
        },
      },
      gemini: {
        apiKey: {
          doc: 'Gemini API key',
          format: 'secret',
          default: '',
          env: 'GEMINI_API_KEY',
          sensitive: true,
        },
        baseUrl: {
          doc: 'Gemini API origin',
          format: 'http-url',
          default: 'https://generativelanguage.googleapis.com',
          env: 'GEMINI_BASE_URL',
        },
      },
    },
    cors: {
      enabled: {
        doc: 'Answer CORS',
        format: 'strict-boolean',
        default: gatewayDefaults.cors.enabled,
        env: 'CORS_ENABLED',
      },
      origins: {
        doc: 'Allowed origins',
        format: 'string-list',
        default: gatewayDefaults.cors.origins,
        env: 'CORS_ORIGINS',
      },
      methods: { doc: 'Allowed methods', format: 'string-list', default: gatewayDefaults.cors.methods },
      allowedHeaders: {
        doc: 'Allowed request headers',
        format: 'string-list',
        default: gatewayDefaults.cors.allowedHeaders,
      },
      exposedHeaders: {
        doc: 'Exposed response headers',
        format: 'string-list',
        default: gatewayDefaults.cors.exposedHeaders,
      },
      credentials: {
        doc: 'Allow credentials',
        format: 'strict-boolean',
        default: gatewayDefaults.cors.credentials,
      },
      maxAge: { doc: 'Preflight cache, s', format: 'count', default: gatewayDefaults.cors.maxAge },
    },
    docs: {
      enabled: {
        doc: 'Serve /docs and /openapi.json',
        format: 'strict-boolean',
        default: gatewayDefaults.docs.enabled,
        env: 'DOCS_ENABLED',
      },
    },
    logging: {
      bodies: {
        doc: 'Debug only: log prompts and completions',
        format: 'strict-boolean',
        default: gatewayDefaults.logging.bodies,
        env: 'LOG_BODIES',
      },
    },
    metrics: {
      access: {
        doc: 'protected (behind keys), open, or off',
        format: ['protected', 'open', 'off'],
        default: gatewayDefaults.metrics.access,
        env: 'METRICS_ACCESS',
      },
    },
    upstream: {
      connections: {
        doc: 'Connections per upstream origin',
        format: 'positive-count',
        default: gatewayDefaults.upstream.connections,
      },
      connectTimeout: {
        doc: 'Upstream connect timeout, ms',
        format: 'milliseconds',
        default: gatewayDefaults.upstream.connectTimeout,
      },
      keepAliveTimeout: {
        doc: 'Upstream idle keep-alive, ms',
        format: 'milliseconds',
        default: gatewayDefaults.upstream.keepAliveTimeout,
      },
    },
    cache: {
      enabled: {
        doc: 'Response cache',
        format: 'strict-boolean',
        default: gatewayDefaults.cache.enabled,
        env: 'CACHE_ENABLED',
      },
      ttlSeconds: {
        doc: 'Cache TTL, s',
        format: 'positive-count',
        default: gatewayDefaults.cache.ttlSeconds,
        env: 'CACHE_TTL',
      },
      maxTtlSeconds: {
        doc: 'Largest TTL a request may ask for (x-gateway-cache-ttl), s',
        format: 'positive-count',
        default: gatewayDefaults.cache.maxTtlSeconds,
      },
      scope: {
        doc: 'client (entries per key) or global (shared by every key)',
        format: ['client', 'global'],
        default: gatewayDefaults.cache.scope,
        env: 'CACHE_SCOPE',
      },
      maxBytes: {
        doc: 'Bound of the in-memory cache, bytes',
        format: 'positive-count',
        default: gatewayDefaults.cache.maxBytes,
        env: 'CACHE_MAX_BYTES',
      },
      maxEntryBytes: {
        doc: 'Largest answer stored, bytes',
        format: 'positive-count',
        default: gatewayDefaults.cache.maxEntryBytes,
      },
    },
    rateLimit: {
      enabled: {
        doc: 'Rate limiting',
        format: 'strict-boolean',
        default: gatewayDefaults.rateLimit.enabled,
        env: 'RATE_LIMITING_ENABLED',
      },
      requestsPerMinute: {
        chat: {
          doc: 'Chat requests per minute per key',
          format: 'count',
          default: gatewayDefaults.rateLimit.requestsPerMinute.chat,
          env: 'RATE_LIMIT_CHAT_RPM',
        },
        embeddings: {
          doc: 'Embeddings requests per minute per key',
          format: 'count',
          default: gatewayDefaults.rateLimit.requestsPerMinute.embeddings,
          env: 'RATE_LIMIT_EMBEDDINGS_RPM',
        },
        audio: {
          doc: 'Audio requests per minute per key',
          format: 'count',
          default: gatewayDefaults.rateLimit.requestsPerMinute.audio,
          env: 'RATE_LIMIT_AUDIO_RPM',
        },
      },
      tokensPerMinute: {
        doc: 'Tokens per minute per key (0 = no token limit)',
        format: 'count',
        default: gatewayDefaults.rateLimit.tokensPerMinute,
        env: 'RATE_LIMIT_TOKENS_PER_MINUTE',
      },
      onRedisError: {
        doc: 'When Redis fails: open (allow), local (count per instance) or closed (refuse)',
        format: ['open', 'local', 'closed'],
        default: gatewayDefaults.rateLimit.onRedisError,
        env: 'RATE_LIMIT_ON_REDIS_ERROR',
      },
    },
    redis: {
      url: {
        doc: 'Redis for shared state',
        format: 'optional-url',
        default: gatewayDefaults.redis.url,
        env: 'REDIS_URL',
        sensitive: true,
      },
      keyPrefix: {
        doc: 'Prefix of every Redis key the gateway writes',
        format: String,
        default: gatewayDefaults.redis.keyPrefix,
        env: 'REDIS_KEY_PREFIX',
      },
      commandTimeout: {
        doc: 'Slowest Redis answer accepted, ms',
        format: 'milliseconds',
        default: gatewayDefaults.redis.commandTimeout,
        env: 'REDIS_COMMAND_TIMEOUT',
      },
      connectTimeout: {
        doc: 'How long the start waits for Redis, ms',
        format: 'milliseconds',
        default: gatewayDefaults.redis.connectTimeout,
      },
    },
    media: {
      maxBytes: {
        doc: 'Largest media file downloaded for an image URL, bytes',
        format: 'positive-count',
        default: gatewayDefaults.media.maxBytes,
        env: 'MEDIA_MAX_BYTES',
      },
      timeoutMs: {
        doc: 'Time allowed for one media download, ms',
        format: 'milliseconds',
        default: gatewayDefaults.media.timeoutMs,
        env: 'MEDIA_TIMEOUT',
      },
      allowPrivateNetworks: {
        doc: 'Let media URLs reach loopback, private and link-local addresses',
        format: 'strict-boolean',
        default: gatewayDefaults.media.allowPrivateNetworks,
        env: 'MEDIA_ALLOW_PRIVATE_NETWORKS',
      },
      maxRedirects: {
        doc: 'Redirects followed per media download',
        format: 'count',
        default: gatewayDefaults.media.maxRedirects,
      },
    },
  };
}

type Schema = ReturnType<typeof buildSchema>;

/** Every environment variable the configuration reads, with its description (for docs and checks). */
export function environmentVariables(): { name: string; path: string; doc: string }[] {
  const found: { name: string; path: string; doc: string }[] = [
    { name: 'GATEWAY_CONFIG', path: '(file)', doc: 'Extra YAML file' },
  ];
  const walk = (node: Record<string, unknown>, path: string[]) => {
    for (const [key, value] of Object.entries(node)) {
      if (!value || typeof value !== 'object') continue;
      const leaf = value as { env?: string; doc?: string; default?: unknown };
      if ('default' in leaf) {
        if (leaf.env) found.push({ name: leaf.env, path: [...path, key].join('.'), doc: leaf.doc ?? '' });
      } else walk(value as Record<string, unknown>, [...path, key]);
    }
  };
  walk(buildSchema() as unknown as Record<string, unknown>, []);
  return found;
}
type Leaf = { env?: string; sensitive?: boolean };

/** `server.port` → its schema leaf, to name the environment variable in error messages. */
function findLeaf(schema: Record<string, unknown>, path: string): Leaf | undefined {
  let node: unknown = schema;
  for (const part of path.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node && typeof node === 'object' && 'default' in node ? (node as Leaf) : undefined;
}

/** Rewrites convict's error lines as "KEY (path): what is allowed: value was ..." with secrets masked. */
function describeConvictError(schema: Schema, error: Error, env: Record<string, string | undefined>): string {
  const lines = error.message.split('\n').filter((line) => line.trim().length > 0);
  return lines
    .map((line) => {
      const match = /^([\w.]+): (.*)$/.exec(line.trim());
      if (!match) return line;
      const [, path = '', rest = ''] = match;
      const leaf = findLeaf(schema as unknown as Record<string, unknown>, path);
      const name = leaf?.env ? `${leaf.env} (${path})` : path;
      // convict leaves the value out when it is falsy (0, ""): take it from the environment then.
      const raw = leaf?.env ? env[leaf.env] : undefined;
      const withValue =
        rest.includes(': value was ') || raw === undefined ? rest : `${rest}: value was "${raw}"`;
      const text = leaf?.sensitive
        ? withValue.replace(/: value was .*$/, ': value was <redacted>')
        : withValue;
      return `Invalid configuration: ${name}: ${text}`;
    })
    .join('; ');
}

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `Config file ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${path} must hold a mapping of settings at its top level`);
  }
  return parsed as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    target[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge({ ...current }, value) : value;
  }
  return target;
}

/** Model catalog entries: the shipped catalog, then entries of the user's files replace by id. */
function mergeModels(base: unknown[], extra: unknown): Record<string, unknown>[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const entry of [...base, ...(Array.isArray(extra) ? extra : [])]) {
    if (!isPlainObject(entry) || typeof entry['id'] !== 'string') {
      throw new ConfigError(
        `Invalid configuration: models: every entry needs an "id" string, got ${JSON.stringify(entry)}`,
      );
    }
    byId.set(entry['id'], { ...(byId.get(entry['id']) ?? {}), ...entry });
  }
  return [...byId.values()];
}

/** The `routing` section is open-ended (entries by model name): checked against its schema here. */
function checkRouting(raw: unknown): GatewayOptions['routing'] {
  const routing = Value.Default(RoutingOptionsSchema, structuredClone(raw ?? {}));
  const first = Value.Errors(RoutingOptionsSchema, routing).First();
  if (first) {
    const path = `routing${first.path.replace(/\//g, '.')}`;
    throw new ConfigError(
      `Invalid configuration: ${path}: ${first.message}: value was ${JSON.stringify(first.value)}`,
    );
  }
  return routing as GatewayOptions['routing'];
}

/**
 * Replaces each `enc:` value of a provider's settings by its plaintext (src/secrets.ts), with the
 * master key from GATEWAY_MASTER_KEY; a missing or wrong master key stops the start, naming the
 * setting.
 */
function decryptProviderSecrets(providers: GatewayOptions['providers'], masterKeyText: string): void {
  let masterKey: Buffer | undefined;
  for (const [id, instance] of Object.entries(providers)) {
    const settings = instance as Record<string, unknown>;
    for (const [key, value] of Object.entries(settings)) {
      if (!isEncryptedSecret(value)) continue;
      const name = `providers.${id}.${key}`;
      if (!masterKeyText) {
        throw new ConfigError(
          `Invalid configuration: ${name} is encrypted (enc:) but GATEWAY_MASTER_KEY is not set: set it to the ` +
            'master key the value was encrypted with',
        );
      }
      try {
        masterKey ??= parseMasterKey(masterKeyText);
      } catch (error) {
        throw new ConfigError(`Invalid configuration: GATEWAY_MASTER_KEY: ${(error as Error).message}`);
      }
      try {
        settings[key] = decryptSecret(value, masterKey);
      } catch (error) {
        throw new ConfigError(
          `Invalid configuration: ${name} cannot be decrypted with GATEWAY_MASTER_KEY: ${(error as Error).message}`,
        );
      }
    }
  }
}

export interface LoadConfigInput {
  /** The process environment (or a test's stand-in). */
  env: Record<string, string | undefined>;
  /** Folder holding default.yaml, <env>.yaml and models.yaml. */
  configDirectory: string;
}

export function loadConfig({ env, configDirectory }: LoadConfigInput): LoadedConfig {
  const schema = buildSchema();
  const environment = env['NODE_ENV'] ?? 'development';
  if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
    throw new ConfigError(
      `Invalid configuration: NODE_ENV: must be one of ${ENVIRONMENTS.join(', ')}: value was "${environment}"`,
    );
  }

  const files = [join(configDirectory, 'default.yaml'), join(configDirectory, `${environment}.yaml`)].filter(
    (file) => existsSync(file),
  );
  const userFile = env['GATEWAY_CONFIG'];
  if (userFile) {
    if (!existsSync(userFile)) {
      throw new ConfigError(`Invalid configuration: GATEWAY_CONFIG: file not found: value was "${userFile}"`);
    }
    files.push(userFile);
  }

  const merged: Record<string, unknown> = {};
  for (const file of files) deepMerge(merged, readYaml(file));

  // The open-ended parts (extra provider instances, model entries) are validated by the options
  // schema below; convict checks the fixed keys and applies the environment.
  const { models: fileModels, providers: fileProviders, routing: fileRouting, ...fixed } = merged;
  // Instances the environment configures (openai, gemini) have their keys checked by convict; any
  // other setting of theirs, and every other instance, is the provider plugin's to validate.
  const knownProviders = schema.providers as Record<string, Record<string, unknown>>;
  const extraProviders: Record<string, Record<string, unknown>> = {};
  const fixedProviders: Record<string, Record<string, unknown>> = {};
  const providerExtras: Record<string, Record<string, unknown>> = {};
  if (fileProviders !== undefined) {
    if (!isPlainObject(fileProviders)) {
      throw new ConfigError('Invalid configuration: providers: must be a mapping of instances');
    }
    for (const [id, instance] of Object.entries(fileProviders)) {
      if (!isPlainObject(instance))
        throw new ConfigError(`Invalid configuration: providers.${id}: must be a mapping`);
      const known = knownProviders[id];
      if (!known) {
        extraProviders[id] = instance;
        continue;
      }
      const checked: Record<string, unknown> = {};
      const extra: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(instance)) (key in known ? checked : extra)[key] = value;
      fixedProviders[id] = checked;
      providerExtras[id] = extra;
    }
  }

  const config = convict(schema, { env, args: [] });
  try {
    config.load({ ...fixed, providers: fixedProviders });
    config.validate({ allowed: 'strict' });
  } catch (error) {
    throw new ConfigError(describeConvictError(schema, error as Error, env));
  }
  const values = config.getProperties();

  const catalogPath = join(configDirectory, 'models.yaml');
  const catalog = existsSync(catalogPath) ? readYaml(catalogPath)['models'] : [];
  const gateway: GatewayOptions = {
    requestTimeout: values.requestTimeout,
    maxConcurrentRequests: values.maxConcurrentRequests,
    unsupportedParameters: values.unsupportedParameters as GatewayOptions['unsupportedParameters'],
    auth: {
      apiKeys: values.auth.apiKeys,
      mode: values.auth.mode as GatewayOptions['auth']['mode'],
      clients: values.auth.clients as GatewayOptions['auth']['clients'],
      adminKeys: values.auth.adminKeys,
    },
    usage: values.usage,
    providers: {
      ...(extraProviders as GatewayOptions['providers']),
      openai: { ...providerExtras.openai, ...values.providers.openai },
      gemini: { ...providerExtras.gemini, ...values.providers.gemini },
    },
    models: mergeModels(Array.isArray(catalog) ? catalog : [], fileModels),
    cors: values.cors,
    docs: values.docs,
    metrics: { access: values.metrics.access as GatewayOptions['metrics']['access'] },
    logging: values.logging,
    upstream: values.upstream,
    cache: { ...values.cache, scope: values.cache.scope as GatewayOptions['cache']['scope'] },
    rateLimit: {
      ...values.rateLimit,
      onRedisError: values.rateLimit.onRedisError as GatewayOptions['rateLimit']['onRedisError'],
    },
    redis: values.redis,
    routing: checkRouting(fileRouting),
    media: values.media,
  };
  decryptProviderSecrets(gateway.providers, values.masterKey);

  return {
    environment: values.env as LoadedConfig['environment'],
    logLevel: values.logLevel as LoadedConfig['logLevel'],
    server: values.server,
    gateway,
    sources: files,
  };
}
