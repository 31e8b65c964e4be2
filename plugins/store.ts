/**
 * The store of durable records (src/store/, docs/admin.md): opened at start (a SQLite file under
 * `store.dataDir`, or PostgreSQL when `store.databaseUrl` is set), decorated on the gateway as
 * `gatewayStore` (null when `store.enabled` is false), and closed on shutdown after the spend
 * rows still queued are written.
 *
 * It owns what keeps the store off the request path: the key cache (auth looks keys up through
 * it), the spend writer (one row per model call, queued at the request's end) and the budget
 * ledger (spent figures read at most every two seconds per key or team). Spend rows older than
 * `store.spendRetentionDays` are deleted at start and then hourly; the daily rollups are kept.
 */
import { performance } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayOptions } from '../schemas/options.js';
import { costOf, pricingOf } from '../src/catalog.js';
import type { Identity } from '../src/identity.js';
import { BudgetLedger } from '../src/store/budget-ledger.js';
import { KeyCache, type KeyCacheOptions } from '../src/store/key-cache.js';
import { SpendWriter, type SpendWriterOptions } from '../src/store/spend-writer.js';
import { identityOfKeyMatch } from '../src/store/store-identity.js';
import { statusOfKey, type KeyStatus, type Store } from '../src/store/store.js';
import { overheadMs, type RequestEnd } from './request-state.js';

export type StorePluginOptions = GatewayOptions['store'] & {
  /** Tuning for tests and embedders; the defaults are src/store's. */
  keyCache?: KeyCacheOptions;
  spendWriter?: Omit<SpendWriterOptions, 'onOutage' | 'onRecovery' | 'onRefused'>;
};

/** What a presented key's digest resolves to in the store. */
export type StoreKeyResult = { identity: Identity } | { identity: null; status: KeyStatus | 'unknown' };

export interface GatewayStore {
  readonly store: Store;
  readonly keys: KeyCache;
  readonly spend: SpendWriter;
  readonly budgets: BudgetLedger;
  /** The identity of a store key by the SHA-256 (hex) of its secret, if it may be used now. */
  identify(hash: string): Promise<StoreKeyResult>;
}

declare module 'fastify' {
  interface FastifyInstance {
    gatewayStore: GatewayStore | null;
  }
}

const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;
/** Dropped spend rows are reported at most this often. */
const DROP_WARNING_INTERVAL_MS = 60_000;

export const storePlugin = fp<StorePluginOptions>(
  async (fastify, options) => {
    if (!options.enabled) {
      fastify.decorate('gatewayStore', null);
      return;
    }
    const log = fastify.log.child({ component: 'store' });
    // Loaded only when the store is on, so a gateway without one starts as fast as before.
    const { openStore } = await import('../src/store/open-store.js');
    const store = await openStore({
      databaseUrl: options.databaseUrl || undefined,
      dataDir: options.dataDir,
      postgres: { schema: options.databaseSchema, maxConnections: options.databasePoolSize },
      log,
    });
    const keys = new KeyCache(store, options.keyCache);
    const spend = new SpendWriter(store, {
      maxQueued: options.spendQueueSize,
      ...options.spendWriter,
      onOutage: ({ queued }) =>
        log.warn({ queued }, 'the store does not take spend rows: they wait in memory until it does'),
      onRecovery: ({ dropped, queued, durationMs }) =>
        log[dropped > 0 ? 'warn' : 'info'](
          { dropped, queued, durationMs: Math.round(durationMs) },
          'the store takes spend rows again',
        ),
      onRefused: ({ rows }) => log.warn({ dropped: rows }, 'the store refused spend rows: dropped'),
    });
    const budgets = new BudgetLedger(store);
    log.info(
      { backend: store.backend, schemaVersion: store.schemaVersion },
      store.backend === 'sqlite' ? `store: SQLite under ${options.dataDir}` : 'store: PostgreSQL',
    );

    const gatewayStore: GatewayStore = {
      store,
      keys,
      spend,
      budgets,
      async identify(hash) {
        const match = await keys.lookup(hash);
        if (match === null) return { identity: null, status: 'unknown' };
        const status = statusOfKey(match, new Date());
        if (status !== 'active') return { identity: null, status };
        return { identity: identityOfKeyMatch(match) };
      },
    };
    fastify.decorate('gatewayStore', gatewayStore);

    let droppedReported = 0;
    let dropWarnedAt = -Infinity;
    fastify.gatewayOnRequestEnd((request, end) => {
      const state = request.gateway;
      // A row per model call: a request that never named a model (refused before it) is no call.
      if (state.model === null) return;
      const now = performance.now();
      const costUsd = state.usage ? costOf(pricingOf(state.deployment), state.usage) : 0;
      spend.add(spendEntryOf(request, end, now, costUsd));
      const identity = state.identity;
      if (identity?.kind === 'store' && costUsd > 0) {
        const at = new Date();
        budgets.add({ keyId: identity.id }, costUsd, at);
        if (identity.teamId !== null) budgets.add({ teamId: identity.teamId }, costUsd, at);
      }
      const dropped = spend.counters.dropped;
      if (dropped > droppedReported && now - dropWarnedAt > DROP_WARNING_INTERVAL_MS) {
        dropWarnedAt = now;
        log.warn(
          { dropped: dropped - droppedReported, queued: spend.counters.queued },
          'spend rows dropped: the queue for the store is full',
        );
        droppedReported = dropped;
      }
    });

    addStoreMetrics(fastify, spend);

    const deleteOldRows = () => {
      const cutoff = new Date(Date.now() - options.spendRetentionDays * DAY_MS);
      store.deleteSpendBefore(cutoff).then(
        (deleted) => {
          if (deleted > 0) log.info({ deleted, before: cutoff.toISOString() }, 'old spend rows deleted');
        },
        (error: unknown) => log.warn({ err: error }, 'old spend rows not deleted'),
      );
    };
    const retention = setInterval(deleteOldRows, RETENTION_INTERVAL_MS);
    retention.unref();
    fastify.addHook('onReady', async () => deleteOldRows());

    fastify.addHook('onClose', async () => {
      clearInterval(retention);
      const counters = await spend.close();
      if (counters.dropped > 0) log.warn({ dropped: counters.dropped }, 'spend rows lost since start');
      keys.close();
      await store.close();
    });
  },
  {
    name: 'llm-gateway-store',
    fastify: '5.x',
    dependencies: ['llm-gateway-request-state'],
  },
);

