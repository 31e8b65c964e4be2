/**
 * The provider instances of one gateway, built from the provider descriptors (the manifest,
 * plugins/providers/index.ts) and the `providers` options. Routes and the router reach providers only
 * through it, by instance id, and see nothing but `ProviderAdapter`.
 *
 * Every provider type has an instance named after it, whether the options mention it or not: the one
 * its environment variables configure. An instance without the key it needs is kept, unconfigured, so
 * that a request for one of its models is told which variable to set.
 */
import type { TObject } from '@sinclair/typebox';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { PROVIDER_INSTANCE_KEYS, type ProviderInstanceOptions } from '../schemas/options.js';
import { GatewayError } from './errors.js';
import { describeOptionValue, describeRule } from './options.js';
import {
  configurationHint,
  type InstanceDefaults,
  type ProviderAdapter,
  type ProviderDescriptor,
  type ProviderHealth,
  type ProviderInstance,
  type ProviderServices,
} from './provider.js';

export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

const COMMON_KEYS = new Set<string>(PROVIDER_INSTANCE_KEYS);

/**
 * An instance's own settings (every key but the common ones), defaults filled and checked against
 * its provider's schema; a wrong or unknown key stops the start, naming `providers.<id>.<key>`.
 */
export function resolveInstanceSettings<T = Record<string, unknown>>(
  schema: TObject,
  id: string,
  options: Record<string, unknown>,
): T {
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!COMMON_KEYS.has(key)) own[key] = value;
  const settings = Value.Default(schema, structuredClone(own));
  const first = Value.Errors(schema, settings).First();
  if (first) {
    const key = first.path.replace(/^\//, '').replace(/\//g, '.');
    const rule =
      first.type === ValueErrorType.ObjectAdditionalProperties
        ? 'not a setting of this provider (check its spelling)'
        : describeRule(first);
    throw new ProviderConfigError(
      `Invalid configuration: providers.${id}.${key || '(settings)'}: ${rule}: value was ${first.value === undefined ? 'missing' : describeOptionValue(schema, first.path, first.value)}`,
    );
  }
  return Object.freeze(settings) as T;
}

