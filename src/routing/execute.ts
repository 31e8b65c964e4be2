/**
 * Runs one request over an ordered plan of deployments: each attempt on the next deployment when the
 * previous one failed in a way another deployment may not (connection faults, timeouts, 408/429/5xx).
 * Client errors and a client that went away end the request at once.
 */
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../errors.js';
import { ClientClosed, UpstreamFailure } from '../upstream.js';
import type { Deployment } from './deployment.js';

export interface AttemptRecord {
  deploymentId: string;
  ok: boolean;
  status: number | null;
  error: string | null;
  /** Time spent waiting on the upstream for this attempt, in ms. */
  durationMs: number;
}

export interface ExecutionResult<T> {
  value: T;
  deployment: Deployment;
  attempts: AttemptRecord[];
  /** Total time spent in upstream calls, in ms (the part of the latency the gateway does not own). */
  upstreamMs: number;
}

export interface ExecutionHooks {
  onSuccess?(deployment: Deployment, record: AttemptRecord): void;
  onFailure?(deployment: Deployment, record: AttemptRecord, error: unknown): void;
}

export class ExecutionError extends Error {
  override name = 'ExecutionError';
  constructor(
    override readonly cause: unknown,
    readonly attempts: AttemptRecord[],
    readonly upstreamMs: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

function statusOf(error: unknown): number | null {
  if (error instanceof UpstreamFailure) return error.upstreamStatus ?? error.statusCode;
  if (error instanceof GatewayError) return error.statusCode;
  return null;
}

export async function executePlan<T>(
  plan: readonly Deployment[],
  attempt: (deployment: Deployment) => Promise<T>,
  signal: AbortSignal,
  hooks: ExecutionHooks = {},
): Promise<ExecutionResult<T>> {
  const attempts: AttemptRecord[] = [];
  let upstreamMs = 0;
  let lastError: unknown = new GatewayError('GW_ERR_UPSTREAM_UNAVAILABLE');
  for (const deployment of plan) {
    const started = performance.now();
    try {
      const value = await attempt(deployment);
      const durationMs = performance.now() - started;
      upstreamMs += durationMs;
      const record: AttemptRecord = {
        deploymentId: deployment.deploymentId,
        ok: true,
        status: 200,
        error: null,
        durationMs,
      };
      attempts.push(record);
      hooks.onSuccess?.(deployment, record);
      return { value, deployment, attempts, upstreamMs };
    } catch (error) {
      const durationMs = performance.now() - started;
      upstreamMs += durationMs;
      const record: AttemptRecord = {
        deploymentId: deployment.deploymentId,
        ok: false,
        status: statusOf(error),
        error: error instanceof Error ? error.message : String(error),
        durationMs,
      };
      attempts.push(record);
      lastError = error;
      if (error instanceof ClientClosed || signal.aborted)
        throw new ExecutionError(error, attempts, upstreamMs);
      hooks.onFailure?.(deployment, record, error);
      if (!(error instanceof UpstreamFailure) || !error.retryable) break;
    }
  }
  throw new ExecutionError(lastError, attempts, upstreamMs);
}
