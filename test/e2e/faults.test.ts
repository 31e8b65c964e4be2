/**
 * Faults survived by the gateway as a real process (src/server.ts under tsx) with a real Redis (a
 * private redis-server that keeps its data over a restart): Redis killed mid-load and restarted,
 * the upstream cut mid-stream, a hanging upstream, SIGTERM mid-stream. After each: the process is
 * alive (or, after SIGTERM, exited 0), every request was answered or cleanly ended with one access
 * line, usage was written exactly once for every request that has usage (what the access log says),
 * and the heap is back near where it was. Bounds only, never timings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { CHAT_STREAM_USAGE, startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { parsePrometheus, valueOf } from '../helpers/prometheus.js';
import { PrivateRedisServer } from '../helpers/redis-server.js';

const TSX = join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsx');
const SERVER = join(PACKAGE_ROOT, 'src', 'server.ts');
const KEY = 'fault-test-key-0123456789';
const PREFIX = 'faults:';
const POLL = { timeout: 15_000, interval: 50 };
/** Generous: a leak of every request's body or stream would pass it many times over. */
const HEAP_SLACK_BYTES = 48 * 1024 * 1024;

let upstream: FakeUpstream;
let redisFolder: string;
let redis: PrivateRedisServer;
let gateway: ChildProcess;
let exited: Promise<number | null>;
const lines: Record<string, unknown>[] = [];
let url = '';
let baselineHeap = 0;
let question = 0;
const heapAfter: Record<string, number> = {};

function chat(stream: boolean, signal?: AbortSignal) {
  question++;
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o',
      stream,
      messages: [{ role: 'user', content: `Fault question ${question}` }],
    }),
    signal,
  });
}

/** Sends a request and reads its answer to the end (or to the cut): what the client saw. */
async function complete(stream: boolean): Promise<{ status: number; text: string }> {
  const response = await chat(stream);
  const text = await response.text().catch((error: Error) => `cut: ${error.message}`);
  return { status: response.status, text };
}

function accessLines(): Record<string, unknown>[] {
  return lines.filter(
    (line) => line['msg'] === 'request completed' && line['route'] === '/v1/chat/completions',
  );
}

/** Usage requests counted in Redis, every key and day. */
async function usageInRedis(): Promise<number> {
  const client = new Redis(redis.url);
  try {
    let total = 0;
    for (const key of await client.keys(`${PREFIX}usage:*`)) {
      if (key.startsWith(`${PREFIX}usage-`)) continue;
      const fields = await client.hgetall(key);
      for (const [field, value] of Object.entries(fields))
        if (field.endsWith('|requests')) total += Number(value);
    }
    return total;
  } finally {
    client.disconnect();
  }
}

/** Every chat request so far has its one access line, and usage is in Redis once for each that has usage. */
async function expectAccountedOnce(sent: number): Promise<void> {
  await expect.poll(() => accessLines().length, POLL).toBe(sent);
  const withUsage = accessLines().filter((line) => line['promptTokens'] !== undefined).length;
  await expect.poll(usageInRedis, POLL).toBe(withUsage);
}

async function heapUsed(): Promise<number> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
  return valueOf(parsePrometheus(await response.text()), 'llm_gateway_nodejs_heap_size_used_bytes');
}

