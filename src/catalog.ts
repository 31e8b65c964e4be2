/**
 * The model catalog: what each model is, who serves it, what it can do and what it costs.
 * Entries come from the options (`models`); without them, from the entries each provider ships in
 * its folder (plugins/providers/<type>/models.yaml, read once at start). docs/catalog.md.
 */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { CatalogModelSchema, type Capability, type CatalogModel } from '../schemas/catalog.js';
import type { DiscoveredModel, ProviderDescriptor, Usage } from './provider.js';

export type { CatalogModel, Capability };

export class CatalogError extends Error {
  override name = 'CatalogError';
}

export function normalizeCatalogEntry(raw: unknown): CatalogModel {
  const entry = Value.Default(CatalogModelSchema, structuredClone(raw));
  if (!Value.Check(CatalogModelSchema, entry)) {
    const first = Value.Errors(CatalogModelSchema, entry).First();
    const id = (raw as { id?: unknown })?.id;
    throw new CatalogError(
      `Invalid model catalog entry ${JSON.stringify(id ?? raw)}: ${first?.path || '/'} ${first?.message ?? 'is invalid'}`,
    );
  }
  return Object.freeze(entry);
}

/** The catalog the providers ship: each descriptor's `models.yaml`, in manifest order. */
export function loadShippedCatalog(descriptors: readonly ProviderDescriptor[]): unknown[] {
  return descriptors.flatMap((descriptor) => {
    if (!descriptor.catalog) return [];
    const parsed = parseYaml(readFileSync(descriptor.catalog, 'utf8')) as { models?: unknown[] } | null;
    return parsed?.models ?? [];
  });
}

/** A model an instance's server serves, as the catalog holds it: named `<instance>/<model>`. */
export interface DiscoveredEntry extends DiscoveredModel {
  /** The instance that serves it. */
  readonly provider: string;
  /** `<instance>/<model>`: the name it is listed by. */
  readonly name: string;
}

export class Catalog {
  readonly #models = new Map<string, CatalogModel>();
  /** Discovered models by instance, replaced whole at each discovery. */
  readonly #discovered = new Map<string, readonly DiscoveredEntry[]>();
  /** Discovered models by `<instance>/<model>`, and by model name (several when several serve it). */
  #discoveredByName = new Map<string, DiscoveredEntry>();
  #discoveredByModel = new Map<string, DiscoveredEntry[]>();

  constructor(entries: readonly unknown[]) {
    for (const raw of entries) {
      const entry = normalizeCatalogEntry(raw);
      this.#models.set(entry.id, entry);
    }
  }

  /** Replaces what is known of the models an instance's server serves. */
  setDiscovered(provider: string, models: readonly DiscoveredModel[]): void {
    const seen = new Set<string>();
    const entries: DiscoveredEntry[] = [];
    for (const model of models) {
      if (seen.has(model.id)) continue;
      seen.add(model.id);
      entries.push(Object.freeze({ ...model, provider, name: `${provider}/${model.id}` }));
    }
    this.#discovered.set(provider, Object.freeze(entries));
    // Rebuilt rather than patched: a refresh is rare, a lookup is per request.
    const byName = new Map<string, DiscoveredEntry>();
    const byModel = new Map<string, DiscoveredEntry[]>();
    for (const list of this.#discovered.values()) {
      for (const entry of list) {
        byName.set(entry.name, entry);
        byModel.set(entry.id, [...(byModel.get(entry.id) ?? []), entry]);
      }
    }
    this.#discoveredByName = byName;
    this.#discoveredByModel = byModel;
  }

