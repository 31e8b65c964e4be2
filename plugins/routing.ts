/**
 * The router: resolves the model a request names into an ordered list of deployments (routing
 * entries, capability and context checks, the strategy) and runs the request over it with retries,
 * circuit breakers and failover. The decisions are pure code in src/routing/; this plugin keeps
 * their state (one DeploymentHealth per deployment, round-robin counters) and wires them to the
 * catalog and the provider registry.
 */
import { setTimeout as delay } from 'node:timers/promises';
import fp from 'fastify-plugin';
import { STRATEGIES, type RoutingOptions, type Strategy } from '../schemas/options.js';
import type { Catalog } from '../src/catalog.js';
import { GatewayError } from '../src/errors.js';
import {
  resolvePlan,
  routeNames,
  type Deployment,
  type ModelKind,
  type ProviderLookup,
} from '../src/routing/deployment.js';
import {
  executePlan,
  type Attempt,
  type AttemptRecord,
  type ExecutionResult,
} from '../src/routing/execute.js';
import { DeploymentHealth } from '../src/routing/health.js';
import { unfitReason, type Requirements } from '../src/routing/requirements.js';
import { orderDeployments } from '../src/routing/strategies.js';

export interface PlanRequest {
  requirements?: Requirements;
  /** The x-gateway-strategy header, if sent. */
  strategy?: string | string[];
}

export interface OrderedPlan {
  name: string;
  strategy: Strategy;
  deployments: Deployment[];
}

export interface RouterClock {
  now(): number;
  random(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const systemClock: RouterClock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};

// Deployments named ad hoc (`<provider>/<model>`) are tracked too, up to this many, so clients cannot
// grow the health table without bound.
const MAX_TRACKED_DEPLOYMENTS = 2000;

export class Router {
  readonly #health = new Map<string, DeploymentHealth>();
  readonly #roundRobin = new Map<string, Map<string, number>>();
  readonly #attemptListeners: ((record: AttemptRecord, deployment: Deployment) => void)[] = [];

  constructor(
    readonly catalog: Catalog,
    readonly providers: ProviderLookup,
    readonly routing: RoutingOptions,
    private readonly clock: RouterClock = systemClock,
  ) {}

  /** Called after every upstream attempt (metrics, logs). */
  addAttemptListener(listener: (record: AttemptRecord, deployment: Deployment) => void): void {
    this.#attemptListeners.push(listener);
  }

