/**
 * Metrics: the gateway's figures, kept in a prom-client registry and served by plugins/api/metrics.ts
 * (Prometheus text at GET /metrics, JSON at GET /v1/health/metrics). Labels are bounded: route templates (never raw paths), model names the
 * gateway knows (catalog ids and routing entries; anything else is `other`), provider instances,
 * deployments of known models, status classes. Never keys, never client-chosen strings.
 *
 * The registry is the gateway's own, so an application that embeds the gateway keeps its default
 * registry untouched.
 */
import { performance } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { costOf, pricingOf } from '../src/catalog.js';
import type { Deployment } from '../src/routing/deployment.js';
import type { AttemptRecord } from '../src/routing/execute.js';
import { overheadMs } from './request-state.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const SESSION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** One series of a counter, incremented without touching prom-client until the registry is read. */
export interface CounterSeries {
  inc(value?: number): void;
}

interface HeldSeries extends CounterSeries {
  held: number;
  touched: boolean;
  readonly series: Counter.Internal;
}

/**
 * prom-client hashes a series' label values on every `inc`, bound children included. The counters
 * updated per request keep their increments here instead, one number per series found by a joined
 * string, and hand them to prom-client (one `inc` per series touched) from the counter's `collect`,
 * which prom-client runs before every read: /metrics and the JSON view show the same figures.
 */
const heldSeries = new WeakMap<Counter, Map<string, HeldSeries>>();

export function collectHeld(this: Counter): void {
  const held = heldSeries.get(this);
  if (!held) return;
  for (const entry of held.values()) {
    if (!entry.touched) continue;
    // An increment of 0 still creates the series, as a direct `inc(0)` would.
    entry.series.inc(entry.held);
    entry.held = 0;
    entry.touched = false;
  }
}

/** The series of `counter` for these label values (in the counter's label order), kept for reuse. */
export function counterSeries<T extends string>(counter: Counter<T>): (...values: string[]) => CounterSeries {
  const held = new Map<string, HeldSeries>();
  heldSeries.set(counter as Counter, held);
  return (...values) => {
    const key = values.join('\u0000');
    let found = held.get(key);
    if (!found) {
      const entry: HeldSeries = {
        held: 0,
        touched: false,
        series: counter.labels(...values),
        inc(value = 1) {
          // Refused here, as prom-client's own `inc` refuses it, rather than at the next read.
          if (!Number.isFinite(value) || value < 0) {
            throw new TypeError(`A counter only grows by a finite amount: value was ${value}`);
          }
          entry.held += value;
          entry.touched = true;
        },
      };
      held.set(key, (found = entry));
    }
    return found;
  };
}

/** One series of a histogram, observed without prom-client's per-observation label hashing. */
export interface HistogramSeries {
  observe(value: number): void;
}

/** What prom-client 15 keeps of a histogram's series (lib/histogram.js), and is read from. */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface HistogramInternals {
  hashMap: Record<string, HistogramEntry>;
  upperBounds: number[];
  labelNames: string[];
}

/**
 * The series of `histogram` for these label values (in its label order), kept for reuse. prom-client
 * hashes an observation's labels even through a bound child (`labels(...).observe`); here a series
 * holds prom-client's own record of it, found once, and an observation adds to its bucket, sum and
 * count as prom-client's `observe` would, so /metrics and the JSON view read it unchanged. The
 * record is found again when the histogram was reset (its map replaced). This leans on prom-client's
 * internal record (pinned by the lockfile); test/plugins/metrics-counter-series.test.ts compares the
 * output with prom-client's own observations, so an upgrade that changes it fails there.
 */
