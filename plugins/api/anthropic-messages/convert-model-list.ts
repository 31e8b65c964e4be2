/**
 * The gateway's models in Anthropic's shape, for `GET /v1/models` and `GET /v1/models/{id}` asked
 * with an `anthropic-version` header (as Anthropic's SDKs and coding agents ask): each model as
 * `{type: "model", id, display_name, created_at, max_input_tokens, max_tokens}`, the list as one page
 * `{data, has_more, first_id, last_id}` cut by `limit`, `after_id` and `before_id`.
 * @see https://docs.anthropic.com/en/api/models-list
 */

/** What the gateway knows of a model it lists (a catalog entry, or an alias or group). */
export interface ListedModel {
  readonly id: string;
  /** Unix seconds; 0 when unknown. */
  readonly created: number;
  readonly context_window?: number;
  readonly max_output_tokens?: number;
}

export interface MessagesModelInfo {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
  max_input_tokens: number | null;
  max_tokens: number | null;
}

export interface MessagesModelPage {
  data: MessagesModelInfo[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

export interface ModelPageQuery {
  limit?: number;
  after_id?: string;
  before_id?: string;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

export function convertToModelInfo(model: ListedModel): MessagesModelInfo {
  return {
    type: 'model',
    id: model.id,
    display_name: model.id,
    created_at: new Date(model.created * 1000).toISOString(),
    max_input_tokens: model.context_window ?? null,
    max_tokens: model.max_output_tokens ?? null,
  };
}

/** One page of `models`: after `after_id`, or the last `limit` before `before_id`, or the first ones. */
export function convertToModelPage(models: readonly ListedModel[], query: ModelPageQuery): MessagesModelPage {
  const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  let start = 0;
  let end = models.length;
  if (query.after_id !== undefined) {
    start = models.findIndex((model) => model.id === query.after_id) + 1;
    if (start === 0) start = models.length;
    end = Math.min(models.length, start + limit);
  } else if (query.before_id !== undefined) {
    end = models.findIndex((model) => model.id === query.before_id);
    if (end === -1) end = 0;
    start = Math.max(0, end - limit);
  } else end = Math.min(models.length, limit);
  const data = models.slice(start, end).map(convertToModelInfo);
  return {
    data,
    has_more: query.before_id !== undefined ? start > 0 : end < models.length,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}
