/**
 * How the audio and Responses routes run a model call over the router's plan: every attempt gets the
 * call's context, and the result says when the deployment may be counted free again (`release`,
 * once the answer has been sent, streams included). Kept in one place so the routes do not depend on
 * the router's calling convention.
 */
import type { FastifyInstance } from 'fastify';
import type { CallHandle } from '../../src/call-context.js';
import type { CallContext, ProviderInstance } from '../../src/provider.js';
import type { Deployment } from '../../src/routing/deployment.js';
import type { ExecutionResult } from '../../src/routing/execute.js';
import { UpstreamFailure } from '../../src/upstream.js';

export type ModelPlan = ReturnType<FastifyInstance['gatewayRouter']['plan']>;

export type ModelCallResult<T> = ExecutionResult<T>;

export interface RunOptions {
  /**
   * The request can be sent once only (an upload still arriving cannot be replayed): one attempt,
   * and a failure that would be retried is final.
   */
  once?: boolean;
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

export async function runModelCall<T>(
  fastify: FastifyInstance,
  plan: ModelPlan,
  call: CallHandle,
  attempt: (deployment: Deployment, context: CallContext) => Promise<T>,
  options: RunOptions = {},
): Promise<ModelCallResult<T>> {
  const ordered = options.once ? { ...plan, deployments: plan.deployments.slice(0, 1) } : plan;
  return fastify.gatewayRouter.execute(
    ordered,
    (deployment, handle) => {
      const pending = attempt(deployment, { ...call.context, signal: handle.signal });
      return options.once ? pending.catch((error: unknown) => Promise.reject(final(error))) : pending;
    },
    call.context,
  );
}

/** The provider instance a plan would try first. */
export function firstInstance(plan: ModelPlan): ProviderInstance | undefined {
  return plan.deployments[0]?.instance;
}
