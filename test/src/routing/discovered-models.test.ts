/**
 * Models discovered on the providers' servers, in the catalog and in route plans: by
 * `<instance>/<model>`, by their own name when one instance alone serves it, never over a catalog
 * model, a routing entry or an instance's own `<instance>/<model>`.
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog.js';
import type { GatewayError } from '../../../src/errors.js';
import type { ProviderInstance } from '../../../src/provider.js';
import { availableModels, resolvePlan, type ProviderLookup } from '../../../src/routing/deployment.js';
import { instance, routingOptions } from '../../helpers/deployments.js';

function providers(...instances: ProviderInstance[]): ProviderLookup {
  const byId = new Map(instances.map((each) => [each.id, each]));
  return { get: (id) => byId.get(id), configured: () => instances.filter((each) => each.configured) };
}

function catalogWith(): Catalog {
  const catalog = new Catalog([
    { id: 'gpt-4o', provider: 'openai', pricing: { input: 2.5, output: 10 } },
    {
      id: 'ollama/llama3.2:latest',
      provider: 'ollama',
      upstream: 'llama3.2:latest',
      pricing: { input: 0.1 },
    },
  ]);
  catalog.setDiscovered('vllm', [
    { id: 'meta-llama/Llama-3.1-8B-Instruct', contextWindow: 131072 },
    { id: 'gpt-4o' },
    { id: 'shared' },
    { id: 'openai/gpt-oss-20b' },
  ]);
  catalog.setDiscovered('ollama', [
    { id: 'llama3.2:latest', created: 5 },
    { id: 'shared' },
    { id: 'shared' },
  ]);
  return catalog;
}

const lookup = providers(
  instance('openai'),
  instance('vllm'),
  instance('ollama'),
  instance('offline', false),
);
const plan = (catalog: Catalog, name: string, routing = routingOptions()) =>
  resolvePlan(name, 'chat', catalog, lookup, routing).tiers[0]!;

function errorOf(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected an error');
}

describe('discovered models in the catalog', () => {
  it('are listed by instance as <instance>/<model>, once each', () => {
    const catalog = catalogWith();
    expect(catalog.discovered().map((model) => model.name)).toEqual([
      'vllm/meta-llama/Llama-3.1-8B-Instruct',
      'vllm/gpt-4o',
      'vllm/shared',
      'vllm/openai/gpt-oss-20b',
      'ollama/llama3.2:latest',
      'ollama/shared',
    ]);
    expect(catalog.findDiscovered('vllm/shared')).toMatchObject({ provider: 'vllm', id: 'shared' });
    expect(catalog.findDiscovered('meta-llama/Llama-3.1-8B-Instruct')).toMatchObject({
      provider: 'vllm',
      contextWindow: 131072,
    });
    // Two instances serve `shared`: its name alone means neither.
    expect(catalog.findDiscovered('shared')).toBeUndefined();
  });

  it("are replaced whole by an instance's next discovery", () => {
    const catalog = catalogWith();
    catalog.setDiscovered('ollama', [{ id: 'qwen2.5:7b' }]);
    expect(catalog.findDiscovered('llama3.2:latest')).toBeUndefined();
    expect(catalog.findDiscovered('qwen2.5:7b')).toMatchObject({ provider: 'ollama' });
    // `shared` is now vllm's alone.
    expect(catalog.findDiscovered('shared')).toMatchObject({ provider: 'vllm' });
    catalog.setDiscovered('ollama', []);
    expect(catalog.discovered().every((model) => model.provider === 'vllm')).toBe(true);
  });
});

describe('discovered models in route plans', () => {
  it('route by their own name, priced by a catalog entry of the same instance when there is one', () => {
    const catalog = catalogWith();
    expect(plan(catalog, 'meta-llama/Llama-3.1-8B-Instruct')).toMatchObject([
      {
        deploymentId: 'vllm/meta-llama/Llama-3.1-8B-Instruct',
        upstreamModel: 'meta-llama/Llama-3.1-8B-Instruct',
        model: undefined,
      },
    ]);
    expect(plan(catalog, 'ollama/shared')[0]).toMatchObject({ deploymentId: 'ollama/shared' });
    expect(plan(catalog, 'llama3.2:latest')[0]?.model?.id).toBe('ollama/llama3.2:latest');
  });

  it('never take a name that means something else: a catalog model, a routing entry, an instance', () => {
    const catalog = catalogWith();
    expect(plan(catalog, 'gpt-4o')[0]?.deploymentId).toBe('openai/gpt-4o');
    const routing = routingOptions({
      models: {
        'meta-llama/Llama-3.1-8B-Instruct': { deployments: [{ provider: 'openai', model: 'gpt-4o' }] },
      } as never,
    });
    expect(plan(catalog, 'meta-llama/Llama-3.1-8B-Instruct', routing)[0]?.deploymentId).toBe('openai/gpt-4o');
    // `openai/gpt-oss-20b` names the instance openai first.
    expect(plan(catalog, 'openai/gpt-oss-20b')[0]?.deploymentId).toBe('openai/gpt-oss-20b');
    expect(plan(catalog, 'vllm/openai/gpt-oss-20b')[0]?.instance.id).toBe('vllm');
  });

  it('are offered in errors and listings while their instance serves, and not once it is gone', () => {
    const catalog = catalogWith();
    catalog.setDiscovered('offline', [{ id: 'ghost' }]);
    const available = availableModels(catalog, lookup, 'chat');
    expect(available).toEqual(expect.arrayContaining(['vllm/shared', 'ollama/shared', 'gpt-4o']));
    expect(available).not.toContain('offline/ghost');
    const error = errorOf(() => resolvePlan('shared', 'chat', catalog, lookup, routingOptions()));
    expect(error.gatewayCode).toBe('GW_ERR_MODEL_NOT_FOUND');
    expect(error.details?.['available_models']).toEqual(
      expect.arrayContaining(['vllm/shared', 'ollama/shared']),
    );
    expect(errorOf(() => resolvePlan('ghost', 'chat', catalog, lookup, routingOptions())).gatewayCode).toBe(
      'GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED',
    );
  });
});
