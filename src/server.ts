/**
 * The standalone server: the only module that reads the environment. Configuration → Fastify →
 * the gateway plugin → listen, and a graceful close on SIGTERM/SIGINT.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { pino } from 'pino';
import { PROVIDERS } from '../plugins/providers/index.js';
import { gateway } from './app.js';
import { ConfigError, loadConfig, type LoadedConfig } from './config.js';
import { loggerOptions, requestIdFrom } from './logger.js';
import { PACKAGE_ROOT } from './package-root.js';
import { summarizeInstances } from './provider-registry.js';

export interface BuildServerOptions {
  dispatcher?: Dispatcher;
  /** Where log lines go (tests capture them); default stdout. */
  logStream?: NodeJS.WritableStream;
}

/** stdout through sonic-boom, asynchronous and batched, flushed every second and on exit. */
function bufferedStdout(): ReturnType<typeof pino.destination> {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => stream.flush(), 1000);
  timer.unref();
  process.once('exit', () => {
    clearInterval(timer);
    try {
      stream.flushSync();
    } catch {
      // Nothing more can be done for log lines at exit.
    }
  });
  return stream;
}

export async function buildServer(
  config: LoadedConfig,
  extra: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const logger = loggerOptions(config.logLevel) as Record<string, unknown>;
  // Log lines are buffered and written in batches (at 4 KB, or every second, and on close) rather
  // than one synchronous write per request: a write per line cost as much CPU as the rest of the
  // access-log path (docs/performance.md).
  const destination = extra.logStream ?? bufferedStdout();
  const server = Fastify({
    logger: { ...logger, stream: destination },
    // The gateway writes its own single access-log line per request (plugins/request-state.ts).
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (request) => requestIdFrom(request.headers['x-request-id'], randomUUID),
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
  await server.register(gateway, { ...config.gateway, dispatcher: extra.dispatcher });
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

function announce(server: FastifyInstance, config: LoadedConfig): void {
  const { mode, apiKeys, clients } = config.gateway.auth;
  const keys = (mode === 'client' ? 0 : apiKeys.length) + (mode === 'gateway' ? 0 : clients.length);
  if (keys === 0) {
    server.log.warn(
      'PROTECTED MODE: no GATEWAY_API_KEYS are set, so the gateway answers clients on this machine only ' +
        '(loopback) and refuses every other client with 401. Set GATEWAY_API_KEYS=<key>[,<key>...] to serve ' +
        'other clients.',
    );
  }
  const instances = summarizeInstances(PROVIDERS, config.gateway.providers);
  if (!instances.some((instance) => instance.configured && !instance.builtin)) {
    const variables = PROVIDERS.filter((descriptor) => !descriptor.builtin).flatMap((descriptor) =>
      descriptor.variables
        .filter((variable) => variable.setting === 'apiKey')
        .map((variable) => variable.name),
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
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) void main();
