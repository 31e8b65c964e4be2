/**
 * The standalone server: the only module that reads the environment. Configuration → Fastify →
 * the gateway plugin → listen, and a graceful close on SIGTERM/SIGINT.
 */
import { timeOrderedUuid } from './time-ordered-uuid.js';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { PROVIDERS } from '../plugins/providers/index.js';
import { gateway } from './app.js';
import { ConfigError, loadConfig, type LoadedConfig } from './config.js';
import { LineWriter } from './line-writer.js';
import { loggerOptions, requestIdFrom } from './logger.js';
import { PACKAGE_ROOT, PACKAGE_VERSION } from './package-root.js';
import { configurationHint } from './provider.js';
import { summarizeInstances } from './provider-registry.js';
import type { DiscoveryScheduler } from './model-discovery.js';

export interface BuildServerOptions {
  dispatcher?: Dispatcher;
  /** When discovered models are asked for again (tests drive it); default timers. */
  discoveryScheduler?: DiscoveryScheduler;
  /** Where log lines go (tests capture them); default stdout. */
  logStream?: NodeJS.WritableStream;
}

/**
 * stdout in batches (src/line-writer.ts), flushed every second and on exit. Lines stdout did not
 * take (a pipe nobody reads, a full disk) are counted, and said on stderr at most once a second.
 */
function bufferedStdout(): LineWriter {
  const stream = new LineWriter({ fd: 1 });
  let reported = 0;
  const reportDropped = () => {
    if (stream.dropped === reported) return;
    process.stderr.write(`${stream.dropped - reported} log lines dropped: stdout did not take them\n`);
    reported = stream.dropped;
  };
  const timer = setInterval(() => {
    stream.flush();
    reportDropped();
  }, 1000);
  timer.unref();
  process.once('exit', () => {
    clearInterval(timer);
    try {
      stream.flushSync();
      reportDropped();
    } catch {
      // Nothing more can be done for log lines at exit.
    }
  });
  return stream;
}

/**
 * In development at a terminal, log lines are made readable (pino-pretty, loaded only then);
 * anywhere else they are JSON, one object a line, for machines to read.
 */
