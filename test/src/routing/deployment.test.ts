import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog.js';
import type { GatewayError } from '../../../src/errors.js';
import type { ProviderInstance } from '../../../src/provider.js';
import { resolvePlan, routeNames, type ProviderLookup } from '../../../src/routing/deployment.js';
import { chatRequirements, unfitReason } from '../../../src/routing/requirements.js';
import { instance, routingOptions } from '../../helpers/deployments.js';

const catalog = new Catalog([
  {
    id: 'gpt-4o',
    provider: 'openai',
    context_window: 128000,
    max_output_tokens: 16384,
    capabilities: ['chat', 'tools', 'vision'],
    pricing: { input: 2.5, output: 10 },
  },
  {
    id: 'gpt-4o-mini',
    provider: 'openai',
    context_window: 128000,
    capabilities: ['chat', 'tools'],
    pricing: { input: 0.15, output: 0.6 },
  },
  {
    id: 'gemini-2.5-pro',
    provider: 'gemini',
    context_window: 1048576,
    capabilities: ['chat', 'tools', 'vision'],
  },
  { id: 'gemini-2.5-flash', provider: 'gemini', context_window: 1048576, capabilities: ['chat'] },
  { id: 'tiny', provider: 'openai', context_window: 1000, capabilities: ['chat'] },
  { id: 'text-embedding-3-small', provider: 'openai', type: 'embeddings' },
  { id: 'gemini-embedding-001', provider: 'gemini', type: 'embeddings' },
]);

function providers(...instances: ProviderInstance[]): ProviderLookup {
  const byId = new Map(instances.map((each) => [each.id, each]));
  return { get: (id) => byId.get(id), configured: () => instances.filter((each) => each.configured) };
}

const all = providers(instance('openai'), instance('gemini'), instance('openai-eu'), instance('vllm'));

function errorOf(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected an error');
}

describe('resolvePlan', () => {
  it('resolves a catalog id to its provider and upstream name', () => {
    const plan = resolvePlan('gpt-4o', 'chat', catalog, all, routingOptions());
    expect(plan.tiers).toHaveLength(1);
    expect(plan.tiers[0]!.map((each) => each.deploymentId)).toEqual(['openai/gpt-4o']);
    expect(plan.tiers[0]![0]!.model?.id).toBe('gpt-4o');
    expect(plan.strategy).toBe('priority');
  });

  it('resolves <provider>/<model> for models the catalog does not list', () => {
    const plan = resolvePlan('vllm/meta-llama/Llama-3-70b', 'chat', catalog, all, routingOptions());
    expect(plan.tiers[0]![0]).toMatchObject({
      deploymentId: 'vllm/meta-llama/Llama-3-70b',
      upstreamModel: 'meta-llama/Llama-3-70b',
      model: undefined,
    });
  });

  it('serves a model from several deployments with weights and priorities', () => {
    const routing = routingOptions({
      strategy: 'weighted',
      models: {
        'gpt-4o': {
          deployments: [
            { provider: 'openai', weight: 3 },
            { provider: 'openai-eu', model: 'gpt-4o-2024-11-20', weight: 1, priority: 1 },
          ],
        },
      },
    });
    const [tier] = resolvePlan('gpt-4o', 'chat', catalog, all, routing).tiers;
    expect(tier!.map((each) => [each.deploymentId, each.weight, each.priority])).toEqual([
      ['openai/gpt-4o', 3, 0],
      ['openai-eu/gpt-4o-2024-11-20', 1, 1],
    ]);
    // Both carry the catalog entry of the model they serve (prices, limits, capabilities).
    expect(tier!.every((each) => each.model?.id === 'gpt-4o')).toBe(true);
  });

  it('expands a group over its models, with its own strategy, and falls back across providers', () => {
    const routing = routingOptions({
      models: {
        fast: { models: ['gpt-4o-mini', 'gemini-2.5-flash'], strategy: 'cost' },
        'gpt-4o': { fallbacks: ['gemini-2.5-pro'] },
        smart: { models: ['gpt-4o'], fallbacks: ['fast'] },
      },
    });
    const fast = resolvePlan('fast', 'chat', catalog, all, routing);
    expect(fast.strategy).toBe('cost');
    expect(fast.tiers[0]!.map((each) => each.deploymentId)).toEqual([
      'openai/gpt-4o-mini',
      'gemini/gemini-2.5-flash',
    ]);
    const gpt = resolvePlan('gpt-4o', 'chat', catalog, all, routing);
    expect(gpt.tiers.map((tier) => tier.map((each) => each.deploymentId))).toEqual([
      ['openai/gpt-4o'],
      ['gemini/gemini-2.5-pro'],
    ]);
    const smart = resolvePlan('smart', 'chat', catalog, all, routing);
    expect(smart.tiers.map((tier) => tier.map((each) => each.deploymentId))).toEqual([
      ['openai/gpt-4o'],
      ['openai/gpt-4o-mini', 'gemini/gemini-2.5-flash'],
    ]);
  });

  it('survives a group that names itself', () => {
    const routing = routingOptions({ models: { loop: { models: ['loop', 'gpt-4o'] } } });
    expect(
      resolvePlan('loop', 'chat', catalog, all, routing).tiers[0]!.map((each) => each.deploymentId),
    ).toEqual(['openai/gpt-4o']);
  });

  it('drops deployments whose provider is not configured, and says which variable to set when none is left', () => {
    const noGemini = providers(instance('openai'), instance('gemini', false));
    const routing = routingOptions({ models: { 'gpt-4o': { fallbacks: ['gemini-2.5-pro'] } } });
    expect(resolvePlan('gpt-4o', 'chat', catalog, noGemini, routing).tiers).toHaveLength(1);
    const error = errorOf(() => resolvePlan('gemini-2.5-pro', 'chat', catalog, noGemini, routing));
    expect(error.gatewayCode).toBe('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED');
    expect(error.message).toContain('GEMINI_API_KEY');
  });

  it('refuses a model of another kind, and an unknown name with the names that exist', () => {
    expect(
      errorOf(() => resolvePlan('text-embedding-3-small', 'chat', catalog, all, routingOptions()))
        .gatewayCode,
    ).toBe('GW_ERR_MODEL_WRONG_TYPE');
    const routing = routingOptions({
      models: { fast: { models: ['gpt-4o-mini'] }, vectors: { models: ['gemini-embedding-001'] } },
    });
    const error = errorOf(() => resolvePlan('nope', 'chat', catalog, all, routing));
    expect(error.gatewayCode).toBe('GW_ERR_MODEL_NOT_FOUND');
    const available = error.details?.['available_models'] as string[];
    expect(available).toEqual(expect.arrayContaining(['fast', 'gpt-4o', 'gemini-2.5-pro']));
    expect(available).not.toContain('vectors');
    expect(available).not.toContain('text-embedding-3-small');
    expect(routeNames(routing, 'embeddings', catalog, all)).toEqual(['vectors']);
  });

  it('lets a model serve the kinds its catalog entry lists besides its type, and only those', () => {
    const withAudio = new Catalog([
      { id: 'hears', provider: 'gemini', serves: ['transcription'] },
      { id: 'deaf', provider: 'gemini' },
      { id: 'whisper-1', provider: 'openai', type: 'transcription' },
    ]);
    const plan = resolvePlan('hears', 'transcription', withAudio, all, routingOptions());
    expect(plan.tiers[0]!.map((each) => each.deploymentId)).toEqual(['gemini/hears']);
    expect(resolvePlan('hears', 'chat', withAudio, all, routingOptions()).tiers).toHaveLength(1);
    expect(errorOf(() => resolvePlan('hears', 'speech', withAudio, all, routingOptions())).gatewayCode).toBe(
      'GW_ERR_MODEL_WRONG_TYPE',
    );
    expect(
      errorOf(() => resolvePlan('deaf', 'transcription', withAudio, all, routingOptions())).message,
    ).toBe("The model 'deaf' is a chat model and cannot serve transcription requests.");
    const unknown = errorOf(() => resolvePlan('nope', 'transcription', withAudio, all, routingOptions()));
    expect(unknown.details?.['available_models']).toEqual(['hears', 'whisper-1']);
  });
});

