/** Deployments and health objects for the router's pure tests. */
import { Value } from '@sinclair/typebox/value';
import { CatalogModelSchema, type CatalogModel } from '../../schemas/catalog.js';
import { RoutingOptionsSchema, type RoutingOptions } from '../../schemas/options.js';
import type { ProviderAdapter, ProviderDescriptor, ProviderInstance } from '../../src/provider.js';
import type { Deployment } from '../../src/routing/deployment.js';
import type { HealthSettings } from '../../src/routing/health.js';

export function instance(id: string, configured = true): ProviderInstance {
  return {
    id,
    type: 'fake',
    baseUrl: `http://${id}.invalid`,
    configured,
    adapter: {} as ProviderAdapter,
    descriptor: {} as ProviderDescriptor,
    apiKeyVariable: `${id.toUpperCase()}_API_KEY`,
    health: { lastError: null, lastSuccessAt: null },
  };
}

export function catalogModel(fields: Partial<CatalogModel> & { id: string; provider: string }): CatalogModel {
  return Value.Default(CatalogModelSchema, structuredClone(fields)) as CatalogModel;
}

export function deployment(id: string, fields: Partial<Deployment> = {}): Deployment {
  const provider = fields.instance ?? instance(id.split('/')[0] ?? id);
  return {
    deploymentId: id,
    instance: provider,
    upstreamModel: id.split('/')[1] ?? id,
    model: undefined,
    weight: 1,
    priority: 0,
    ...fields,
  };
}

export function routingOptions(overrides: Partial<RoutingOptions> = {}): RoutingOptions {
  return { ...(Value.Default(RoutingOptionsSchema, {}) as RoutingOptions), ...overrides };
}

export const HEALTH: HealthSettings = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  minimumRequests: 10,
  windowMs: 60_000,
  cooldownMs: 30_000,
  badKeyCooldownMs: 300_000,
  smoothing: 0.5,
};

/** A clock the test moves by hand; `sleep` advances it instead of waiting. */
export class ManualClock {
  time = 1_000_000;
  readonly sleeps: number[] = [];
  randomValue = 0.5;
  now = () => this.time;
  random = () => this.randomValue;
  sleep = async (ms: number, signal: AbortSignal) => {
    if (signal.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.time += ms;
  };
}
