/**
 * Runs one request over an ordered list of deployments:
 * - a deployment whose circuit is open, that is cooling down after a 429, or whose key was refused
 *   is skipped;
 * - a retryable failure (connection, timeout, 408, 409, 5xx) is retried on the same deployment with
 *   exponential backoff and full jitter, up to `maxRetries`, then the next deployment is tried;
 * - a 429 cools the deployment for its Retry-After and a 401/403 marks its key refused: both move
 *   on to the next deployment at once, and so does a stream whose first event is late (one failure
 *   of that deployment per request);
 * - any other client error (400, 404, 413, …) is the request's fault and is returned at once;
 * - nothing starts after the request's deadline, and a client that went away stops everything.
 * The clock, the sleep and the randomness are injected, so all of it is tested without waiting.
 */
import { GatewayError } from '../errors.js';
import { ClientClosed, UpstreamFailure } from '../upstream.js';
import type { Deployment } from './deployment.js';
import type { DeploymentHealth, FailureReport } from './health.js';

export interface AttemptRecord {
  deploymentId: string;
  ok: boolean;
  status: number | null;
  error: string | null;
  /** Time spent waiting on the upstream for this attempt, in ms. */
  durationMs: number;
  /** A retry on the same deployment (as opposed to a first try there). */
  retry: boolean;
}

export interface ExecutionResult<T> {
  value: T;
  deployment: Deployment;
  attempts: AttemptRecord[];
  /** Time spent in upstream calls and backoff waits, in ms (latency the gateway does not own). */
  upstreamMs: number;
  /** Frees the winning deployment's in-flight slot; call when the answer is complete. */
  release(): void;
}

