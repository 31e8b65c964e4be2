/**
 * The one call runner every model endpoint goes through: it runs a request over the router's plan
 * (retries, failover, circuit breakers; a stream until its first event), gives each attempt its own
 * warnings so that only the answering attempt's reach the client, records what was tried on the
 * request's state, sets the gateway's headers, and turns a failed execution into the error the
 * client sees.
 *
 * A route supplies only what differs: how one deployment is called.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext } from '../provider.js';
import type { Deployment } from '../routing/deployment.js';
import type { ExecutionResult } from '../routing/execute.js';
import type { OrderedPlan, Router, StreamStart } from '../routing/router.js';
import { pricingOf } from '../catalog.js';
import { GatewayError } from '../errors.js';
import { UpstreamFailure } from '../upstream.js';
import { startCall, type CallHandle } from './call-context.js';
import { recordExecution, setGatewayHeaders, unwrapExecutionError } from './gateway-headers.js';

export interface ModelCallOptions {
  /** REQUEST_TIMEOUT: the whole call's deadline, ms. */
  timeoutMs: number;
  /**
   * The request can be sent once only (an upload still arriving cannot be replayed): one attempt,
   * and a failure that would be retried is final.
   */
  once?: boolean;
  /** A call already started (an upload received before the plan), else one is started here. */
  call?: CallHandle;
}

export interface ModelCallResult<T> {
  readonly value: T;
  /** The call's context and deadline; `dispose` once the answer is complete. */
  readonly call: CallHandle;
  /** Frees the answering deployment's slot; call once the answer is complete (streams included). */
  release(): void;
}

/** An error another attempt would retry, made final: the request it was about cannot be sent again. */
function final(error: unknown): unknown {
  if (!(error instanceof UpstreamFailure) || !error.retryable) return error;
  return new UpstreamFailure(error.gatewayCode, 'mid_stream', {
    status: error.statusCode,
    message: error.message,
    code: error.code,
    param: error.param,
    type: error.type,
    headers: error.headers,
    details: error.details,
    upstreamStatus: error.upstreamStatus,
    retryAfterMs: error.retryAfterMs,
    cause: error,
  });
}

/**
 * A key with a budget is charged by price: it may use only deployments whose price is known (the
 * catalog's, or its instance's default prices), else a model called as `<provider>/<model>` would
 * cost it nothing whatever it spent.
 */
function pricedFor(request: FastifyRequest, plan: OrderedPlan): OrderedPlan {
  const identity = request.gateway.identity;
  if (!identity?.budget && !identity?.teamBudget) return plan;
  const deployments = plan.deployments.filter((deployment) => pricingOf(deployment) !== undefined);
  if (deployments.length === 0) {
    throw new GatewayError('GW_ERR_BUDGET_UNPRICED_MODEL', {
      message:
        `The model '${plan.name}' has no known price, and this key has a budget: it may call only priced models. ` +
        'Add the model to the catalog, or give its provider instance default prices (providers.<id>.pricing).',
      param: 'model',
    });
  }
  return deployments.length === plan.deployments.length ? plan : { ...plan, deployments };
}

type Execute<T> = (call: CallHandle) => Promise<ExecutionResult<{ value: T; warnings: string[] }>>;

async function run<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  options: ModelCallOptions,
  execute: Execute<T>,
): Promise<ModelCallResult<T>> {
  const state = request.gateway;
  const call = options.call ?? startCall(request, reply, options.timeoutMs, state.warnings);
  let execution;
  try {
    execution = await execute(call);
  } catch (error) {
    call.dispose();
    throw unwrapExecutionError(error, state);
  }
  recordExecution(state, execution);
  state.warnings.push(...execution.value.warnings);
  setGatewayHeaders(reply, state);
  return { value: execution.value.value, call, release: execution.release };
}

/** Runs a unary model call (or one whose answer is relayed as bytes) over the plan. */
export function callModel<T>(
  router: Router,
  plan: OrderedPlan,
  request: FastifyRequest,
  reply: FastifyReply,
  attempt: (deployment: Deployment, context: CallContext) => Promise<T>,
  options: ModelCallOptions,
): Promise<ModelCallResult<T>> {
  const priced = pricedFor(request, plan);
  const ordered = options.once ? { ...priced, deployments: priced.deployments.slice(0, 1) } : priced;
  return run(request, reply, options, (call) =>
    router.execute(
      ordered,
      (deployment, handle) => {
        const warnings: string[] = [];
        const context: CallContext = { ...call.context, signal: handle.signal, warnings };
        const pending = attempt(deployment, context).then((value) => ({ value, warnings }));
        return options.once ? pending.catch((error: unknown) => Promise.reject(final(error))) : pending;
      },
      call.context,
      { isolated: call.context.apiKey !== undefined },
    ),
  );
}

/**
 * Runs a streamed model call over the plan: until the stream's first event a failure (or a late
 * first event) fails over; the result holds that first event and the rest of the stream.
 */
export async function callModelStream<E>(
  router: Router,
  plan: OrderedPlan,
  request: FastifyRequest,
  reply: FastifyReply,
  open: (deployment: Deployment, context: CallContext) => Promise<AsyncIterable<E>>,
  options: ModelCallOptions,
): Promise<ModelCallResult<StreamStart<E>>> {
  const state = request.gateway;
  const result = await run<StreamStart<E>>(request, reply, options, async (call) => {
    // Attempts run one after another and the first that starts its stream wins: the warnings of
    // the last attempt opened are the answer's.
    let warnings: string[] = [];
    const execution = await router.executeStream(
      pricedFor(request, plan),
      (deployment, handle) => {
        warnings = [];
        return open(deployment, { ...call.context, signal: handle.signal, warnings });
      },
      call.context,
      { isolated: call.context.apiKey !== undefined },
    );
    return { ...execution, value: { value: execution.value, warnings } };
  });
  state.stream = true;
  state.timeToFirstByteMs = performance.now() - state.startedAt;
  return result;
}
