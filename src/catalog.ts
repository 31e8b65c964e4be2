/**
 * The model catalog: what each model is, who serves it, what it can do and what it costs.
 * Entries come from the options (`models`); without them, from the entries each provider ships in
 * its folder (plugins/providers/<type>/models.yaml, read once at start). docs/catalog.md.
 */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { CatalogModelSchema, type Capability, type CatalogModel } from '../schemas/catalog.js';
import type { ProviderDescriptor, Usage } from './provider.js';

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

export class Catalog {
  readonly #models = new Map<string, CatalogModel>();

  constructor(entries: readonly unknown[]) {
    for (const raw of entries) {
      const entry = normalizeCatalogEntry(raw);
      this.#models.set(entry.id, entry);
    }
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
 * rest at `input`; speech by its characters at `per_million_characters`.
 */
export function costOf(pricing: Pricing | undefined, usage: Usage | undefined): number {
  if (!pricing || !usage) return 0;
  const { input = 0, output = 0 } = pricing;
  const cachedPrice = pricing.cached_input ?? input;
  const cacheWritePrice = pricing.cache_write ?? input;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const written = Math.min(usage.cacheWriteTokens ?? 0, usage.promptTokens - cached);
  const characters =
    usage.characters && pricing.per_million_characters
      ? usage.characters * pricing.per_million_characters
      : 0;
  return (
    ((usage.promptTokens - cached - written) * input +
      cached * cachedPrice +
      written * cacheWritePrice +
      usage.completionTokens * output +
      characters) /
    1_000_000
  );
}
