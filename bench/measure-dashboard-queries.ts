/**
 * `npm run bench:dashboard [-- --rows 1000000]`: how long the store takes to answer what each page
 * of the dashboard asks (docs/dashboard.md), over a SQLite store seeded with that many spend rows
 * spread over the last 30 days (200 keys, 10 teams, 6 models, 3 providers, 1 in 20 calls failed).
 *
 * Each query runs five times; the table gives the median and the slowest, in milliseconds. Figures
 * vary with the machine and its load; compare runs on one machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { SpendEntry, Store } from '../src/store/store.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const ROWS = Number(values.rows);
const DAY = 86_400_000;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'gemini-2.5-flash', 'gemini-2.5-pro', 'claude-sonnet-4-5', 'o3'];
const PROVIDERS = ['openai', 'openai', 'gemini', 'gemini', 'anthropic', 'openai'];

function spendEntry(index: number, now: number): SpendEntry {
  const model = index % MODELS.length;
  const failed = index % 20 === 0;
  return {
    id: randomUUID(),
    // Spread evenly over 30 days, the newest now.
    at: new Date(now - (((index * 2_591_999_000) / ROWS) % (30 * DAY))),
    requestId: `req_${index}`,
    keyId: `key_${index % 200}`,
    teamId: `team_${index % 10}`,
    route: '/v1/chat/completions',
    requestedModel: MODELS[model]!,
    model: MODELS[model]!,
    provider: PROVIDERS[model]!,
    deployment: `${PROVIDERS[model]}/${MODELS[model]}`,
    promptTokens: 1200,
    completionTokens: failed ? 0 : 300,
    reasoningTokens: 0,
    cachedTokens: index % 4 === 0 ? 512 : 0,
    cacheWriteTokens: 0,
    costUsd: failed ? 0 : 0.0042,
    latencyMs: 200 + (index % 900),
    overheadMs: 1 + (index % 5),
    status: failed ? 502 : 200,
    cacheResult: index % 10 === 0 ? 'hit' : 'miss',
    outcome: failed ? 'upstream_error' : 'completed',
    estimated: false,
  };
}

async function seed(store: Store): Promise<number> {
  const started = performance.now();
  const now = Date.now();
  const batch = 5000;
  for (let first = 0; first < ROWS; first += batch) {
    const entries: SpendEntry[] = [];
    for (let index = first; index < Math.min(ROWS, first + batch); index++)
      entries.push(spendEntry(index, now));
    await store.writeSpend(entries);
  }
  return (performance.now() - started) / 1000;
}

function day(offsetDays: number): string {
  return new Date(Date.now() - offsetDays * DAY).toISOString().slice(0, 10);
}

async function time(run: () => Promise<unknown>): Promise<{ median: number; slowest: number }> {
  const durations: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    await run();
    durations.push(performance.now() - started);
  }
  durations.sort((left, right) => left - right);
  return { median: durations[2]!, slowest: durations[4]! };
}

const folder = await mkdtemp(join(tmpdir(), 'gateway-dashboard-bench-'));
const store = await openSqliteStore({ dataDir: folder });
try {
  const seconds = await seed(store);
  const lastHour = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
  const lastDay = { from: new Date(Date.now() - DAY).toISOString(), to: new Date().toISOString() };
  const month = { from: day(29), to: day(0) };
  const week = { from: day(6), to: day(0) };
  const queries: [string, string, () => Promise<unknown>][] = [
    ['Overview, 30 days', 'summary by day', () => store.summarizeSpend({ ...month, groupBy: ['day'] })],
    [
      'Overview, 30 days',
      'summary by model',
      () => store.summarizeSpend({ ...month, groupBy: ['model'], durations: false }),
    ],
    [
      'Overview, 30 days',
      'summary by provider',
      () => store.summarizeSpend({ ...month, groupBy: ['provider'], durations: false }),
    ],
    [
      'Overview, 30 days',
      'summary by key',
      () => store.summarizeSpend({ ...month, groupBy: ['key'], durations: false }),
    ],
    [
      'Overview, 30 days',
      'summary by team',
      () => store.summarizeSpend({ ...month, groupBy: ['team'], durations: false }),
    ],
    ['Overview, 7 days', 'summary by day', () => store.summarizeSpend({ ...week, groupBy: ['day'] })],
    ...(['hour', 'model', 'provider', 'key', 'team'] as const).map(
      (dimension): [string, string, () => Promise<unknown>] => [
        'Overview, last 24 hours',
        `summary by ${dimension}, hourly`,
        () =>
          store.summarizeSpend({
            ...lastDay,
            grain: 'hour',
            groupBy: [dimension],
            durations: dimension === 'hour',
          }),
      ],
    ),
    ...(['hour', 'model', 'provider', 'key', 'team'] as const).map(
      (dimension): [string, string, () => Promise<unknown>] => [
        'Overview, last hour',
        `summary by ${dimension}, hourly`,
        () =>
          store.summarizeSpend({
            ...lastHour,
            grain: 'hour',
            groupBy: [dimension],
            durations: dimension === 'hour',
          }),
      ],
    ),
    [
      'Keys',
      'summary by key, this month',
      () =>
        store.summarizeSpend({
          from: day(0).slice(0, 8) + '01',
          to: day(0),
          groupBy: ['key'],
          durations: false,
        }),
    ],
    ['Requests', 'log, 50 newest', () => store.listSpend({ limit: 50 })],
    ['Requests', 'log of one key, 50', () => store.listSpend({ keyId: 'key_7', limit: 50 })],
    ['Requests', 'log of status 502, 50', () => store.listSpend({ status: 502, limit: 50 })],
    ['Requests', 'log of one model, 50', () => store.listSpend({ model: 'o3', limit: 50 })],
    ['Requests', 'one request id', () => store.listSpend({ requestId: `req_${Math.floor(ROWS / 2)}` })],
  ];
  console.log(`${ROWS.toLocaleString('en-US')} spend rows in SQLite, seeded in ${seconds.toFixed(1)} s\n`);
  console.log('| Page | Query | Median (ms) | Slowest of 5 (ms) |');
  console.log('| ---- | ----- | ----------: | ----------------: |');
  for (const [page, query, run] of queries) {
    const { median, slowest } = await time(run);
    console.log(`| ${page} | ${query} | ${median.toFixed(1)} | ${slowest.toFixed(1)} |`);
  }
} finally {
  await store.close();
  await rm(folder, { recursive: true, force: true });
}