function spendEntryOf(request: FastifyRequest, end: RequestEnd, now: number, costUsd: number) {
  const state = request.gateway;
  const usage = state.usage;
  const latencyMs = now - state.startedAt;
  return {
    at: new Date(performance.timeOrigin + state.startedAt),
    requestId: request.id,
    keyId: state.identity?.id ?? null,
    teamId: state.identity?.teamId ?? null,
    route: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
    requestedModel: state.model,
    model: state.deployment?.model?.id ?? state.answeredModel,
    provider: state.provider,
    deployment: state.deploymentId,
    promptTokens: usage?.promptTokens ?? 0,
    completionTokens: usage?.completionTokens ?? 0,
    reasoningTokens: usage?.reasoningTokens ?? 0,
    cachedTokens: usage?.cachedTokens ?? 0,
    cacheWriteTokens: usage?.cacheWriteTokens ?? 0,
    costUsd,
    latencyMs: Math.round(latencyMs * 100) / 100,
    overheadMs: Math.round(overheadMs(state, now) * 100) / 100,
    status: end.status,
    cacheResult: state.cache === null ? null : state.cache.toLowerCase(),
    outcome: end.outcome,
    estimated: usage?.estimated === true,
  };
}

/** The spend writer's counters as gauges, read at scrape time, once the metrics exist. */
function addStoreMetrics(fastify: FastifyInstance, spend: SpendWriter): void {
  fastify.addHook('onReady', async () => {
    if (!fastify.hasDecorator('gatewayMetrics')) return;
    const metrics = fastify.gatewayMetrics;
    metrics.addGauge(
      'llm_gateway_spend_rows_queued',
      'Spend rows waiting to be written to the store',
      [],
      (gauge) => gauge.set(spend.counters.queued),
    );
    metrics.addGauge(
      'llm_gateway_spend_rows_dropped',
      'Spend rows lost since start (the queue was full while the store was down, or the store refused them)',
      [],
      (gauge) => gauge.set(spend.counters.dropped),
    );
    metrics.addGauge(
      'llm_gateway_spend_rows_written',
      'Spend rows written to the store since start',
      [],
      (gauge) => gauge.set(spend.counters.written),
    );
    metrics.addGauge(
      'llm_gateway_store_degraded',
      'Whether the store is failing to take spend rows now (1) or not (0)',
      [],
      (gauge) => gauge.set(spend.degraded ? 1 : 0),
    );
  });
}
