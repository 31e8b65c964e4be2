/**
 * Streams whose first event is late: the request moves to the next deployment without a retry on
 * the slow one (one circuit failure per request, not one per retry), and reasoning models get their
 * own, longer, first-byte timeout.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Catalog } from '../../../src/catalog.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import type { Attempt } from '../../../src/routing/execute.js';
import { Router, type OrderedPlan } from '../../../src/routing/router.js';
import { ManualClock, catalogModel, deployment, routingOptions } from '../../helpers/deployments.js';

const THINKER = catalogModel({
  id: 'thinker',
  provider: 'a',
  capabilities: ['chat', 'reasoning', 'streaming'],
});
const PLAIN = catalogModel({ id: 'plain', provider: 'a', capabilities: ['chat', 'streaming'] });

function routerWith(clock: ManualClock) {
  return new Router(
    new Catalog([]),
    { get: () => undefined, configured: () => [] },
    routingOptions({
      retries: { maxRetries: 2, baseDelayMs: 0, maxDelayMs: 0 },
      circuitBreaker: {
        consecutiveFailures: 2,
        failureRate: 0.5,
        minimumRequests: 10,
        windowMs: 60_000,
        cooldownMs: 30_000,
        badKeyCooldownMs: 300_000,
      },
      streamFirstByteTimeoutMs: 1000,
      reasoningFirstByteTimeoutMs: 5000,
    }),
    clock,
  );
}

/** A stream whose first event comes after `firstEventMs` (never, for Infinity), or when abandoned. */
function streamAfter(firstEventMs: number, handle: Attempt): AsyncIterable<string> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<string>>((resolve, reject) => {
          if (Number.isFinite(firstEventMs))
            setTimeout(() => resolve({ done: false, value: 'first' }), firstEventMs);
          handle.signal.addEventListener('abort', () => reject(handle.signal.reason as Error));
        }),
    }),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a late first event', () => {
  it('moves on to the next deployment without retrying the slow one, counting one failure', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock();
    const router = routerWith(clock);
    const slow = deployment('a/slow', { model: PLAIN });
    const plan: OrderedPlan = {
      name: 'plain',
      strategy: 'priority',
      deployments: [slow, deployment('b/fast')],
    };
    const opened: string[] = [];
    const open = async (target: Deployment, handle: Attempt) => {
      opened.push(target.deploymentId);
      return streamAfter(target === slow ? Number.POSITIVE_INFINITY : 10, handle);
    };
    const call = { signal: new AbortController().signal, deadline: clock.time + 600_000 };

    const pending = router.executeStream(plan, open, call);
    await vi.advanceTimersByTimeAsync(1010);
    const started = await pending;
    started.release();
    expect(started.deployment.deploymentId).toBe('b/fast');
    expect(opened).toEqual(['a/slow', 'b/fast']);
    expect(started.attempts.map((attempt) => [attempt.deploymentId, attempt.ok])).toEqual([
      ['a/slow', false],
      ['b/fast', true],
    ]);
    // Two failures in a row open this circuit: one slow request must leave it closed.
    const health = () => router.deploymentHealth().find((each) => each.id === 'a/slow')!;
    expect(health().circuit).toBe('closed');

    // A second slow request is a second failure: now it opens.
    const again = router.executeStream(plan, open, call);
    await vi.advanceTimersByTimeAsync(1010);
    (await again).release();
    expect(health().circuit).toBe('open');
  });
});

describe('reasoning models', () => {
  it('wait reasoningFirstByteTimeoutMs for the first event, other models streamFirstByteTimeoutMs', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock();
    const router = routerWith(clock);
    const thinker = deployment('a/thinker', { model: THINKER });
    const plain = deployment('a/plain', { model: PLAIN });
    expect(router.firstByteTimeoutOf(thinker)).toBe(5000);
    expect(router.firstByteTimeoutOf(plain)).toBe(1000);
    expect(router.firstByteTimeoutOf(deployment('a/unknown'))).toBe(1000);

    const call = { signal: new AbortController().signal, deadline: clock.time + 600_000 };
    const open = async (target: Deployment, handle: Attempt) =>
      streamAfter(target.deploymentId === 'b/fallback' ? 10 : 3000, handle);

    const thinking = router.executeStream(
      { name: 'thinker', strategy: 'priority', deployments: [thinker, deployment('b/fallback')] },
      open,
      call,
    );
    await vi.advanceTimersByTimeAsync(3000);
    const answered = await thinking;
    answered.release();
    expect(answered.deployment.deploymentId).toBe('a/thinker');
    expect(answered.attempts).toHaveLength(1);

    const hurried = router.executeStream(
      { name: 'plain', strategy: 'priority', deployments: [plain, deployment('b/fallback')] },
      open,
      call,
    );
    await vi.advanceTimersByTimeAsync(1010);
    const failedOver = await hurried;
    failedOver.release();
    expect(failedOver.deployment.deploymentId).toBe('b/fallback');
  });
});
