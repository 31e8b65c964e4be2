/**
 * A server's GET /v1/models answer → the models it serves now. Entries without a string id are
 * skipped; the context window is read where a server gives it: vLLM's `max_model_len`, Mistral's
 * `max_context_length`, Together's `context_length`.
 * @see https://platform.openai.com/docs/api-reference/models/list
 * @see https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html
 * @see https://docs.mistral.ai/api/#tag/models
 * @see https://docs.together.ai/reference/models-1
 */
import type { DiscoveredModel } from '../../../src/provider.js';
import type { OpenAIModelListWire } from '../openai/openai-api.js';

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

export function convertCompatibleModels(wire: OpenAIModelListWire): DiscoveredModel[] {
  const models: DiscoveredModel[] = [];
  for (const entry of Array.isArray(wire.data) ? wire.data : []) {
    if (!entry || typeof entry.id !== 'string' || entry.id.length === 0) continue;
    const model: { -readonly [K in keyof DiscoveredModel]: DiscoveredModel[K] } = { id: entry.id };
    const created = positiveInteger(entry.created);
    if (created !== undefined) model.created = created;
    if (typeof entry.owned_by === 'string' && entry.owned_by) model.ownedBy = entry.owned_by;
    const contextWindow =
      positiveInteger(entry['max_model_len']) ??
      positiveInteger(entry['max_context_length']) ??
      positiveInteger(entry['context_length']);
    if (contextWindow !== undefined) model.contextWindow = contextWindow;
    models.push(model);
  }
  return models;
}