async function prettyStdout(): Promise<NodeJS.WritableStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({ colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
}

export async function buildServer(
  config: LoadedConfig,
  extra: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const logger = loggerOptions(config.logLevel) as Record<string, unknown>;
  // Log lines are buffered and written in batches (at 16 KB, or every second, and at exit) rather
  // than one synchronous write per request: a write per line cost as much CPU as the rest of the
  // access-log path (docs/performance.md).
  const destination =
    extra.logStream ??
    (config.environment === 'development' && process.stdout.isTTY ? await prettyStdout() : bufferedStdout());
  const server = Fastify({
    logger: { ...logger, stream: destination },
    // The gateway writes its own single access-log line per request (plugins/request-state.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // Generated request ids are time-ordered (UUID version 7), so the store's index of them grows
    // at its end rather than at random pages.
    genReqId: (request) => requestIdFrom(request.headers['x-request-id'], timeOrderedUuid),
    bodyLimit: config.server.bodyLimit,
    requestTimeout: config.server.requestTimeout,
    keepAliveTimeout: config.server.keepAliveTimeout,
    trustProxy: config.server.trustProxy,
    // The gateway answers requests that arrive during shutdown itself, in its error envelope.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false },
  });
  server.server.headersTimeout = config.server.headersTimeout;
  await server.register(gateway, {
    ...config.gateway,
    dispatcher: extra.dispatcher,
    discoveryScheduler: extra.discoveryScheduler,
  });
  return server;
}

/** Variables from a `.env` file in the working folder; the real environment wins over the file. */
function loadDotEnv(environment: NodeJS.ProcessEnv): void {
  const path = resolve('.env');
  if (!existsSync(path)) return;
  const values = parseEnv(readFileSync(path, 'utf8'));
  for (const [name, value] of Object.entries(values)) {
    if (environment[name] === undefined) environment[name] = value;
  }
}

/**
 * What the start-up lines say: where the gateway listens, which providers serve and how to configure
 * the others, and a first request to try (a model of a configured provider, from the catalog).
 */
export function describeStartup(config: LoadedConfig, url: string): string[] {
  const instances = summarizeInstances(PROVIDERS, config.gateway.providers);
  const variableOf = (type: string) => {
    const descriptor = PROVIDERS.find((candidate) => candidate.type === type);
    return descriptor ? configurationHint(descriptor) : undefined;
  };
  const providers = instances
    .map((instance) =>
      instance.configured
        ? `${instance.id} (${instance.builtin ? 'built in' : 'configured'})`
        : `${instance.id} (set ${variableOf(instance.type) ?? 'its key'})`,
    )
    .join(', ');
  const serving = new Map(
    instances.filter((instance) => instance.configured).map((instance) => [instance.id, instance]),
  );
  const chatModels = (config.gateway.models ?? []).filter(
    (model) => serving.has(String(model['provider'])) && (model['type'] ?? 'chat') === 'chat',
  );
  const tryModel =
    chatModels.find((model) => !serving.get(String(model['provider']))?.builtin) ?? chatModels[0];
  const lines = [`LLM gateway ${PACKAGE_VERSION} listening on ${url}`, `Providers: ${providers}`];
  const keyed = config.gateway.auth.apiKeys.length > 0 || config.gateway.auth.clients.length > 0;
  const auth = keyed ? ` -H "authorization: Bearer $GATEWAY_API_KEY"` : '';
  if (tryModel) {
    const body = JSON.stringify({ model: tryModel['id'], messages: [{ role: 'user', content: 'Hello!' }] });
    lines.push(
      `Try it: curl ${url}/v1/chat/completions${auth} -H 'content-type: application/json' -d '${body}'`,
    );
  } else lines.push(`Try it: curl ${url}/v1/models${auth}`);
  if (config.gateway.docs.enabled) lines.push(`API reference and Try it out: ${url}/docs`);
  return lines;
}

function announce(server: FastifyInstance, config: LoadedConfig): void {
  const { mode, apiKeys, clients } = config.gateway.auth;
  const keys = (mode === 'client' ? 0 : apiKeys.length) + (mode === 'gateway' ? 0 : clients.length);
  if (keys === 0) {
    server.log.warn(
      'PROTECTED MODE: no GATEWAY_API_KEYS are set, so the gateway answers clients on this machine only ' +
        '(loopback, called directly: a request that carries proxy headers is refused) and refuses every other ' +
        'client with 401. Set GATEWAY_API_KEYS=<key>[,<key>...] to serve other clients.',
    );
  }
  const instances = summarizeInstances(PROVIDERS, config.gateway.providers);
  if (!instances.some((instance) => instance.configured && !instance.builtin)) {
    const variables = PROVIDERS.filter((descriptor) => !descriptor.builtin).flatMap(
      (descriptor) => configurationHint(descriptor) ?? [],
    );
    server.log.warn(
      `No provider key is set (${variables.join(', ')}): model calls will answer 404 until one is.`,
    );
  }
}

export async function main(): Promise<void> {
  loadDotEnv(process.env);
  let config: LoadedConfig;
  try {
    config = loadConfig({ env: process.env, configDirectory: join(PACKAGE_ROOT, 'config') });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  let server: FastifyInstance;
  try {
    server = await buildServer(config);
    await server.ready();
  } catch (error) {
    process.stderr.write(`The gateway cannot start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  announce(server, config);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    server.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      server.log.warn('shutdown timeout passed: closing remaining connections');
      server.server.closeAllConnections();
      process.exit(1);
    }, config.server.shutdownTimeout);
    force.unref();
    // Connections that finish their last response during the drain would otherwise stay open for
    // their keep-alive time; close each as soon as it is idle.
    const sweep = setInterval(() => server.server.closeIdleConnections(), 100);
    sweep.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.log.error({ err: error }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await server.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    server.log.error({ err: error }, 'cannot listen');
    process.exit(1);
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = ['0.0.0.0', '::', '127.0.0.1', '::1'].includes(config.server.host)
    ? 'localhost'
    : config.server.host;
  for (const line of describeStartup(config, `http://${host}:${port}`)) server.log.info(line);
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) void main();
