import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import {
  ExecutionError,
  backoffDelay,
  executePlan,
  type ExecuteOptions,
} from '../../../src/routing/execute.js';
import { DeploymentHealth } from '../../../src/routing/health.js';
import { ClientClosed, UpstreamFailure } from '../../../src/upstream.js';
import { HEALTH, ManualClock, deployment } from '../../helpers/deployments.js';

const http = (status: number, retryAfterMs?: number) =>
  new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'http', {
    status,
    upstreamStatus: status,
    retryAfterMs,
    message: `HTTP ${status}`,
  });
const connection = () =>
  new UpstreamFailure('GW_ERR_UPSTREAM_UNREACHABLE', 'connection', { message: 'ECONNREFUSED' });
const timeout = () => new UpstreamFailure('GW_ERR_UPSTREAM_TIMEOUT', 'timeout');

function setup(maxRetries = 2) {
  const clock = new ClockWithHealth();
  const options: ExecuteOptions = {
    signal: new AbortController().signal,
    deadline: clock.time + 60_000,
    retries: { maxRetries, baseDelayMs: 100, maxDelayMs: 1000 },
    health: (target) => clock.healthOf(target),
    now: clock.now,
    sleep: clock.sleep,
    random: clock.random,
  };
  return { clock, options };
}

class ClockWithHealth extends ManualClock {
  readonly healths = new Map<string, DeploymentHealth>();
  healthOf(target: Deployment): DeploymentHealth {
    let health = this.healths.get(target.deploymentId);
    if (!health)
      this.healths.set(target.deploymentId, (health = new DeploymentHealth(target.deploymentId, HEALTH)));
    return health;
  }
}

/** An attempt function that answers from a script per deployment; each entry an error or a value. */
function scripted(script: Record<string, (Error | string)[]>, clock: ManualClock, costMs = 10) {
  const calls: string[] = [];
  const attempt = async (target: Deployment) => {
    calls.push(target.deploymentId);
    clock.time += costMs;
    const next = script[target.deploymentId]?.shift() ?? 'ok';
    if (next instanceof Error) throw next;
    return `${next} from ${target.deploymentId}`;
  };
  return { calls, attempt };
}

async function failureOf(promise: Promise<unknown>): Promise<ExecutionError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ExecutionError);
    return error as ExecutionError;
  }
  throw new Error('expected the execution to fail');
}

const a = deployment('a/m');
const b = deployment('b/m');
const c = deployment('c/m');

