/**
 * `npm run bench:semantic`: what the semantic cache can be trusted with, and what it costs.
 *
 * - **Hits and wrong hits by threshold.** The labelled question pairs of
 *   test/fixtures/semantic-pairs.jsonl (same meaning, or different: near misses such as the same
 *   question about two cities or two products, and unrelated questions) are embedded through a
 *   gateway's POST /v1/embeddings with the embedding model under test; for each threshold, the hit
 *   rate is the share of same-meaning pairs at or above it (a paraphrase answered from the cache)
 *   and the wrong-hit rate the share of different-meaning pairs at or above it (a question answered
 *   with another's answer). By default the model is a deterministic hashed n-gram embedding
 *   (bench/hashed-embedding.ts) served by a loopback fake through a gateway started here; with
 *   `--gateway URL --key KEY --model NAME` it is any model a running gateway serves.
 * - **Lookup cost.** One search of a partition of 10,000 and 100,000 entries (unit vectors of
 *   `--dimensions`, 256 by default): in memory (MemorySemanticStore), and in Redis
 *   (RedisSemanticStore, on a redis-server started for the run, or `--redis URL`) with the
 *   partition read from Redis (cold) or from the replica's short-lived copy (warm, one GET).
 *
 * Prints Markdown. Timings vary with the machine and its load; compare runs on one machine.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { buildServer } from '../src/server.js';
import { PACKAGE_ROOT } from '../src/package-root.js';
import {
  encodeSemanticItem,
  RedisSemanticStore,
  semanticListKey,
} from '../src/cache/semantic/redis-semantic-store.js';
import { MemorySemanticStore } from '../src/cache/semantic/semantic-store.js';
import { cosineOfUnitVectors, normalizeVector } from '../src/cache/semantic/vectors.js';
import { PrivateRedisServer } from '../test/helpers/redis-server.js';
import { hashedEmbedding } from './hashed-embedding.js';

export const THRESHOLDS = [0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99];

export interface LabelledPair {
  a: string;
  b: string;
  same: boolean;
  kind: 'paraphrase' | 'near-miss' | 'unrelated';
}

export function readPairs(): LabelledPair[] {
  return readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'semantic-pairs.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LabelledPair);
}

export interface ThresholdFigures {
  threshold: number;
  hitRate: number;
  wrongHitRate: number;
  nearMissWrongHitRate: number;
}

/** Hit and wrong-hit rates at each threshold, from each pair's cosine similarity. */
export function rateThresholds(
  pairs: readonly LabelledPair[],
  similarities: readonly number[],
  thresholds = THRESHOLDS,
): ThresholdFigures[] {
  const share = (filter: (pair: LabelledPair) => boolean, threshold: number) => {
    let total = 0;
    let above = 0;
    pairs.forEach((pair, index) => {
      if (!filter(pair)) return;
      total++;
      if (similarities[index]! >= threshold) above++;
    });
    return total === 0 ? 0 : above / total;
  };
  return thresholds.map((threshold) => ({
    threshold,
    hitRate: share((pair) => pair.same, threshold),
    wrongHitRate: share((pair) => !pair.same, threshold),
    nearMissWrongHitRate: share((pair) => pair.kind === 'near-miss', threshold),
  }));
}