describe('request requirements', () => {
  const gpt4o = resolvePlan('gpt-4o', 'chat', catalog, all, routingOptions()).tiers[0]![0]!;
  const flash = resolvePlan('gemini-2.5-flash', 'chat', catalog, all, routingOptions()).tiers[0]![0]!;
  const tiny = resolvePlan('tiny', 'chat', catalog, all, routingOptions()).tiers[0]![0]!;

  it('needs tools, vision and JSON schema when the request uses them', () => {
    const requirements = chatRequirements({
      model: 'x',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } },
          ],
        },
      ],
      tools: [{ type: 'function', function: { name: 'f' } }],
      response_format: { type: 'json_schema', json_schema: { name: 'r' } },
    });
    expect(requirements.capabilities.sort()).toEqual(['json_schema', 'tools', 'vision']);
    expect(unfitReason(flash, requirements)).toMatch(/lacks (?=.*tools)(?=.*vision)(?=.*json_schema)/);
    expect(unfitReason(gpt4o, requirements)).toContain('json_schema');
  });

  it('needs room for the prompt and the completion in the context window', () => {
    const long = chatRequirements({
      model: 'x',
      messages: [{ role: 'user', content: 'word '.repeat(1000) }],
      max_tokens: 100,
    });
    expect(long.estimate.promptTokens).toBe(1250);
    expect(unfitReason(tiny, long)).toContain('1000-token context window');
    expect(unfitReason(gpt4o, long)).toBeUndefined();
    const greedy = chatRequirements({
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 20000,
    });
    expect(unfitReason(gpt4o, greedy)).toContain('at most 16384');
  });

  it('lets a model outside the catalog take anything', () => {
    const adHoc = resolvePlan('vllm/llama', 'chat', catalog, all, routingOptions()).tiers[0]![0]!;
    expect(
      unfitReason(
        adHoc,
        chatRequirements({
          model: 'x',
          messages: [{ role: 'user', content: 'x'.repeat(100000) }],
          tools: [{ type: 'function', function: { name: 'f' } }],
        }),
      ),
    ).toBeUndefined();
  });
});