describe('executePlan: the failure matrix', () => {
  it('answers from the first deployment when it succeeds', async () => {
    const { clock, options } = setup();
    const { calls, attempt } = scripted({}, clock);
    const result = await executePlan([a, b], attempt, options);
    expect(result.value).toBe('ok from a/m');
    expect(calls).toEqual(['a/m']);
    expect(result.attempts).toHaveLength(1);
    expect(clock.healthOf(a).inFlight).toBe(1);
    result.release();
    result.release();
    expect(clock.healthOf(a).inFlight).toBe(0);
  });

  it.each([
    ['500', () => http(500)],
    ['502', () => http(502)],
    ['503', () => http(503)],
    ['408', () => http(408)],
    ['a connection error', connection],
    ['a timeout', timeout],
  ])('retries %s on the same deployment with backoff, then fails over', async (_label, make) => {
    const { clock, options } = setup(2);
    const { calls, attempt } = scripted({ 'a/m': [make(), make(), make()] }, clock);
    const result = await executePlan([a, b], attempt, options);
    expect(calls).toEqual(['a/m', 'a/m', 'a/m', 'b/m']);
    expect(result.value).toBe('ok from b/m');
    expect(result.attempts.map((record) => [record.deploymentId, record.ok, record.retry])).toEqual([
      ['a/m', false, false],
      ['a/m', false, true],
      ['a/m', false, true],
      ['b/m', true, false],
    ]);
    // Full jitter over an exponentially growing ceiling: random 0.5 × 100, then × 200.
    expect(clock.sleeps).toEqual([50, 100]);
  });

  it('recovers on a retry without failing over', async () => {
    const { clock, options } = setup(2);
    const { calls, attempt } = scripted({ 'a/m': [http(503)] }, clock);
    const result = await executePlan([a, b], attempt, options);
    expect(calls).toEqual(['a/m', 'a/m']);
    expect(result.deployment).toBe(a);
  });

  it('moves on at once after a 429 and cools the deployment for its Retry-After', async () => {
    const { clock, options } = setup(2);
    const { calls, attempt } = scripted({ 'a/m': [http(429, 20_000)] }, clock);
    const result = await executePlan([a, b], attempt, options);
    expect(calls).toEqual(['a/m', 'b/m']);
    expect(result.deployment).toBe(b);
    expect(clock.sleeps).toEqual([]);
    // The next request goes straight to b while a cools down...
    const second = scripted({}, clock);
    await executePlan([a, b], second.attempt, options);
    expect(second.calls).toEqual(['b/m']);
    // ...and to a again once the Retry-After has passed.
    clock.time += 20_000;
    const third = scripted({}, clock);
    await executePlan([a, b], third.attempt, options);
    expect(third.calls).toEqual(['a/m']);
  });

  it('marks a key refused with 401/403 and does not retry on it', async () => {
    const { clock, options } = setup(2);
    const { calls, attempt } = scripted({ 'a/m': [http(401)], 'b/m': [http(403)] }, clock);
    const result = await executePlan([a, b, c], attempt, options);
    expect(calls).toEqual(['a/m', 'b/m', 'c/m']);
    expect(result.deployment).toBe(c);
    expect(clock.healthOf(a).availability(clock.time)).toMatchObject({ reason: 'key_refused' });
  });

  it.each([400, 404, 413, 422])(
    'returns a %i at once: it is the request, not the deployment',
    async (status) => {
      const { clock, options } = setup(2);
      const { calls, attempt } = scripted({ 'a/m': [http(status)] }, clock);
      const failure = await failureOf(executePlan([a, b], attempt, options));
      expect(calls).toEqual(['a/m']);
      expect((failure.cause as UpstreamFailure).statusCode).toBe(status);
      expect(clock.healthOf(a).state).toBe('closed');
    },
  );

  it('returns a gateway error raised before any upstream call at once', async () => {
    const { clock, options } = setup(2);
    const { calls, attempt } = scripted(
      { 'a/m': [new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER')] },
      clock,
    );
    const failure = await failureOf(executePlan([a, b], attempt, options));
    expect(calls).toEqual(['a/m']);
    expect((failure.cause as GatewayError).gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER');
  });

  it('gives the last failure when every deployment fails', async () => {
    const { clock, options } = setup(0);
    const { attempt } = scripted({ 'a/m': [http(500)], 'b/m': [http(502)] }, clock);
    const failure = await failureOf(executePlan([a, b], attempt, options));
    expect((failure.cause as UpstreamFailure).upstreamStatus).toBe(502);
    expect(failure.attempts).toHaveLength(2);
  });

  it('skips an open circuit, answers 503 with Retry-After when every circuit is open, and probes after the cool-down', async () => {
    const { clock, options } = setup(0);
    const failing = scripted({ 'a/m': [http(500), http(500), http(500)] }, clock);
    for (let index = 0; index < HEALTH.consecutiveFailures; index++) {
      await failureOf(executePlan([a], failing.attempt, options));
    }
    expect(clock.healthOf(a).state).toBe('open');

    const skipping = scripted({}, clock);
    const result = await executePlan([a, b], skipping.attempt, options);
    expect(skipping.calls).toEqual(['b/m']);
    expect(result.deployment).toBe(b);

    const failure = await failureOf(executePlan([a], skipping.attempt, options));
    const unavailable = failure.cause as GatewayError;
    expect(unavailable.gatewayCode).toBe('GW_ERR_UPSTREAM_UNAVAILABLE');
    expect(Number(unavailable.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(Number(unavailable.headers?.['retry-after'])).toBeLessThanOrEqual(HEALTH.cooldownMs / 1000);

    clock.time += HEALTH.cooldownMs;
    const probe = scripted({}, clock);
    await executePlan([a, b], probe.attempt, options);
    expect(probe.calls).toEqual(['a/m']);
    expect(clock.healthOf(a).state).toBe('closed');
  });

  it('still tries a lone deployment that is cooling down, once, as a last resort', async () => {
    const { clock, options } = setup(2);
    clock
      .healthOf(a)
      .recordFailure(clock.time, { breaker: false, coolDownMs: 60_000, status: 429, message: '' });
    const { calls, attempt } = scripted({ 'a/m': [http(429, 60_000)] }, clock);
    const failure = await failureOf(executePlan([a], attempt, options));
    expect(calls).toEqual(['a/m']);
    expect((failure.cause as UpstreamFailure).upstreamStatus).toBe(429);
  });

  it('respects the deadline: no retry whose backoff would pass it, nothing started after it', async () => {
    const { clock, options } = setup(5);
    options.deadline = clock.time + 120;
    const { calls, attempt } = scripted({ 'a/m': [http(500), http(500), http(500), http(500)] }, clock, 50);
    const failure = await failureOf(executePlan([a, b], attempt, options));
    expect(clock.time).toBeLessThanOrEqual(options.deadline + 50);
    expect(calls.length).toBeLessThan(4);
    expect(failure.cause).toBeInstanceOf(UpstreamFailure);
  });

  it('stops everything when the client goes away', async () => {
    const { clock, options } = setup(2);
    const controller = new AbortController();
    options.signal = controller.signal;
    const calls: string[] = [];
    const failure = await failureOf(
      executePlan(
        [a, b],
        async (target) => {
          calls.push(target.deploymentId);
          controller.abort(new ClientClosed('gone'));
          throw connection();
        },
        options,
      ),
    );
    expect(calls).toEqual(['a/m']);
    expect(failure.cause).toBeInstanceOf(ClientClosed);
    expect(clock.healthOf(a).inFlight).toBe(0);
  });

  it('lets an attempt abandon itself (a late first byte) and fails over', async () => {
    const { options } = setup(0);
    options.selfAborting = true;
    const calls: string[] = [];
    const result = await executePlan(
      [a, b],
      async (target, handle) => {
        calls.push(target.deploymentId);
        if (target === a) {
          handle.abort(new Error('first byte late'));
          expect(handle.signal.aborted).toBe(true);
          throw timeout();
        }
        return 'streamed';
      },
      options,
    );
    expect(calls).toEqual(['a/m', 'b/m']);
    expect(result.value).toBe('streamed');
    expect(options.signal.aborted).toBe(false);
  });

  it('gives attempts the call signal itself unless they may abandon themselves', async () => {
    const { options } = setup(0);
    const signals: AbortSignal[] = [];
    await executePlan(
      [a],
      async (_target, handle) => {
        signals.push(handle.signal);
        expect(() => handle.abort(new Error('late'))).toThrow(/selfAborting/);
        return 'ok';
      },
      options,
    );
    expect(signals).toEqual([options.signal]);
  });

  it('computes backoff as full jitter under an exponential ceiling', () => {
    const settings = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(retry, settings, () => 0.999))).toEqual([
      99, 199, 399, 799, 999,
    ]);
    expect(backoffDelay(3, settings, () => 0)).toBe(0);
  });
});
