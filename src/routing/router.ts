/**
 * The router: resolves the model a request names into an ordered list of deployments (routing
 * entries, what each deployment's adapter serves, capability and context checks, the strategy) and
 * runs the request over it with retries, circuit breakers and failover, streams included (a stream
 * fails over until its first event). The decisions are pure code beside it in src/routing/; the
 * Router keeps their state: one DeploymentHealth per deployment and round-robin counters.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { STRATEGIES, type RoutingOptions, type Strategy } from '../../schemas/options.js';
import { hasCapability, type Catalog } from '../catalog.js';
import { GatewayError } from '../errors.js';
import type { ProviderAdapter } from '../provider.js';
import {
  resolvePlan,
  routeNames,
  type Deployment,
  type ModelKind,
  type ProviderLookup,
} from './deployment.js';
import {
  executePlan,
  type Attempt,
  type AttemptObserver,
  type AttemptRecord,
  type ExecutionResult,
} from './execute.js';
import { DeploymentHealth } from './health.js';
import { unfitReason, type Requirements } from './requirements.js';
import { orderDeployments } from './strategies.js';
import { UpstreamFailure } from '../upstream.js';

/** What a request asks of a model: the endpoint it came in by, in the router's terms. */
export type Operation =
  | 'chat'
  | 'embeddings'
  | 'transcription'
  | 'translation'
  | 'speech'
  | 'responses'
  | 'moderation'
  | 'image'
  | 'imageEdit'
  | 'imageVariation'
  | 'realtime'
  | 'realtime_secret';

/** The catalog type a model must have (or serve) for an operation. */
const KIND_OF: Record<Operation, ModelKind> = {
  chat: 'chat',
  embeddings: 'embeddings',
  transcription: 'transcription',
  translation: 'transcription',
  speech: 'speech',
  responses: 'chat',
  moderation: 'moderation',
  image: 'image',
  imageEdit: 'image',
  imageVariation: 'image',
  realtime: 'realtime',
  realtime_secret: 'realtime',
};

const LABEL_OF: Record<Operation, string> = {
  chat: 'chat completions',
  embeddings: 'embeddings',
  transcription: 'audio transcriptions',
  translation: 'audio translations',
  speech: 'speech',
  responses: 'the Responses API',
  moderation: 'moderations',
  image: 'image generation',
  imageEdit: 'image edits',
  imageVariation: 'image variations',
  realtime: 'realtime sessions',
  realtime_secret: 'realtime client secrets',
};

/** Whether an adapter has the method an operation needs. */
export function adapterServes(adapter: ProviderAdapter, operation: Operation): boolean {
  switch (operation) {
    case 'chat':
      return true;
    case 'embeddings':
      return adapter.embeddings !== undefined;
    case 'transcription':
      return adapter.transcribe !== undefined;
    case 'translation':
      return adapter.translate !== undefined;
    case 'speech':
      return adapter.speech !== undefined;
    case 'responses':
      return adapter.responses !== undefined && adapter.responsesStream !== undefined;
    case 'moderation':
      return adapter.moderations !== undefined;
    case 'image':
      return adapter.images !== undefined;
    case 'imageEdit':
      return adapter.imageEdits !== undefined;
    case 'imageVariation':
      return adapter.imageVariations !== undefined;
    case 'realtime':
      return adapter.realtime !== undefined;
    case 'realtime_secret':
      return adapter.realtimeSecret !== undefined;
  }
}

/** A stream whose first event is late: the attempt is abandoned and the next deployment tried. */
export class FirstByteTimeout extends Error {
  override name = 'FirstByteTimeout';
}

/** A stream that has started: its first event (already pulled) and the rest. */
export interface StreamStart<E> {
  readonly first: IteratorResult<E>;
  readonly iterator: AsyncIterator<E>;
}

export interface PlanRequest {
  requirements?: Requirements;
  /** The x-gateway-strategy header, if sent. */
  strategy?: string | string[];
}

export interface OrderedPlan {
  name: string;
  strategy: Strategy;
  deployments: Deployment[];
  /** What the plan was made for (traces name their spans by it). */
  operation?: Operation;
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

