/**
 * The call runner every model endpoint uses: failover, one-shot requests, the answering attempt's
 * warnings only, and streams that fail over until their first event (a late one included).
 */
import { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallHandle } from '../../../src/http/call-context.js';
import { callModel, callModelStream } from '../../../src/http/model-call.js';
import type { RequestState } from '../../../src/http/request-state.js';
import type { CallContext } from '../../../src/provider.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { Router, type OrderedPlan } from '../../../src/routing/router.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import { Catalog } from '../../../src/catalog.js';
import { ManualClock, deployment, routingOptions } from '../../helpers/deployments.js';

const clock = new ManualClock();
const router = new Router(
  new Catalog([]),
  { get: () => undefined, configured: () => [] },
  routingOptions({
    retries: { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0 },
    streamFirstByteTimeoutMs: 1000,
  }),
  clock,
);

const plan: OrderedPlan = {
  name: 'm',
  strategy: 'priority',
  deployments: [deployment('a/m'), deployment('b/m')],
};

function exchange() {
  const state = { warnings: [], attempts: 0, upstreamMs: 0, startedAt: 0 } as unknown as RequestState;
  const headers: Record<string, string> = {};
  const request = { gateway: state } as unknown as FastifyRequest;
  const reply = {
    header(name: string, value: string) {
      headers[name] = value;
      return reply;
    },
    raw: Object.assign(new EventEmitter(), { writableFinished: false }),
  } as unknown as FastifyReply;
  let disposed = 0;
  const call: CallHandle = {
    context: {
      signal: new AbortController().signal,
      deadline: clock.time + 60_000,
      warnings: [],
    } as unknown as CallContext,
    dispose: () => {
      disposed++;
    },
  };
  return { state, headers, request, reply, call, disposed: () => disposed };
}

function overloaded(): UpstreamFailure {
  return new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'http', { status: 503, upstreamStatus: 503 });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('callModel', () => {
  it('fails over to the next deployment, keeping only the answering attempt’s warnings', async () => {
    const { state, headers, request, reply, call } = exchange();
    const tried: string[] = [];
    const result = await callModel(
      router,
      plan,
      request,
      reply,
      async (deployment: Deployment, context) => {
        tried.push(deployment.deploymentId);
        context.warnings.push(`from ${deployment.deploymentId}`);
        if (tried.length === 1) throw overloaded();
        return 'ok';
      },
      { timeoutMs: 60_000, call },
    );
    result.release();
    expect(result.value).toBe('ok');
    expect(tried).toEqual(['a/m', 'b/m']);
    expect(state.warnings).toEqual(['from b/m']);
    expect(state.attempts).toBe(2);
    expect(state.provider).toBe('b');
    expect(headers['x-gateway-attempts']).toBe('2');
    expect(headers['x-gateway-warnings']).toBe('from b/m');
  });

  it('makes one attempt for a request that can be sent once, keeping the status of its failure', async () => {
    const { request, reply, call, disposed } = exchange();
    const tried: string[] = [];
    const failure = await callModel(
      router,
      plan,
      request,
      reply,
      async (deployment: Deployment) => {
        tried.push(deployment.deploymentId);
        throw overloaded();
      },
      { timeoutMs: 60_000, call, once: true },
    ).catch((error: unknown) => error);
    expect(tried).toEqual(['a/m']);
    expect(failure).toBeInstanceOf(UpstreamFailure);
    expect((failure as UpstreamFailure).statusCode).toBe(503);
    expect((failure as UpstreamFailure).retryable).toBe(false);
    expect(disposed()).toBe(1);
  });
});

async function* events(...values: string[]): AsyncGenerator<string> {
  yield* values;
}

describe('callModelStream', () => {
  it('fails over when a stream fails before its first event, and hands over the first event', async () => {
    const { state, request, reply, call } = exchange();
    const started = await callModelStream(
      router,
      plan,
      request,
      reply,
      async (deployment: Deployment) => {
        if (deployment.deploymentId === 'a/m') {
          return (async function* () {
            yield* [];
            throw overloaded();
          })();
        }
        return events('one', 'two');
      },
      { timeoutMs: 60_000, call },
    );
    expect(started.value.first).toEqual({ done: false, value: 'one' });
    expect(await started.value.iterator.next()).toEqual({ done: false, value: 'two' });
    started.release();
    expect(state.provider).toBe('b');
    expect(state.stream).toBe(true);
  });

  it('abandons a stream whose first event is later than routing.streamFirstByteTimeoutMs', async () => {
    vi.useFakeTimers();
    const { request, reply, call } = exchange();
    const abandoned: unknown[] = [];
    const pending = callModelStream(
      router,
      plan,
      request,
      reply,
      async (deployment: Deployment, context) => {
        if (deployment.deploymentId === 'b/m') return events('late-free');
        return {
          [Symbol.asyncIterator]: () => ({
            next: () =>
              new Promise<IteratorResult<string>>((_, reject) =>
                context.signal.addEventListener('abort', () => {
                  abandoned.push(context.signal.reason);
                  reject(context.signal.reason as Error);
                }),
              ),
          }),
        };
      },
      { timeoutMs: 60_000, call },
    );
    await vi.advanceTimersByTimeAsync(1000);
    const started = await pending;
    expect(started.value.first.value).toBe('late-free');
    expect((abandoned[0] as Error).name).toBe('FirstByteTimeout');
    started.release();
  });
});