export function histogramSeries<T extends string>(
  histogram: Histogram<T>,
): (...values: string[]) => HistogramSeries {
  const internals = histogram as unknown as HistogramInternals;
  const bounds = internals.upperBounds;
  const bucketNames = bounds.map(String);
  const found = new Map<string, HistogramSeries>();
  return (...values) => {
    const name = values.join('\u0000');
    let series = found.get(name);
    if (!series) {
      const labels = Object.fromEntries(internals.labelNames.map((label, index) => [label, values[index]!]));
      let map: Record<string, HistogramEntry> | null = null;
      let entry!: HistogramEntry;
      const recordOf = (): HistogramEntry => {
        if (map !== internals.hashMap) {
          histogram.zero(labels as Partial<Record<T, string>>);
          map = internals.hashMap;
          entry = Object.values(map).find((candidate) => candidate.labels === labels)!;
        }
        return entry;
      };
      series = {
        observe(value) {
          if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
          const record = recordOf();
          record.sum += value;
          record.count += 1;
          for (let index = 0; index < bounds.length; index++) {
            if (value <= bounds[index]!) {
              record.bucketValues[bucketNames[index]!]! += 1;
              break;
            }
          }
        },
      };
      found.set(name, series);
    }
    return series;
  };
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'status_class' | 'model' | 'provider'>;
  readonly requestDuration: Histogram<'route' | 'status_class'>;
  readonly overhead: Histogram<'route'>;
  readonly upstreamDuration: Histogram<'provider' | 'deployment' | 'outcome'>;
  readonly timeToFirstToken: Histogram<'provider' | 'model'>;
  readonly tokens: Counter<'provider' | 'model' | 'kind'>;
  readonly cost: Counter<'provider' | 'model'>;
  readonly cache: Counter<'route' | 'result'>;
  readonly rateLimited: Counter<'route'>;
  readonly attempts: Counter<'provider' | 'deployment' | 'outcome'>;
  readonly retries: Counter<'deployment'>;
  readonly failovers: Counter<'model'>;
  readonly moderations: Counter<'decision'>;
  readonly realtimeSessionsOpened: Counter<'model'>;
  readonly realtimeSessionsActive: Gauge;
  readonly realtimeSessionsClosed: Counter<'model' | 'reason'>;
  readonly realtimeEvents: Counter<'direction'>;
  readonly realtimeSessionDuration: Histogram<'reason'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'llm_gateway_' });
    this.requests = new Counter({
      name: 'llm_gateway_requests_total',
      help: 'Requests answered, by route template, method, status class, model asked and provider that answered',
      labelNames: ['route', 'method', 'status_class', 'model', 'provider'],
      registers,
      collect: collectHeld,
    });
    this.requestDuration = new Histogram({
      name: 'llm_gateway_request_duration_seconds',
      help: 'Time from request to the end of the answer (whole stream included)',
      labelNames: ['route', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.overhead = new Histogram({
      name: 'llm_gateway_overhead_seconds',
      help: 'Time spent in the gateway itself, upstream time excluded (model calls)',
      labelNames: ['route'],
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'llm_gateway_upstream_duration_seconds',
      help: 'Time of each upstream attempt (to the whole answer for unary calls, to the first event for streams)',
      labelNames: ['provider', 'deployment', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'llm_gateway_time_to_first_token_seconds',
      help: 'Time from request to the first streamed event sent to the client',
      labelNames: ['provider', 'model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: 'llm_gateway_tokens_total',
      help: 'Tokens reported by providers, by kind: prompt, completion, reasoning (part of completion), cached (part of prompt)',
      labelNames: ['provider', 'model', 'kind'],
      registers,
      collect: collectHeld,
    });
    this.cost = new Counter({
      name: 'llm_gateway_cost_usd_total',
      help: 'Cost at the catalog prices, in US dollars',
      labelNames: ['provider', 'model'],
      registers,
      collect: collectHeld,
    });
    this.cache = new Counter({
      name: 'llm_gateway_cache_requests_total',
      help: 'Cacheable requests by cache result: hit, miss, bypass',
      labelNames: ['route', 'result'],
      registers,
      collect: collectHeld,
    });
    this.rateLimited = new Counter({
      name: 'llm_gateway_rate_limited_total',
      help: 'Requests refused with 429 by the gateway (rate limits, budgets)',
      labelNames: ['route'],
      registers,
      collect: collectHeld,
    });
    this.attempts = new Counter({
      name: 'llm_gateway_upstream_attempts_total',
      help: 'Upstream attempts by outcome: success or failure',
      labelNames: ['provider', 'deployment', 'outcome'],
      registers,
      collect: collectHeld,
    });
    this.retries = new Counter({
      name: 'llm_gateway_retries_total',
      help: 'Attempts that retried the same deployment',
      labelNames: ['deployment'],
      registers,
      collect: collectHeld,
    });
    this.failovers = new Counter({
      name: 'llm_gateway_failovers_total',
      help: 'Requests answered by another deployment than the first tried',
      labelNames: ['model'],
      registers,
      collect: collectHeld,
    });
    this.moderations = new Counter({
      name: 'llm_gateway_moderation_decisions_total',
      help: "Chat inputs checked by the gateway's moderation, by decision: passed, flagged, failed",
      labelNames: ['decision'],
      registers,
    });
    this.realtimeSessionsOpened = new Counter({
      name: 'llm_gateway_realtime_sessions_opened_total',
      help: 'Realtime sessions opened (the provider accepted, the client upgraded), by model asked',
      labelNames: ['model'],
      registers,
    });
    this.realtimeSessionsActive = new Gauge({
      name: 'llm_gateway_realtime_sessions_active',
      help: 'Realtime sessions open now',
      registers,
    });
    this.realtimeSessionsClosed = new Counter({
      name: 'llm_gateway_realtime_sessions_closed_total',
      help: 'Realtime sessions ended, by reason: client_closed, upstream_closed, max_duration, buffer_limit, shutdown',
      labelNames: ['model', 'reason'],
      registers,
    });
    this.realtimeEvents = new Counter({
      name: 'llm_gateway_realtime_events_total',
      help: 'Realtime events relayed, by direction: client_to_upstream, upstream_to_client',
      labelNames: ['direction'],
      registers,
    });
    this.realtimeSessionDuration = new Histogram({
      name: 'llm_gateway_realtime_session_duration_seconds',
      help: 'Length of realtime sessions, by the reason they ended',
      labelNames: ['reason'],
      buckets: SESSION_BUCKETS,
      registers,
    });
  }

  /** Gauges read at scrape time from live state. */
  addGauge(name: string, help: string, labelNames: string[], collect: (gauge: Gauge) => void): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        collect(this);
      },
    });
  }
}