/** A loopback OpenAI-style embeddings server answering with the hashed embedding. */
async function startHashedEmbeddingServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        input: string | string[];
        model: string;
      };
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      const tokens = inputs.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          object: 'list',
          data: inputs.map((text, index) => ({
            object: 'embedding',
            index,
            embedding: hashedEmbedding(text),
          })),
          model: body.model,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function embedThroughGateway(
  url: string,
  key: string,
  model: string,
  texts: string[],
): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += 100) {
    const batch = texts.slice(start, start + 100);
    const response = await fetch(`${url.replace(/\/$/, '')}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, input: batch, encoding_format: 'float' }),
    });
    if (!response.ok) throw new Error(`embeddings answered ${response.status}: ${await response.text()}`);
    const answer = (await response.json()) as { data: { index: number; embedding: number[] }[] };
    for (const item of answer.data.sort((left, right) => left.index - right.index))
      vectors.push(normalizeVector(item.embedding)!);
  }
  return vectors;
}

function randomUnitVector(dimensions: number): Float32Array {
  const values = Array.from({ length: dimensions }, () => Math.random() * 2 - 1);
  return normalizeVector(values)!;
}

interface Timing {
  meanMs: number;
  p95Ms: number;
  /** CPU time of this process per run: steadier than the wall clock on a shared machine. */
  cpuMs: number;
}

async function time(runs: number, run: () => Promise<unknown>): Promise<Timing> {
  await run();
  const durations: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let index = 0; index < runs; index++) {
    const started = performance.now();
    await run();
    durations.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  durations.sort((left, right) => left - right);
  return {
    cpuMs: (cpu.user + cpu.system) / 1000 / runs,
    meanMs: durations.reduce((sum, value) => sum + value, 0) / durations.length,
    p95Ms: durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.95))]!,
  };
}

async function measureMemory(entries: number, dimensions: number, runs: number): Promise<Timing> {
  const store = new MemorySemanticStore({
    maxEntries: entries,
    maxBytes: entries * (dimensions * 4 + 200) + 1e6,
  });
  for (let index = 0; index < entries; index++)
    await store.add('p', randomUnitVector(dimensions), `answer ${index}`, 3600);
  const query = randomUnitVector(dimensions);
  // A threshold of -1: the best entry always answers, so the search's whole cost is measured.
  return time(runs, () => store.search('p', query, -1));
}

async function measureRedis(
  client: Redis,
  entries: number,
  dimensions: number,
  runs: number,
): Promise<{ cold: Timing; warm: Timing; bytes: number }> {
  const partition = `bench-${entries}`;
  const expiresAt = Date.now() + 3_600_000;
  await client.del(semanticListKey(partition));
  for (let start = 0; start < entries; start += 1000) {
    const pipeline = client.pipeline();
    for (let index = start; index < Math.min(entries, start + 1000); index++) {
      const id = Buffer.from(randomUUID().replaceAll('-', ''), 'hex');
      pipeline.rpush(
        semanticListKey(partition),
        encodeSemanticItem(id, expiresAt, randomUnitVector(dimensions)),
      );
      pipeline.set(`semantic-answer:${id.toString('hex')}`, `answer ${index}`, 'EX', 3600);
    }
    await pipeline.exec();
  }
  const bytes = Number(await client.memory('USAGE', semanticListKey(partition)));
  const connection = { client, available: true };
  const query = randomUnitVector(dimensions);
  const cold = new RedisSemanticStore(connection, { partitionMaxEntries: entries, partitionCacheMs: 0 });
  const warm = new RedisSemanticStore(connection, {
    partitionMaxEntries: entries,
    partitionCacheMs: 3_600_000,
  });
  const coldTiming = await time(Math.max(3, Math.floor(runs / 10)), () => cold.search(partition, query, -1));
  const warmTiming = await time(runs, () => warm.search(partition, query, -1));
  return { cold: coldTiming, warm: warmTiming, bytes };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const ms = (timing: Timing) =>
  `${timing.meanMs.toFixed(1)} / ${timing.p95Ms.toFixed(1)} (CPU ${timing.cpuMs.toFixed(1)})`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      gateway: { type: 'string' },
      key: { type: 'string' },
      model: { type: 'string' },
      redis: { type: 'string' },
      dimensions: { type: 'string', default: '256' },
      entries: { type: 'string', default: '10000,100000' },
      runs: { type: 'string', default: '50' },
    },
  });
  const pairs = readPairs();
  const texts = [...new Set(pairs.flatMap((pair) => [pair.a, pair.b]))];

  let url = values.gateway;
  let key = values.key ?? '';
  const model = values.model ?? 'openai/hashed-ngrams-256';
  const cleanup: (() => Promise<void>)[] = [];
  if (!url) {
    const embedder = await startHashedEmbeddingServer();
    cleanup.push(() => new Promise((resolve) => embedder.server.close(() => resolve())));
    key = 'bench-semantic-key';
    const config = loadConfig({
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        GATEWAY_API_KEYS: key,
        OPENAI_API_KEY: 'sk-bench',
        OPENAI_BASE_URL: `${embedder.origin}/v1`,
        RATE_LIMITING_ENABLED: 'false',
      },
      configDirectory: join(PACKAGE_ROOT, 'config'),
    });
    const app = await buildServer(config);
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => app.close());
  }
  const vectors = await embedThroughGateway(url, key, model, texts);
  const byText = new Map(texts.map((text, index) => [text, vectors[index]!]));
  const similarities = pairs.map((pair) => cosineOfUnitVectors(byText.get(pair.a)!, byText.get(pair.b)!));
  const figures = rateThresholds(pairs, similarities);
  const same = pairs.filter((pair) => pair.same).length;
  const nearMisses = pairs.filter((pair) => pair.kind === 'near-miss').length;

  const lines: string[] = [];
  lines.push(`## Semantic cache: hits and wrong hits by threshold (${model})`, '');
  lines.push(
    `${pairs.length} labelled pairs: ${same} with the same meaning, ${pairs.length - same} different ` +
      `(${nearMisses} near misses).${values.gateway ? '' : ' Embedding: the deterministic hashed n-gram embedding (bench/hashed-embedding.ts) behind a loopback fake, not a real model.'}`,
    '',
  );
  lines.push(
    '| threshold | hit rate (same meaning) | wrong-hit rate (different) | wrong hits among near misses |',
  );
  lines.push('| --: | --: | --: | --: |');
  for (const row of figures)
    lines.push(
      `| ${row.threshold.toFixed(2)} | ${percent(row.hitRate)} | ${percent(row.wrongHitRate)} | ${percent(row.nearMissWrongHitRate)} |`,
    );

  const dimensions = Number(values.dimensions);
  const runs = Number(values.runs);
  const sizes = values.entries.split(',').map(Number);
  let redisUrl = values.redis;
  if (!redisUrl) {
    const server = await new PrivateRedisServer().start();
    cleanup.push(() => server.stop());
    redisUrl = server.url;
  }
  const prefix = `bench-semantic:${randomUUID()}:`;
  const client = new Redis(redisUrl, { keyPrefix: prefix });
  cleanup.push(async () => {
    const keys = await client.keys(`${prefix}*`);
    for (let start = 0; start < keys.length; start += 1000)
      await client.del(...keys.slice(start, start + 1000).map((name) => name.slice(prefix.length)));
    await client.quit();
  });
  lines.push(
    '',
    `## Semantic cache: one lookup in a partition (${dimensions} dimensions), wall mean / p95 ms (CPU ms of the gateway's process)`,
    '',
  );
  lines.push(
    '| entries in the partition | memory | Redis, partition read (cold) | Redis, partition held (warm: one GET) | partition size in Redis |',
  );
  lines.push('| --: | --: | --: | --: | --: |');
  for (const entries of sizes) {
    const memory = await measureMemory(entries, dimensions, runs);
    const redis = await measureRedis(client, entries, dimensions, runs);
    lines.push(
      `| ${entries.toLocaleString('en-US')} | ${ms(memory)} | ${ms(redis.cold)} | ${ms(redis.warm)} | ${(redis.bytes / 1048576).toFixed(1)} MiB |`,
    );
  }
  for (const step of cleanup.reverse()) await step();
  process.stdout.write(`${lines.join('\n')}\n`);
}

const invokedDirectly = process.argv[1]?.endsWith('measure-semantic.ts');
if (invokedDirectly) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:semantic: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
