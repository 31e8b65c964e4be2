import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { runModelCall, type ModelPlan } from '../../../plugins/api/run-model-call.js';
import type { CallHandle } from '../../../src/call-context.js';
import type { CallContext } from '../../../src/provider.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import { Catalog } from '../../../src/catalog.js';
import { Router } from '../../../plugins/routing.js';
import { ManualClock, deployment, routingOptions } from '../../helpers/deployments.js';

const clock = new ManualClock();
const fastify = {
  gatewayRouter: new Router(
    new Catalog([]),
    { get: () => undefined, configured: () => [] },
    routingOptions({ retries: { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0 } }),
    clock,
  ),
} as unknown as FastifyInstance;

const call = {
  context: { signal: new AbortController().signal, deadline: clock.time + 60_000 } as CallContext,
  dispose: () => {},
} as CallHandle;

const plan: ModelPlan = {
  name: 'm',
  strategy: 'priority',
  deployments: [deployment('a/m'), deployment('b/m')],
};

function overloaded(): UpstreamFailure {
  return new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'http', { status: 503, upstreamStatus: 503 });
}

describe('runModelCall', () => {
  it('fails over to the next deployment on a retryable failure', async () => {
    const tried: string[] = [];
    const result = await runModelCall(fastify, plan, call, async (deployment: Deployment) => {
      tried.push(deployment.deploymentId);
      if (tried.length === 1) throw overloaded();
      return 'ok';
    });
    expect(result.value).toBe('ok');
    expect(tried).toEqual(['a/m', 'b/m']);
  });

  it('makes one attempt for a request that can be sent once, keeping the status of its failure', async () => {
    const tried: string[] = [];
    const failure = await runModelCall(
      fastify,
      plan,
      call,
      async (deployment: Deployment) => {
        tried.push(deployment.deploymentId);
        throw overloaded();
      },
      { once: true },
    ).catch((error: unknown) => (error as { cause: unknown }).cause);
    expect(tried).toEqual(['a/m']);
    expect(failure).toBeInstanceOf(UpstreamFailure);
    expect((failure as UpstreamFailure).statusCode).toBe(503);
    expect((failure as UpstreamFailure).retryable).toBe(false);
  });
});