  plan(name: string, operation: Operation, request: PlanRequest = {}): OrderedPlan {
    const resolved = resolvePlan(name, KIND_OF[operation], this.catalog, this.providers, this.routing);
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
    const notServing = new Set<string>();
    for (const tier of resolved.tiers) {
      const fit = tier.filter((deployment) => {
        if (!adapterServes(deployment.instance.adapter, operation)) {
          notServing.add(deployment.instance.id);
          refused.push(
            `${deployment.deploymentId}: ${deployment.instance.id} does not serve ${LABEL_OF[operation]}`,
          );
          return false;
        }
        const reason = requirements ? unfitReason(deployment, requirements) : undefined;
        if (reason) refused.push(`${deployment.deploymentId}: ${reason}`);
        return reason === undefined;
      });
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
    if (deployments.length === 0 && notServing.size === refused.length) {
      throw new GatewayError('GW_ERR_MODEL_WRONG_TYPE', {
        message:
          `The model '${name}' is served by ${[...notServing].map((id) => `'${id}'`).join(', ')}, ` +
          `which does not serve ${LABEL_OF[operation]}.`,
        param: 'model',
      });
    }
    if (deployments.length === 0) {
      throw new GatewayError('GW_ERR_ROUTING_NO_CAPABLE_DEPLOYMENT', {
        message: `No deployment of '${name}' can take this request: ${refused.join('; ')}.`,
        param: 'model',
        details: { refused },
      });
    }
    return { name, strategy, deployments, operation };
  }

  execute<T>(
    plan: OrderedPlan,
    attempt: (deployment: Deployment, handle: Attempt) => Promise<T>,
    call: { signal: AbortSignal; deadline: number },
    settings: { selfAborting?: boolean; isolated?: boolean; observer?: AttemptObserver } = {},
  ): Promise<ExecutionResult<T>> {
    return executePlan(plan.deployments, attempt, {
      selfAborting: settings.selfAborting,
      isolated: settings.isolated,
      observer: settings.observer,
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

  /**
   * Runs a stream over the plan: an attempt opens the stream and pulls its first event, and until
   * that event arrives a failure, or a first event later than `routing.streamFirstByteTimeoutMs`
   * (`reasoningFirstByteTimeoutMs` for reasoning models), abandons the attempt and tries the next
   * deployment (a late first event is not retried on the same deployment). Once it has arrived the stream is the
   * caller's; `release` frees the deployment's slot when the stream is over.
   */
  executeStream<E>(
    plan: OrderedPlan,
    open: (deployment: Deployment, handle: Attempt) => Promise<AsyncIterable<E>>,
    call: { signal: AbortSignal; deadline: number },
    settings: { isolated?: boolean; observer?: AttemptObserver } = {},
  ): Promise<ExecutionResult<StreamStart<E>>> {
    return this.execute(
      plan,
      async (deployment, handle) => {
        const timeoutMs = this.firstByteTimeoutOf(deployment);
        const late =
          timeoutMs > 0
            ? setTimeout(
                () => handle.abort(new FirstByteTimeout(`No first event within ${timeoutMs} ms`)),
                timeoutMs,
              )
            : undefined;
        try {
          const stream = await open(deployment, handle);
          const iterator = stream[Symbol.asyncIterator]();
          try {
            return { first: await iterator.next(), iterator };
          } catch (error) {
            await iterator.return?.().catch(() => {});
            throw error;
          }
        } catch (error) {
          // However the adapter reported the abandoned attempt, it is a timeout of this deployment.
          const reason: unknown = handle.signal.reason;
          if (reason instanceof FirstByteTimeout) {
            // Waiting again on the same deployment would likely be as slow, and would count this
            // request's slowness twice against its circuit: the next deployment is tried instead.
            throw new UpstreamFailure('GW_ERR_UPSTREAM_TIMEOUT', 'timeout', {
              message: reason.message,
              cause: error,
              nextDeployment: true,
            });
          }
          throw error;
        } finally {
          clearTimeout(late);
        }
      },
      call,
      // A stream's attempt abandons itself when its first event is late.
      { selfAborting: true, isolated: settings.isolated, observer: settings.observer },
    );
  }

  /**
   * How long a stream on this deployment may take to send its first event: reasoning models think
   * before they answer, so theirs is `routing.reasoningFirstByteTimeoutMs` (when set and longer).
   */
  firstByteTimeoutOf(deployment: Deployment): number {
    const timeoutMs = this.routing.streamFirstByteTimeoutMs;
    const reasoningMs = this.routing.reasoningFirstByteTimeoutMs;
    if (timeoutMs === 0 || reasoningMs === 0 || !hasCapability(deployment.model, 'reasoning'))
      return timeoutMs;
    return Math.max(timeoutMs, reasoningMs);
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
