/**
 * Redis for tests: the shared server on 127.0.0.1:6379 (started by .ci/run), used with a key prefix
 * unique to each test run, and a private redis-server child on a free port that a test can stop and
 * start again to play an outage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses. */
export function uniqueRedisPrefix(label: string): string {
  return `llm-gateway-test:${label}:${randomUUID()}:`;
}

/** Deletes every key under `prefix` on the shared Redis. */
export async function deleteRedisKeys(prefix: string, url = SHARED_REDIS_URL): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** The keys under `prefix` (without it) on a Redis. */
export async function listRedisKeys(prefix: string, url = SHARED_REDIS_URL): Promise<string[]> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      found.push(...keys.map((key) => key.slice(prefix.length)));
    } while (cursor !== '0');
    return found;
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of the test's own, without persistence, that can be stopped and started again. */
export class PrivateRedisServer {
  #child: ChildProcess | null = null;
  port = 0;

  /** `extraArguments` come last, so they win (`--appendonly yes --dir <folder>` keeps data over a restart). */
  constructor(private readonly extraArguments: readonly string[] = []) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--save',
        '',
        '--appendonly',
        'no',
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--daemonize',
        'no',
        ...this.extraArguments,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (data: Buffer) => {
        output += data.toString('utf8');
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)));
      child.once('error', reject);
    });
    child.stdout?.resume();
    child.stderr?.resume();
    return this;
  }

  /** Stops the server and resolves once the process has exited. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    this.#child = null;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
