/**
 * The models the gateway serves, as Gemini's `models.list` and `models.get` describe them: the
 * catalog's chat and embedding models whose provider is configured, and the aliases and groups of
 * those kinds, each named `models/<name>` with the methods it can serve through this door.
 * @see https://ai.google.dev/api/models
 */
import type { CatalogModel } from '../../../src/catalog.js';
import { GatewayError } from '../../../src/errors.js';
import type { Router } from '../../../src/routing/router.js';

export interface GeminiModel {
  name: string;
  baseModelId: string;
  displayName: string;
  description?: string;
  inputTokenLimit?: number;
  outputTokenLimit?: number;
  supportedGenerationMethods: string[];
  thinking?: boolean;
}

const GENERATE_METHODS = ['generateContent', 'streamGenerateContent', 'countTokens'];
const EMBED_METHODS = ['embedContent', 'batchEmbedContents'];
const METHODS_OF: Partial<Record<CatalogModel['type'], string[]>> = {
  chat: GENERATE_METHODS,
  embeddings: EMBED_METHODS,
};

const DEFAULT_PAGE_SIZE = 50;

function fromCatalog(model: CatalogModel, methods: string[]): GeminiModel {
  const described: GeminiModel = {
    name: `models/${model.id}`,
    baseModelId: model.id,
    displayName: model.id,
    description: `${model.id}, served by ${model.provider}`,
    supportedGenerationMethods: methods,
  };
  if (model.context_window !== undefined) described.inputTokenLimit = model.context_window;
  if (model.max_output_tokens !== undefined) described.outputTokenLimit = model.max_output_tokens;
  if (model.type === 'chat') described.thinking = model.capabilities.includes('reasoning');
  return described;
}

function fromRoute(route: ReturnType<Router['routes']>[number], methods: string[]): GeminiModel {
  return {
    name: `models/${route.name}`,
    baseModelId: route.name,
    displayName: route.name,
    description:
      route.description ??
      `${route.kind === 'group' ? 'A group' : 'An alias'} of ${route.targets.join(', ')}`,
    supportedGenerationMethods: methods,
  };
}

export interface ModelSources {
  readonly router: Router;
  readonly catalog: { list(): CatalogModel[] };
  /** Ids of the configured provider instances. */
  readonly configured: ReadonlySet<string>;
  /** The caller's allow-list, when it has one. */
  readonly allows: (name: string) => boolean;
}

/** Every model a caller may use through this door: aliases and groups first, then the catalog's. */
export function geminiModels(sources: ModelSources): GeminiModel[] {
  const models: GeminiModel[] = [];
  for (const [kind, methods] of Object.entries(METHODS_OF) as [CatalogModel['type'], string[]][]) {
    for (const route of sources.router.routes(kind)) {
      if (sources.allows(route.name)) models.push(fromRoute(route, methods));
    }
  }
  for (const model of sources.catalog.list()) {
    const methods = METHODS_OF[model.type];
    if (methods && sources.configured.has(model.provider) && sources.allows(model.id)) {
      models.push(fromCatalog(model, methods));
    }
  }
  return models;
}

/** One page of the list; the page token is the offset of the page (opaque to clients). */
export function pageOf(
  models: GeminiModel[],
  pageSize: number | undefined,
  pageToken: string | undefined,
): { models: GeminiModel[]; nextPageToken?: string } {
  const start = pageToken === undefined || pageToken === '' ? 0 : Number(pageToken);
  if (!Number.isInteger(start) || start < 0) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `'pageToken' is not a page token this gateway gave: ${pageToken}.`,
      param: 'pageToken',
    });
  }
  const end = start + (pageSize ?? DEFAULT_PAGE_SIZE);
  const page: { models: GeminiModel[]; nextPageToken?: string } = { models: models.slice(start, end) };
  if (end < models.length) page.nextPageToken = String(end);
  return page;
}
