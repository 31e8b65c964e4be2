import { describe, expect, it } from 'vitest';
import { DeploymentHealth } from '../../../src/routing/health.js';
import { HEALTH } from '../../helpers/deployments.js';

const failure = { breaker: true, status: 500, message: 'boom' };

describe('DeploymentHealth circuit breaker', () => {
  it('opens after consecutive failures, refuses during the cool-down, then lets one probe through', () => {
    const health = new DeploymentHealth('a', HEALTH);
    let now = 0;
    for (let index = 0; index < HEALTH.consecutiveFailures - 1; index++) health.recordFailure(now, failure);
    expect(health.state).toBe('closed');
    health.recordFailure(now, failure);
    expect(health.state).toBe('open');
    expect(health.availability(now + 1000)).toEqual({
      available: false,
      reason: 'circuit_open',
      retryAt: HEALTH.cooldownMs,
    });

    now = HEALTH.cooldownMs;
    expect(health.availability(now).available).toBe(true);
    expect(health.state).toBe('half_open');
    health.acquire();
    expect(health.availability(now)).toMatchObject({ available: false, reason: 'probe_in_flight' });
    health.release();
    health.recordSuccess(now, 120);
    expect(health.state).toBe('closed');
    expect(health.availability(now).available).toBe(true);
  });

  it('reopens when the half-open probe fails', () => {
    const health = new DeploymentHealth('a', HEALTH);
    for (let index = 0; index < HEALTH.consecutiveFailures; index++) health.recordFailure(0, failure);
    expect(health.availability(HEALTH.cooldownMs).available).toBe(true);
    health.acquire();
    health.release();
    health.recordFailure(HEALTH.cooldownMs, failure);
    expect(health.state).toBe('open');
    expect(health.availability(HEALTH.cooldownMs + 1)).toMatchObject({
      available: false,
      reason: 'circuit_open',
    });
  });

  it('opens on the failure rate over the window once it holds enough requests', () => {
    const health = new DeploymentHealth('a', { ...HEALTH, consecutiveFailures: 100 });
    for (let index = 0; index < 10; index++) {
      if (index % 2 === 0) health.recordSuccess(index, 10);
      else health.recordFailure(index, failure);
    }
    expect(health.state).toBe('open');
    expect(health.window(10)).toMatchObject({ requests: 10, failures: 5, errorRate: 0.5 });
  });

  it('forgets failures older than the window', () => {
    const health = new DeploymentHealth('a', { ...HEALTH, consecutiveFailures: 100, minimumRequests: 2 });
    health.recordFailure(0, failure);
    expect(health.window(HEALTH.windowMs + 5000).requests).toBe(0);
    health.recordSuccess(HEALTH.windowMs + 5000, 10);
    health.recordSuccess(HEALTH.windowMs + 5001, 10);
    expect(health.state).toBe('closed');
  });

  it('does not count client errors, and resets the consecutive count on success', () => {
    const health = new DeploymentHealth('a', HEALTH);
    health.recordFailure(0, failure);
    health.recordFailure(0, failure);
    health.recordSuccess(0, 10);
    health.recordFailure(0, failure);
    health.recordFailure(0, failure);
    for (let index = 0; index < 10; index++)
      health.recordFailure(0, { breaker: false, status: 400, message: 'bad' });
    expect(health.state).toBe('closed');
  });

  it('cools down for the Retry-After of a 429, and marks a refused key for longer', () => {
    const health = new DeploymentHealth('a', HEALTH);
    health.recordFailure(0, { breaker: false, coolDownMs: 7000, status: 429, message: 'slow down' });
    expect(health.availability(6999)).toMatchObject({
      available: false,
      reason: 'cooling_down',
      retryAt: 7000,
    });
    expect(health.availability(7000).available).toBe(true);
    health.recordFailure(0, { breaker: false, keyRefused: true, status: 401, message: 'bad key' });
    expect(health.availability(HEALTH.badKeyCooldownMs - 1)).toMatchObject({ reason: 'key_refused' });
    expect(health.state).toBe('closed');
  });

  it('keeps an exponentially weighted average of time to first byte', () => {
    const health = new DeploymentHealth('a', HEALTH);
    health.recordSuccess(0, 100);
    expect(health.latencyMs).toBe(100);
    health.recordSuccess(0, 300);
    expect(health.latencyMs).toBe(200);
    health.recordSuccess(0, 200);
    expect(health.latencyMs).toBe(200);
  });

  it('reports its state for health endpoints', () => {
    const health = new DeploymentHealth('openai/gpt-4o', HEALTH);
    health.acquire();
    health.recordFailure(1000, failure);
    expect(health.snapshot(1000)).toMatchObject({
      id: 'openai/gpt-4o',
      circuit: 'closed',
      inFlight: 1,
      errorRate: 1,
      lastError: { message: 'boom', status: 500 },
    });
  });
});