function checkBaseUrl(id: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProviderConfigError(
      `Invalid configuration: providers.${id}.baseUrl: must be an absolute http(s) URL: value was ${JSON.stringify(value)}`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

/** The variable of the instance named after a type that fills one of its settings, if declared. */
function variableOf(descriptor: ProviderDescriptor, id: string, setting: string): string | undefined {
  if (id !== descriptor.type) return undefined;
  return descriptor.variables.find((variable) => variable.setting === setting)?.name;
}

/** One instance as its options and its provider decide it, before its adapter is built. */
export interface ResolvedInstance {
  readonly settings: Record<string, unknown>;
  /** Checked http(s); '' when the instance cannot serve and names none. */
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly configured: boolean;
  /** The variable that holds its key, for messages that say what to set. */
  readonly apiKeyVariable: string | undefined;
}

/**
 * Settles an instance: its settings checked against its provider's schema, then its base URL and
 * whether it can serve, from its own options first, then what its settings imply (a preset, a
 * credential other than the key), then the provider's defaults. Fails with a ProviderConfigError
 * naming the first wrong setting, or a missing base URL of an instance that could serve.
 */
export function resolveInstance(
  descriptor: ProviderDescriptor,
  id: string,
  options: ProviderInstanceOptions,
): ResolvedInstance {
  const settings = resolveInstanceSettings(descriptor.settings, id, options as Record<string, unknown>);
  const apiKey = options.apiKey ? options.apiKey : undefined;
  let implied: InstanceDefaults = {};
  try {
    implied =
      descriptor.instanceDefaults?.(settings, { baseUrl: options.baseUrl || undefined, apiKey }) ?? {};
  } catch (error) {
    throw new ProviderConfigError(`Invalid configuration: providers.${id}: ${(error as Error).message}`);
  }
  const requiresApiKey = options.requiresApiKey ?? implied.requiresApiKey ?? descriptor.requiresApiKey;
  const configured = apiKey !== undefined || requiresApiKey === false;
  const apiKeyVariable = variableOf(descriptor, id, 'apiKey') ?? implied.apiKeyVariable;
  const baseUrl = options.baseUrl || implied.baseUrl || descriptor.defaultBaseUrl;
  if (!baseUrl) {
    if (configured) {
      const variable = variableOf(descriptor, id, 'baseUrl');
      throw new ProviderConfigError(
        `Invalid configuration: providers.${id}.baseUrl: ${descriptor.displayName} has no default base URL: ` +
          `set ${variable ? `${variable} or ` : ''}providers.${id}.baseUrl`,
      );
    }
    return { settings, baseUrl: '', apiKey, configured, apiKeyVariable };
  }
  return { settings, baseUrl: checkBaseUrl(id, baseUrl), apiKey, configured, apiKeyVariable };
}

/** The adapter of an instance that lacks its key: never called by the router, which skips it. */
function unconfiguredAdapter(type: string, id: string, variable: string | undefined): ProviderAdapter {
  const refuse = (): never => {
    throw new GatewayError('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED', {
      message: `The provider '${id}' is not configured${variable ? ` (set ${variable})` : ''}.`,
      param: 'model',
    });
  };
  return { type, chatParameters: 'all', chat: async () => refuse(), chatStream: async () => refuse() };
}

/** An instance as the options describe it, before anything is built (for start-up messages). */
export interface InstanceSummary {
  readonly id: string;
  readonly type: string;
  readonly configured: boolean;
  readonly builtin: boolean;
}

/** Every instance the options give (one per provider type at least), and whether it can serve. */
export function summarizeInstances(
  descriptors: readonly ProviderDescriptor[],
  options: Readonly<Record<string, ProviderInstanceOptions>>,
): InstanceSummary[] {
  const byType = new Map(descriptors.map((descriptor) => [descriptor.type, descriptor]));
  const all: Record<string, ProviderInstanceOptions> = {};
  for (const descriptor of descriptors) all[descriptor.type] = {};
  Object.assign(all, options);
  return Object.entries(all).flatMap(([id, instance]) => {
    const descriptor = byType.get(instance.type ?? id);
    if (!descriptor || instance.enabled === false) return [];
    let configured: boolean;
    try {
      configured = resolveInstance(descriptor, id, instance).configured;
    } catch {
      // A wrong setting stops the start when the registry is built, with its message.
      configured = false;
    }
    return [{ id, type: descriptor.type, configured, builtin: descriptor.builtin === true }];
  });
}

export class ProviderRegistry {
  readonly #instances = new Map<string, ProviderInstance>();
  readonly descriptors: readonly ProviderDescriptor[];

  private constructor(descriptors: readonly ProviderDescriptor[]) {
    this.descriptors = descriptors;
  }

  /**
   * Checks every instance's options against its provider and builds the adapters of the configured
   * ones. Fails with a ProviderConfigError naming the first wrong setting.
   */
  static async build(
    descriptors: readonly ProviderDescriptor[],
    options: Readonly<Record<string, ProviderInstanceOptions>>,
    services: ProviderServices,
  ): Promise<ProviderRegistry> {
    const registry = new ProviderRegistry(descriptors);
    const byType = new Map<string, ProviderDescriptor>();
    for (const descriptor of descriptors) {
      if (byType.has(descriptor.type)) {
        throw new ProviderConfigError(`Provider type ${descriptor.type} is listed twice in the manifest`);
      }
      byType.set(descriptor.type, descriptor);
    }
    const all: Record<string, ProviderInstanceOptions> = {};
    for (const descriptor of descriptors) all[descriptor.type] = {};
    Object.assign(all, options);

    for (const [id, instance] of Object.entries(all)) {
      if (instance.enabled === false) continue;
      const type = instance.type ?? id;
      const descriptor = byType.get(type);
      if (!descriptor) {
        throw new ProviderConfigError(
          `Invalid configuration: providers.${id}.type: unknown provider type ${JSON.stringify(type)} ` +
            `(known: ${[...byType.keys()].join(', ')})`,
        );
      }
      const { settings, baseUrl, apiKey, configured, apiKeyVariable } = resolveInstance(
        descriptor,
        id,
        instance,
      );
      const adapter = configured
        ? await descriptor.create({ id, type, baseUrl, apiKey, settings }, services)
        : unconfiguredAdapter(
            type,
            id,
            id === type ? (descriptor.configuredBy ?? apiKeyVariable) : undefined,
          );
      const health: ProviderHealth = { lastError: null, lastSuccessAt: null };
      registry.#instances.set(id, {
        id,
        type,
        baseUrl,
        configured,
        adapter,
        descriptor,
        apiKeyVariable,
        health,
        pricing: instance.pricing,
      });
    }
    return registry;
  }

  get(id: string): ProviderInstance | undefined {
    return this.#instances.get(id);
  }

  list(): ProviderInstance[] {
    return [...this.#instances.values()];
  }

  configured(): ProviderInstance[] {
    return this.list().filter((instance) => instance.configured);
  }

  /** Configured instances that serve real models (no built-in provider): what makes the gateway ready. */
  serving(): ProviderInstance[] {
    return this.configured().filter((instance) => !instance.descriptor.builtin);
  }

  /** The variables that would configure a provider: named in messages when none is configured. */
  keyVariables(): string[] {
    return this.descriptors
      .filter((descriptor) => !descriptor.builtin)
      .flatMap((descriptor) => configurationHint(descriptor) ?? []);
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((instance) => instance.adapter.close?.()));
  }
}
