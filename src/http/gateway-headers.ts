/**
 * The headers that say what the gateway did with a model call: which provider and upstream model
 * answered, after how many attempts, how long the gateway itself took, and any warnings.
 */
import type { FastifyReply } from 'fastify';
import { overheadMs, type RequestState } from './request-state.js';
import type { Deployment } from '../routing/deployment.js';
import { ExecutionError, type AttemptRecord } from '../routing/execute.js';

export function recordExecution(
  state: RequestState,
  execution: { deployment: Deployment; attempts: AttemptRecord[]; upstreamMs: number },
): void {
  state.provider = execution.deployment.instance.id;
  state.answeredModel = execution.deployment.upstreamModel;
  state.deploymentId = execution.deployment.deploymentId;
  state.deployment = execution.deployment;
  state.attempts = execution.attempts.length;
  // Added: time already spent upstream for this request (its input's moderation) stays counted.
  state.upstreamMs += execution.upstreamMs;
}

export function setGatewayHeaders(reply: FastifyReply, state: RequestState): void {
  if (state.provider !== null) reply.header('x-gateway-provider', state.provider);
  if (state.answeredModel !== null) reply.header('x-gateway-model', state.answeredModel);
  reply.header('x-gateway-attempts', String(state.attempts));
  reply.header('x-gateway-overhead-ms', overheadMs(state).toFixed(2));
  if (state.warnings.length > 0) {
    // Header values must be one line of visible ASCII.
    reply.header('x-gateway-warnings', state.warnings.join('; ').replace(/[^\x20-\x7e]/g, '?'));
  }
}

/** The error the client sees for a failed execution: the last attempt's, with the attempts recorded. */
export function unwrapExecutionError(error: unknown, state: RequestState): unknown {
  if (error instanceof ExecutionError) {
    state.attempts = error.attempts.length;
    state.upstreamMs += error.upstreamMs;
    if (error.deployment) {
      state.provider = error.deployment.instance.id;
      state.answeredModel = error.deployment.upstreamModel;
      state.deploymentId = error.deployment.deploymentId;
    }
    return error.cause;
  }
  return error;
}