  /** Every discovered model, by instance in the order they were discovered. */
  discovered(): DiscoveredEntry[] {
    return [...this.#discovered.values()].flat();
  }

  /**
   * The discovered model a name means: `<instance>/<model>`, or the model's own name when one
   * instance only serves a model by that name.
   */
  findDiscovered(name: string): DiscoveredEntry | undefined {
    const named = this.#discoveredByName.get(name);
    if (named) return named;
    const serving = this.#discoveredByModel.get(name);
    return serving?.length === 1 ? serving[0] : undefined;
  }

  get(id: string): CatalogModel | undefined {
    return this.#models.get(id);
  }

  /** The entry for a provider's own model name (so `openai/gpt-4o` still knows gpt-4o's prices). */
  findByUpstream(provider: string, upstreamModel: string): CatalogModel | undefined {
    for (const model of this.#models.values()) {
      if (model.provider === provider && (model.upstream ?? model.id) === upstreamModel) return model;
    }
    return undefined;
  }

  list(): CatalogModel[] {
    return [...this.#models.values()];
  }
}

export function hasCapability(model: CatalogModel | undefined, capability: Capability): boolean {
  return model?.capabilities.includes(capability) ?? false;
}

export type Pricing = CatalogModel['pricing'];

/** Whether a price list prices anything (an all-empty list is no price at all). */
export function hasPrice(pricing: Pricing | undefined): pricing is Pricing {
  return pricing !== undefined && Object.values(pricing).some((price) => typeof price === 'number');
}

/**
 * The prices of what a deployment serves: its catalog entry's, else the default prices of its
 * provider instance (`providers.<id>.pricing`), else none (unknown).
 */
export function pricingOf(
  deployment:
    { model?: CatalogModel | undefined; instance?: { pricing?: Pricing | undefined } } | null | undefined,
): Pricing | undefined {
  if (!deployment) return undefined;
  if (hasPrice(deployment.model?.pricing)) return deployment.model.pricing;
  return hasPrice(deployment.instance?.pricing) ? deployment.instance.pricing : undefined;
}

/**
 * Cost in USD of one call's usage, by prices per 1M tokens: prompt tokens read from a cache at
 * `cached_input`, written to one at `cache_write` (each at the input price when there is none), the
 * rest at `input`; audio tokens (when the usage tells them apart) at `audio_input`,
 * `cached_audio_input` and `audio_output` (at the text prices when there are none); speech by its
 * characters at `per_million_characters`.
 */
export function costOf(pricing: Pricing | undefined, usage: Usage | undefined): number {
  if (!pricing || !usage) return 0;
  const { input = 0, output = 0 } = pricing;
  const cachedPrice = pricing.cached_input ?? input;
  const cacheWritePrice = pricing.cache_write ?? input;
  const audioInputPrice = pricing.audio_input ?? input;
  const cachedAudioPrice = pricing.cached_audio_input ?? pricing.audio_input ?? cachedPrice;
  const audioOutputPrice = pricing.audio_output ?? output;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const cachedAudio = Math.min(usage.cachedAudioTokens ?? 0, cached);
  const audioIn = Math.min(usage.audioPromptTokens ?? 0, usage.promptTokens - cached + cachedAudio);
  const written = Math.min(usage.cacheWriteTokens ?? 0, usage.promptTokens - cached);
  const audioOut = Math.min(usage.audioCompletionTokens ?? 0, usage.completionTokens);
  const characters =
    usage.characters && pricing.per_million_characters
      ? usage.characters * pricing.per_million_characters
      : 0;
  const images = usage.images && pricing.per_image ? usage.images * pricing.per_image * 1_000_000 : 0;
  // Prompt tokens: text read from the cache, audio read from it, audio not cached, the rest text.
  const uncachedAudio = audioIn - cachedAudio;
  const textInput = Math.max(0, usage.promptTokens - cached - written - uncachedAudio);
  return (
    (textInput * input +
      (cached - cachedAudio) * cachedPrice +
      cachedAudio * cachedAudioPrice +
      uncachedAudio * audioInputPrice +
      written * cacheWritePrice +
      (usage.completionTokens - audioOut) * output +
      audioOut * audioOutputPrice +
      characters +
      images) /
    1_000_000
  );
}

/**
 * The prices of a model's calls made through a batch: its `batch_input` and `batch_output`, else
 * half of its input and output prices (cached input too), as the Batch API is priced.
 * @see https://platform.openai.com/docs/guides/batch
 */
export function batchPricingOf(pricing: Pricing | undefined): Pricing | undefined {
  if (!pricing) return undefined;
  const half = (price: number | undefined) => (price === undefined ? undefined : price / 2);
  return {
    input: pricing.batch_input ?? half(pricing.input),
    output: pricing.batch_output ?? half(pricing.output),
    cached_input: pricing.batch_input ?? half(pricing.cached_input),
  };
}