/** A deployment label that stays bounded: catalog-backed deployments by id, others by instance. */
export function deploymentLabel(deployment: Deployment): string {
  return deployment.model ? deployment.deploymentId : `${deployment.instance.id}/other`;
}

declare module 'fastify' {
  interface FastifyInstance {
    gatewayMetrics: GatewayMetrics;
  }
}

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

export const metricsPlugin = fp(
  async (fastify) => {
    const metrics = new GatewayMetrics();
    fastify.decorate('gatewayMetrics', metrics);
    const router = fastify.gatewayRouter;
    const knownModels = new Set([
      ...fastify.gatewayCatalog.list().map((model) => model.id),
      ...Object.keys(router.routing.models),
    ]);
    const modelLabel = (name: string | null) =>
      name === null ? 'none' : knownModels.has(name) ? name : 'other';

    metrics.addGauge('llm_gateway_requests_in_flight', 'Model calls being served now', [], (gauge) =>
      gauge.set(fastify.gatewayInFlight()),
    );
    metrics.addGauge(
      'llm_gateway_usage_records_held',
      'Usage records held in memory while Redis is unreachable, to be written when it is back',
      [],
      (gauge) => gauge.set(fastify.gatewayUsageBuffer().held),
    );
    new Counter({
      name: 'llm_gateway_usage_records_dropped_total',
      help: 'Usage records lost: held past USAGE_MAX_HELD_RECORDS, refused by Redis, or held at shutdown',
      registers: [metrics.registry],
      collect() {
        this.reset();
        this.inc(fastify.gatewayUsageBuffer().dropped);
      },
    });
    metrics.addGauge(
      'llm_gateway_circuit_state',
      'Circuit of each catalog deployment the router has used: 0 closed, 1 half-open, 2 open',
      ['deployment'],
      (gauge) => {
        for (const deployment of router.deploymentHealth()) {
          // Ad hoc <provider>/<model> deployments are named by clients: not a bounded label.
          if (deployment.known) gauge.set({ deployment: deployment.id }, CIRCUIT_VALUE[deployment.circuit]);
        }
      },
    );

    // Series found once by one joined string: counters held until read (`counterSeries`),
    // histograms written to prom-client's record directly (`histogramSeries`).
    const attempts = counterSeries(metrics.attempts);
    const upstreamDuration = histogramSeries(metrics.upstreamDuration);
    const retries = counterSeries(metrics.retries);
    const requests = counterSeries(metrics.requests);
    const requestDuration = histogramSeries(metrics.requestDuration);
    const overhead = histogramSeries(metrics.overhead);
    const cache = counterSeries(metrics.cache);
    const rateLimited = counterSeries(metrics.rateLimited);
    const failovers = counterSeries(metrics.failovers);
    const timeToFirstToken = histogramSeries(metrics.timeToFirstToken);
    const tokens = counterSeries(metrics.tokens);
    const cost = counterSeries(metrics.cost);

    router.addAttemptListener((record: AttemptRecord, deployment: Deployment) => {
      const provider = deployment.instance.id;
      const label = deploymentLabel(deployment);
      const outcome = record.ok ? 'success' : 'failure';
      attempts(provider, label, outcome).inc();
      upstreamDuration(provider, label, outcome).observe(record.durationMs / 1000);
      if (record.retry) retries(label).inc();
    });

    fastify.gatewayOnRequestEnd((request, end) => {
      const state = request.gateway;
      const route = request.routeOptions.url ?? 'not_found';
      const status = end.status;
      const statusClass = STATUS_CLASSES[Math.floor(status / 100)] ?? 'other';
      const model = modelLabel(state.model);
      const provider = state.provider ?? 'none';
      requests(route, request.method, statusClass, model, provider).inc();
      requestDuration(route, statusClass).observe((performance.now() - state.startedAt) / 1000);
      if (state.model !== null) overhead(route).observe(overheadMs(state) / 1000);
      if (state.cache) cache(route, state.cache.toLowerCase()).inc();
      if (status === 429 && state.errorCode !== 'GW_ERR_UPSTREAM_ERROR') rateLimited(route).inc();
      if (state.attempts > 1 && state.deployment && status < 400) failovers(model).inc();
      if (state.moderation) metrics.moderations.labels(state.moderation.decision).inc();
      if (state.timeToFirstByteMs !== null)
        timeToFirstToken(provider, model).observe(state.timeToFirstByteMs / 1000);
      const usage = state.usage;
      if (usage) {
        tokens(provider, model, 'prompt').inc(usage.promptTokens);
        tokens(provider, model, 'completion').inc(usage.completionTokens);
        if (usage.reasoningTokens) tokens(provider, model, 'reasoning').inc(usage.reasoningTokens);
        if (usage.cachedTokens) tokens(provider, model, 'cached').inc(usage.cachedTokens);
        const usd = costOf(pricingOf(state.deployment), usage);
        if (usd > 0) cost(provider, model).inc(usd);
      }
    });
  },
  {
    name: 'llm-gateway-metrics',
    fastify: '5.x',
    dependencies: ['llm-gateway-routing', 'llm-gateway-request-state', 'llm-gateway-usage'],
  },
);