export interface RetrySettings {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The per-attempt handle: its own signal (aborted with the call, or by the attempt itself). */
export interface Attempt {
  readonly signal: AbortSignal;
  /** Abandons this attempt (for example when a stream's first byte is late); the call goes on. */
  abort(reason: Error): void;
}

/**
 * Watches the attempts of one call (traces: one span each). `run` runs the attempt, so that what
 * it sends can carry the attempt's identity; `failed` hears what the router does next.
 */
export interface AttemptObserver {
  start(deployment: Deployment, retry: boolean): ObservedAttempt;
}

export interface ObservedAttempt {
  run<T>(attempt: () => Promise<T>): Promise<T>;
  succeeded(value: unknown): void;
  /** `retry`: the same deployment again; `next`: the next one; `stop`: the call ends with this error. */
  failed(error: unknown, action: 'retry' | 'next' | 'stop'): void;
}

export interface ExecuteOptions {
  signal: AbortSignal;
  /** Epoch ms after which nothing new starts. */
  deadline: number;
  retries: RetrySettings;
  health(deployment: Deployment): DeploymentHealth;
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
  onAttempt?(record: AttemptRecord, deployment: Deployment): void;
  /**
   * Whether an attempt may abandon itself (`Attempt.abort`, a stream's late first byte): each attempt
   * then gets its own AbortController; otherwise attempts share the call's signal, which spares an
   * AbortController and two listeners per call.
   */
  selfAborting?: boolean;
  /**
   * The call carries a key of the client's own (bring-your-own-key): what its upstream answers
   * says about that key, not about the shared deployment, so nothing is recorded in the
   * deployment's health (no circuit failure, cool-down or refused key); in-flight counts still are.
   */
  isolated?: boolean;
  observer?: AttemptObserver;
}

function sharedSignalAbort(): never {
  throw new Error(
    'This attempt shares the call signal: run the plan with selfAborting to abandon an attempt',
  );
}

export class ExecutionError extends Error {
  override name = 'ExecutionError';
  /** The last deployment tried, when one was (its answer is the failure the client sees). */
  deployment: Deployment | undefined;
  constructor(
    override readonly cause: unknown,
    readonly attempts: AttemptRecord[],
    readonly upstreamMs: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** How a failure counts: whether to retry here, move on, or stop. */
function classify(error: unknown): { action: 'retry' | 'next' | 'stop'; report: FailureReport } {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof UpstreamFailure)) {
    const status = error instanceof GatewayError ? error.statusCode : null;
    return { action: 'stop', report: { breaker: false, status, message } };
  }
  const status = error.upstreamStatus;
  if (status === 429) {
    return {
      action: 'next',
      report: { breaker: false, coolDownMs: error.retryAfterMs ?? 5000, status, message },
    };
  }
  if (status === 401 || status === 403) {
    return { action: 'next', report: { breaker: false, keyRefused: true, status, message } };
  }
  if (error.nextDeployment) return { action: 'next', report: { breaker: true, status, message } };
  if (error.retryable) return { action: 'retry', report: { breaker: true, status, message } };
  return { action: 'stop', report: { breaker: false, status, message } };
}

export function backoffDelay(retry: number, settings: RetrySettings, random: () => number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

export async function executePlan<T>(
  ordered: readonly Deployment[],
  attempt: (deployment: Deployment, handle: Attempt) => Promise<T>,
  options: ExecuteOptions,
): Promise<ExecutionResult<T>> {
  let lastTried: Deployment | undefined;
  try {
    return await runPlan(
      ordered,
      (deployment, handle) => {
        lastTried = deployment;
        return attempt(deployment, handle);
      },
      options,
    );
  } catch (error) {
    if (error instanceof ExecutionError) error.deployment = lastTried;
    throw error;
  }
}

async function runPlan<T>(
  ordered: readonly Deployment[],
  attempt: (deployment: Deployment, handle: Attempt) => Promise<T>,
  options: ExecuteOptions,
): Promise<ExecutionResult<T>> {
  const attempts: AttemptRecord[] = [];
  let upstreamMs = 0;
  let lastError: unknown;
  let earliestRetryAt = Number.POSITIVE_INFINITY;
  const { signal } = options;

  // A deployment cooling down after a 429 or whose key was refused is kept as a last resort, tried
  // once when nothing else is left: a model with one deployment then still reaches its provider,
  // whose own answer (and Retry-After) is more useful than a guess. An open circuit is not retried.
  const lastResort: Deployment[] = [];
  const queue: { deployment: Deployment; lastResort: boolean }[] = [];
  for (const deployment of ordered) {
    const availability = options.health(deployment).availability(options.now());
    if (availability.available) queue.push({ deployment, lastResort: false });
    else if (availability.reason === 'cooling_down' || availability.reason === 'key_refused')
      lastResort.push(deployment);
    else earliestRetryAt = Math.min(earliestRetryAt, availability.retryAt ?? Number.POSITIVE_INFINITY);
  }
  for (const deployment of lastResort) queue.push({ deployment, lastResort: true });

  for (const { deployment, lastResort: isLastResort } of queue) {
    const health = options.health(deployment);
    const maxRetries = isLastResort ? 0 : options.retries.maxRetries;
    for (let retry = 0; retry <= maxRetries; retry++) {
      if (signal.aborted) throw new ExecutionError(signal.reason, attempts, upstreamMs);
      if (options.now() >= options.deadline) {
        throw new ExecutionError(
          lastError ?? new UpstreamFailure('GW_ERR_UPSTREAM_TIMEOUT', 'timeout'),
          attempts,
          upstreamMs,
        );
      }
      let handle: Attempt;
      let forward: (() => void) | undefined;
      if (options.selfAborting) {
        const controller = new AbortController();
        forward = () => controller.abort(signal.reason);
        signal.addEventListener('abort', forward, { once: true });
        handle = { signal: controller.signal, abort: (reason) => controller.abort(reason) };
      } else handle = { signal, abort: sharedSignalAbort };
      health.acquire();
      const started = options.now();
      const observed = options.observer?.start(deployment, retry > 0);
      try {
        const value = await (observed
          ? observed.run(() => attempt(deployment, handle))
          : attempt(deployment, handle));
        observed?.succeeded(value);
        const durationMs = options.now() - started;
        upstreamMs += durationMs;
        if (!options.isolated) health.recordSuccess(options.now(), durationMs);
        const record: AttemptRecord = {
          deploymentId: deployment.deploymentId,
          ok: true,
          status: 200,
          error: null,
          durationMs,
          retry: retry > 0,
        };
        attempts.push(record);
        options.onAttempt?.(record, deployment);
        let released = false;
        return {
          value,
          deployment,
          attempts,
          upstreamMs,
          release: () => {
            if (released) return;
            released = true;
            health.release();
            if (forward) signal.removeEventListener('abort', forward);
          },
        };
      } catch (error) {
        health.release();
        if (forward) signal.removeEventListener('abort', forward);
        const durationMs = options.now() - started;
        upstreamMs += durationMs;
        if (error instanceof ClientClosed || signal.reason instanceof ClientClosed) {
          observed?.failed(signal.reason ?? error, 'stop');
          throw new ExecutionError(signal.reason ?? error, attempts, upstreamMs);
        }
        const { action, report } = classify(error);
        const record: AttemptRecord = {
          deploymentId: deployment.deploymentId,
          ok: false,
          status: report.status,
          error: report.message,
          durationMs,
          retry: retry > 0,
        };
        attempts.push(record);
        options.onAttempt?.(record, deployment);
        lastError = error;
        if (action === 'stop') {
          // The request's fault: the circuit does not count it, and no other deployment would do better.
          if (error instanceof UpstreamFailure && !options.isolated)
            health.recordFailure(options.now(), report);
          observed?.failed(error, 'stop');
          throw new ExecutionError(error, attempts, upstreamMs);
        }
        if (!options.isolated) health.recordFailure(options.now(), report);
        // The call's own deadline passing ends everything; an attempt's own timeout does not.
        if (signal.aborted) {
          observed?.failed(error, 'stop');
          throw new ExecutionError(error, attempts, upstreamMs);
        }
        observed?.failed(
          error,
          action === 'retry' && retry < maxRetries && health.availability(options.now()).available
            ? 'retry'
            : 'next',
        );
        if (action === 'next' || retry === maxRetries) break;
        if (!health.availability(options.now()).available) break; // the circuit just opened
        const delay = backoffDelay(retry, options.retries, options.random);
        if (options.now() + delay >= options.deadline) break;
        const waited = options.now();
        try {
          await options.sleep(delay, signal);
        } catch {
          throw new ExecutionError(signal.reason ?? error, attempts, upstreamMs);
        }
        upstreamMs += options.now() - waited;
      }
    }
  }

  if (lastError === undefined) {
    // Nothing was even tried: every deployment is out (open circuit, cooling down, key refused).
    const retryAfter = Number.isFinite(earliestRetryAt)
      ? Math.max(1, Math.ceil((earliestRetryAt - options.now()) / 1000))
      : undefined;
    throw new ExecutionError(
      new GatewayError('GW_ERR_UPSTREAM_UNAVAILABLE', {
        message:
          'Every deployment of this model is temporarily out of service (circuit open, cooling down after a 429, ' +
          'or key refused); retry later.',
        headers: retryAfter ? { 'retry-after': String(retryAfter) } : undefined,
      }),
      attempts,
      upstreamMs,
    );
  }
  throw new ExecutionError(lastError, attempts, upstreamMs);
}
