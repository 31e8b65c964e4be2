/**
 * The provider's catalog entries (models.yaml beside this file, in the schema of
 * config/models.yaml), read once and checked entry by entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { normalizeCatalogEntry, type CatalogModel } from '../../../src/catalog.js';
import { PACKAGE_ROOT } from '../../../src/package-root.js';

/** Where the entries live, from the package folder (the same path in src/ and in dist/). */
export const ANTHROPIC_CATALOG_FILE = join('plugins', 'providers', 'anthropic', 'models.yaml');

/** The raw entries, as the catalog loader takes them. */
export function loadAnthropicCatalog(): unknown[] {
  const parsed = parseYaml(readFileSync(join(PACKAGE_ROOT, ANTHROPIC_CATALOG_FILE), 'utf8')) as {
    models?: unknown[];
  };
  return parsed.models ?? [];
}

/** The entries, validated (a bad entry throws naming it). */
export function anthropicCatalogEntries(): CatalogModel[] {
  return loadAnthropicCatalog().map(normalizeCatalogEntry);
}
