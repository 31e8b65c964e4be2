/**
 * `npm run bench:store [-- --rows 100000]`: what the store costs.
 *
 * - Spend rows per second the SpendWriter sustains into each backend (SQLite in a temporary
 *   folder; the machine's PostgreSQL at 127.0.0.1:5432, database `test`, in a schema of its own,
 *   dropped at the end), from a queue filled at once and drained in batches of 500; the CPU time
 *   of the main thread (the one serving requests) per row, and of the whole process (SQLite
 *   works in a thread of its own); and how long one batch takes to write. CPU times are steadier
 *   than the wall clock on a shared machine.
 * - The cost of `SpendWriter.add` (on the request path) and of a KeyCache hit, with and without
 *   the SHA-256 of the presented key that precedes it.
 *
 * Prints a Markdown table. Figures vary with the machine and its load; compare runs on one machine.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { KeyCache } from '../src/store/key-cache.js';
import { createKeySecret, hashKeySecret } from '../src/store/key-secret.js';
import { openPostgresStore } from '../src/store/postgres-store.js';
import { SpendWriter, type SpendInput } from '../src/store/spend-writer.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { SpendEntry, Store } from '../src/store/store.js';

const POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/test';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' } } });
const ROWS = Number(values.rows);

/** A chat call by one of 20 keys on one of 3 models, as the gateway would record it. */
function spendRow(index: number): SpendInput {
  return {
    at: new Date(),
    requestId: randomUUID(),
    keyId: `key_${index % 20}`,
    teamId: `team_${index % 4}`,
    route: '/v1/chat/completions',
    requestedModel: ['gpt-4o', 'gpt-4o-mini', 'gemini-2.5-flash'][index % 3]!,
    model: ['gpt-4o-2024-08-06', 'gpt-4o-mini', 'gemini-2.5-flash'][index % 3]!,
    provider: index % 3 === 2 ? 'gemini' : 'openai',
    deployment: null,
    promptTokens: 1200,
    completionTokens: 300,
    reasoningTokens: 0,
    cachedTokens: 512,
    cacheWriteTokens: 0,
    costUsd: 0.0042,
    latencyMs: 950.5,
    overheadMs: 1.2,
    status: 200,
    cacheResult: 'miss',
    outcome: 'completed',
    estimated: false,
  };
}

interface WriterFigures {
  rowsPerSecond: number;
  /** CPU time of the main thread (the one serving requests) per row written, adds included. */
  mainThreadMicrosecondsPerRow: number;
  /** This process's CPU time (user + system, every thread) per row: the database server's is not in it. */
  cpuMicrosecondsPerRow: number;
  addMicroseconds: number;
  batchMs: { mean: number; max: number };
}

async function measureWriter(store: Store): Promise<WriterFigures> {
  const batches: number[] = [];
  const timed: Pick<Store, 'writeSpend' | 'ping'> = {
    async writeSpend(entries: readonly SpendEntry[]) {
      const started = performance.now();
      try {
        return await store.writeSpend(entries);
      } finally {
        batches.push(performance.now() - started);
      }
    },
    ping: () => store.ping(),
  };
  const writer = new SpendWriter(timed, { maxQueued: ROWS, batchSize: 500, flushIntervalMs: 10 });
  const rows = Array.from({ length: ROWS }, (_, index) => spendRow(index));
  const cpu = process.cpuUsage();
  const mainThread = process.threadCpuUsage();
  const started = performance.now();
  for (const row of rows) writer.add(row);
  const added = performance.now();
  const counters = await writer.close();
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const mainThreadUsed = process.threadCpuUsage(mainThread);
  if (counters.written !== ROWS) throw new Error(`only ${counters.written} of ${ROWS} rows were written`);
  return {
    rowsPerSecond: (ROWS / elapsed) * 1000,
    mainThreadMicrosecondsPerRow: (mainThreadUsed.user + mainThreadUsed.system) / ROWS,
    cpuMicrosecondsPerRow: (used.user + used.system) / ROWS,
    addMicroseconds: ((added - started) / ROWS) * 1000,
    batchMs: {
      mean: batches.reduce((sum, value) => sum + value, 0) / batches.length,
      max: Math.max(...batches),
    },
  };
}

/** Nanoseconds per call of `work`, the best of five rounds of `count` calls. */
async function nanosecondsPerCall(count: number, work: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    for (let index = 0; index < count; index++) await work();
    best = Math.min(best, ((performance.now() - started) / count) * 1e6);
  }
  return best;
}

async function measureKeyCache(store: Store): Promise<{ hit: number; hashAndHit: number }> {
  const secret = createKeySecret();
  await store.createKey({ name: 'bench', hash: secret.hash, prefix: secret.prefix });
  const cache = new KeyCache(store, { ttlMs: 3_600_000 });
  await cache.lookup(secret.hash);
  const hit = await nanosecondsPerCall(1_000_000, () => cache.lookup(secret.hash));
  const hashAndHit = await nanosecondsPerCall(1_000_000, () => cache.lookup(hashKeySecret(secret.key)));
  if (cache.stats.reads !== 1) throw new Error('the cache read the store more than once');
  cache.close();
  return { hit, hashAndHit };
}

const folder = await mkdtemp(join(tmpdir(), 'llm-gateway-bench-store-'));
const schema = `llm_gateway_bench_${randomBytes(6).toString('hex')}`;
const results: { backend: string; writer: WriterFigures; cache: { hit: number; hashAndHit: number } }[] = [];
try {
  const sqlite = await openSqliteStore({ dataDir: folder });
  try {
    results.push({
      backend: 'SQLite (file, WAL)',
      writer: await measureWriter(sqlite),
      cache: await measureKeyCache(sqlite),
    });
  } finally {
    await sqlite.close();
  }
  const postgres = await openPostgresStore({ url: POSTGRES_URL, schema });
  try {
    results.push({
      backend: 'PostgreSQL (127.0.0.1)',
      writer: await measureWriter(postgres),
      cache: await measureKeyCache(postgres),
    });
  } finally {
    await postgres.close();
  }
} finally {
  await rm(folder, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

const format = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits });
console.log(
  `Store figures, ${format(ROWS)} spend rows per backend, batches of 500, Node ${process.version}\n`,
);
console.log(
  '| backend | rows/s written | main thread CPU per row | CPU per row (all threads) | batch of 500 (mean / max) ' +
    '| SpendWriter.add | KeyCache hit | SHA-256 + hit |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { backend, writer, cache } of results) {
  console.log(
    `| ${backend} | ${format(writer.rowsPerSecond)} | ${format(writer.mainThreadMicrosecondsPerRow, 1)} µs ` +
      `| ${format(writer.cpuMicrosecondsPerRow, 1)} µs ` +
      `| ${format(writer.batchMs.mean, 1)} ms / ${format(writer.batchMs.max, 1)} ms ` +
      `| ${format(writer.addMicroseconds, 2)} µs | ${format(cache.hit / 1000, 3)} µs | ${format(cache.hashAndHit / 1000, 3)} µs |`,
  );
}