  health(deployment: Deployment): DeploymentHealth {
    let health = this.#health.get(deployment.deploymentId);
    if (!health) {
      const breaker = this.routing.circuitBreaker;
      health = new DeploymentHealth(
        deployment.deploymentId,
        { ...breaker, smoothing: this.routing.latency.smoothing },
        deployment.model !== undefined,
      );
      if (this.#health.size < MAX_TRACKED_DEPLOYMENTS) this.#health.set(deployment.deploymentId, health);
    }
    return health;
  }

  plan(name: string, kind: ModelKind, request: PlanRequest = {}): OrderedPlan {
    const resolved = resolvePlan(name, kind, this.catalog, this.providers, this.routing);
    const strategy = this.#strategyFor(
      resolved.strategy,
      resolved.allowStrategyHeader,
      request.strategy,
      name,
    );
    const requirements = request.requirements;
    const deployments: Deployment[] = [];
    const refused: string[] = [];
    let roundRobin = this.#roundRobin.get(name);
    if (!roundRobin) {
      roundRobin = new Map();
      if (this.#roundRobin.size < MAX_TRACKED_DEPLOYMENTS) this.#roundRobin.set(name, roundRobin);
    }
    for (const tier of resolved.tiers) {
      const fit = requirements
        ? tier.filter((deployment) => {
            const reason = unfitReason(deployment, requirements);
            if (reason) refused.push(`${deployment.deploymentId}: ${reason}`);
            return reason === undefined;
          })
        : tier;
      deployments.push(
        ...orderDeployments(strategy, fit, {
          health: (deployment) => this.health(deployment),
          estimate: requirements?.estimate ?? { promptTokens: 0, completionTokens: 0 },
          exploration: this.routing.latency.exploration,
          random: this.clock.random,
          roundRobin,
        }),
      );
    }
    if (deployments.length === 0) {
      throw new GatewayError('GW_ERR_ROUTING_NO_CAPABLE_DEPLOYMENT', {
        message: `No deployment of '${name}' can take this request: ${refused.join('; ')}.`,
        param: 'model',
        details: { refused },
      });
    }
    return { name, strategy, deployments };
  }

  execute<T>(
    plan: OrderedPlan,
    attempt: (deployment: Deployment, handle: Attempt) => Promise<T>,
    call: { signal: AbortSignal; deadline: number },
    settings: { selfAborting?: boolean } = {},
  ): Promise<ExecutionResult<T>> {
    return executePlan(plan.deployments, attempt, {
      selfAborting: settings.selfAborting,
      signal: call.signal,
      deadline: call.deadline,
      retries: this.routing.retries,
      health: (deployment) => this.health(deployment),
      now: this.clock.now,
      sleep: this.clock.sleep,
      random: this.clock.random,
      onAttempt: (record, deployment) => {
        if (record.ok) deployment.instance.health.lastSuccessAt = new Date().toISOString();
        else {
          deployment.instance.health.lastError = {
            message: record.error ?? 'unknown error',
            status: record.status,
            at: new Date().toISOString(),
          };
        }
        for (const listener of this.#attemptListeners) listener(record, deployment);
      },
    });
  }

  /** Every deployment the router has seen, with its circuit, latency, error rate and load. */
  deploymentHealth() {
    const now = this.clock.now();
    return [...this.#health.values()].map((health) => health.snapshot(now));
  }

  /** Aliases and groups with at least one usable deployment, with what they map to. */
  routes(kind?: ModelKind) {
    const kinds: ModelKind[] = kind ? [kind] : ['chat', 'embeddings', 'transcription', 'speech'];
    const names = new Set(
      kinds.flatMap((each) => routeNames(this.routing, each, this.catalog, this.providers)),
    );
    return [...names].map((name) => {
      const entry = this.routing.models[name]!;
      return {
        name,
        kind: entry.models ? ('group' as const) : ('alias' as const),
        strategy: entry.strategy ?? this.routing.strategy,
        targets:
          entry.models ?? (entry.deployments ?? []).map((spec) => `${spec.provider}/${spec.model ?? name}`),
        fallbacks: entry.fallbacks ?? [],
        description: entry.description,
      };
    });
  }

  #strategyFor(
    configured: Strategy,
    allowHeader: boolean,
    header: string | string[] | undefined,
    name: string,
  ): Strategy {
    if (header === undefined) return configured;
    const asked = Array.isArray(header) ? header[0] : header;
    if (!asked) return configured;
    if (!(STRATEGIES as readonly string[]).includes(asked)) {
      throw new GatewayError('GW_ERR_ROUTING_STRATEGY_REFUSED', {
        message: `Unknown routing strategy '${asked}' in x-gateway-strategy; use one of ${STRATEGIES.join(', ')}.`,
        param: 'x-gateway-strategy',
      });
    }
    if (!allowHeader) {
      throw new GatewayError('GW_ERR_ROUTING_STRATEGY_REFUSED', {
        message: `The model '${name}' does not let requests choose their routing strategy.`,
        param: 'x-gateway-strategy',
      });
    }
    return asked as Strategy;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    gatewayRouter: Router;
    gatewayCatalog: Catalog;
  }
}

export interface RoutingPluginOptions {
  catalog: Catalog;
  routing: RoutingOptions;
  clock?: RouterClock;
}

export const routingPlugin = fp<RoutingPluginOptions>(
  async (fastify, options) => {
    fastify.decorate('gatewayCatalog', options.catalog);
    fastify.decorate(
      'gatewayRouter',
      new Router(options.catalog, fastify.gatewayProviders, options.routing, options.clock),
    );
  },
  { name: 'llm-gateway-routing', fastify: '5.x', dependencies: ['llm-gateway-providers'] },
);
