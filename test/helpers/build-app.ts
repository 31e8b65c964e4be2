/**
 * Builds a gateway for a test: the real Fastify server of src/server.ts with the real plugin, its
 * log lines captured, and its providers pointed at loopback fakes.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { loadConfig, type LoadedConfig } from '../../src/config.js';
import { buildServer } from '../../src/server.js';
import type { DiscoveryScheduler } from '../../src/model-discovery.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { join } from 'node:path';

export const TEST_KEY = 'gw-test-key-0123456789';
export const OPENAI_KEY = 'sk-test-upstream-secret-0000';

export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      this.raw.push(line);
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ msg: line });
      }
    }
    callback();
  }
  /** Everything logged, as one string, to look for secrets. */
  text(): string {
    return this.raw.join('\n');
  }
  accessLines(): Record<string, unknown>[] {
    return this.lines.filter((line) => line['msg'] === 'request completed');
  }
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  dispatcher?: Dispatcher;
  /** Drives the refreshes of discovered models (test/helpers/manual-scheduler.ts). */
  discoveryScheduler?: DiscoveryScheduler;
  /** Edits applied to the loaded configuration before the server is built. */
  configure?: (config: LoadedConfig) => void;
}

export interface TestApp {
  app: FastifyInstance;
  logs: LogCapture;
  config: LoadedConfig;
  /** Base URL once `listen()` was called. */
  url: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    env: { NODE_ENV: 'test', LOG_LEVEL: 'info', GATEWAY_API_KEYS: TEST_KEY, ...options.env },
    configDirectory: join(PACKAGE_ROOT, 'config'),
  });
  options.configure?.(config);
  const logs = new LogCapture();
  const app = await buildServer(config, {
    dispatcher: options.dispatcher,
    discoveryScheduler: options.discoveryScheduler,
    logStream: logs,
  });
  await app.ready();
  const testApp: TestApp = {
    app,
    logs,
    config,
    url: '',
    async listen() {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      testApp.url = address;
      return address;
    },
    close: () => app.close(),
  };
  return testApp;
}

export function authHeaders(key = TEST_KEY): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