async function expectHeapBackNear(scenario: string): Promise<void> {
  // The heap shrinks only after a collection: poll until it is back within bounds.
  await expect.poll(heapUsed, POLL).toBeLessThan(baselineHeap + HEAP_SLACK_BYTES);
  heapAfter[scenario] = await heapUsed();
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  redisFolder = mkdtempSync(join(tmpdir(), 'gateway-faults-'));
  redis = await new PrivateRedisServer([
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--dir',
    redisFolder,
  ]).start();
  gateway = spawn(TSX, [SERVER], {
    cwd: PACKAGE_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      GATEWAY_API_KEYS: KEY,
      OPENAI_API_KEY: 'sk-faults',
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: PREFIX,
      CACHE_ENABLED: 'false',
      RATE_LIMITING_ENABLED: 'false',
      // A hanging upstream is cut by the request's deadline.
      REQUEST_TIMEOUT: '2000',
      SHUTDOWN_TIMEOUT: '10000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  gateway.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  gateway.stderr!.resume();
  exited = new Promise((resolve) => gateway.on('exit', (code) => resolve(code)));
  // Waits on the process's own line saying where it listens (expect.poll is for tests, not hooks).
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (!lines.some((line) => String(line['msg']).includes('Server listening at'))) return;
      gateway.stdout!.off('data', onData);
      resolve();
    };
    gateway.stdout!.on('data', onData);
    gateway.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before listening`)));
  });
  url = /http:\/\/127\.0\.0\.1:\d+/.exec(
    String(lines.find((line) => String(line['msg']).includes('Server listening at'))!['msg']),
  )![0];
  // Warm up (first requests compile and load code), then take the baseline.
  for (let index = 0; index < 10; index++) await complete(index % 2 === 0);
  baselineHeap = await heapUsed();
}, 40_000);

afterAll(async () => {
  if (gateway?.exitCode === null) {
    gateway.kill('SIGKILL');
    await exited;
  }
  await redis?.stop();
  await upstream?.close();
  rmSync(redisFolder, { recursive: true, force: true });
  // Heap in use before the faults and after each, in MB: the figures behind HEAP_SLACK_BYTES.
  const toMegabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  process.stdout.write(
    `faults: heap baseline ${toMegabytes(baselineHeap)} MB, after ${JSON.stringify(
      Object.fromEntries(Object.entries(heapAfter).map(([name, bytes]) => [name, toMegabytes(bytes)])),
    )}\n`,
  );
});

describe('faults survived', () => {
  it('Redis killed mid-load and restarted: every request answered, usage written once each', async () => {
    let sent = 10;
    const load = async (rounds: number) => {
      for (let round = 0; round < rounds; round++) {
        const answers = await Promise.all([complete(false), complete(true), complete(false), complete(true)]);
        sent += answers.length;
        for (const answer of answers) expect(answer.status).toBe(200);
      }
    };
    const running = load(10);
    await expect.poll(() => accessLines().length, POLL).toBeGreaterThan(20);
    await redis.stop();
    await running;
    await load(3);
    await redis.start();
    await load(3);
    expect(gateway.exitCode).toBeNull();
    await expectAccountedOnce(sent);
    expect(lines.filter((line) => line['event'] === 'usage_held')).toHaveLength(1);
    await expectHeapBackNear('redis killed');
  });

  it('upstream cut mid-stream: the stream ends with an error event, usage estimated and written once', async () => {
    upstream.reset();
    const before = accessLines().length;
    upstream.enqueue('POST', '/v1/chat/completions', {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: CHAT_STREAM_USAGE,
      // Past the first events (the stream has started, so it cannot fail over), before the usage.
      reset: 1200,
    });
    const cut = await complete(true);
    expect(cut.status).toBe(200);
    expect(cut.text).not.toContain('[DONE]');
    expect(cut.text).toMatch(/data: \{"error":/);
    await expect.poll(() => accessLines().length, POLL).toBe(before + 1);
    expect(accessLines().at(-1)).toMatchObject({ usageEstimated: true });
    await expectAccountedOnce(before + 1);
    expect(gateway.exitCode).toBeNull();
    await expectHeapBackNear('upstream cut');
  });

  it('a hanging upstream: unary and stream requests end with 504 at the deadline', async () => {
    const before = accessLines().length;
    upstream.reset();
    upstream.enqueue('POST', '/v1/chat/completions', { hang: 'before-headers' }, { hang: 'before-headers' });
    const [unary, stream] = await Promise.all([complete(false), complete(true)]);
    expect(unary.status).toBe(504);
    expect(JSON.parse(unary.text).error.code).toBeTruthy();
    expect([504, 200]).toContain(stream.status);
    if (stream.status === 200) expect(stream.text).toMatch(/data: \{"error":/);
    await expectAccountedOnce(before + 2);
    expect(gateway.exitCode).toBeNull();
    await expectHeapBackNear('hanging upstream');
  });

  it('SIGTERM mid-stream: the stream finishes, its usage is written, the process exits 0', async () => {
    upstream.reset();
    const before = accessLines().length;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    upstream.enqueue('POST', '/v1/chat/completions', {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: CHAT_STREAM_USAGE,
      holdAt: 400,
      release: released,
    });
    const response = await chat(true);
    const reader = response.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    gateway.kill('SIGTERM');
    await expect
      .poll(() => lines.some((line) => String(line['msg']).includes('shutting down')), POLL)
      .toBe(true);
    release();
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      text += new TextDecoder().decode(next.value);
    }
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(await exited).toBe(0);
    expect(accessLines()).toHaveLength(before + 1);
    expect(await usageInRedis()).toBe(
      accessLines().filter((line) => line['promptTokens'] !== undefined).length,
    );
  });
});
