/**
 * The `response` object the gateway answers for a translated request: the request's settings echoed
 * as OpenAI echoes them, the output items, the status and the usage.
 * @see https://platform.openai.com/docs/api-reference/responses/object
 */
import type { ResponsesRequest } from '../../../schemas/responses.js';
import type { Usage } from '../../../src/provider.js';
import { randomHex } from '../../../src/random-hex.js';

/**
 * An id in OpenAI's form (`resp_…`, `msg_…`, `fc_…`, `rs_…`): 48 random hex digits, so that an id
 * cannot be guessed (ownership is checked too, see response-store.ts).
 */
export function newResponseId(prefix: string): string {
  return `${prefix}_${randomHex(24)}`;
}

/** Function tools as a response lists them: every field present, null where the request had none. */
function toolsAsRequested(tools: ResponsesRequest['tools']): Record<string, unknown>[] {
  return (tools ?? []).map((tool: Record<string, unknown>) => ({
    type: 'function',
    name: tool['name'],
    description: tool['description'] ?? null,
    parameters: tool['parameters'] ?? null,
    strict: tool['strict'] ?? null,
  }));
}

export interface ResponseFields {
  readonly id: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly model: string;
  readonly status: 'in_progress' | 'completed' | 'incomplete';
  readonly output: readonly Record<string, unknown>[];
  readonly incompleteReason?: 'max_output_tokens' | 'content_filter';
  readonly usage?: Usage;
}

export function createResponseObject(
  request: ResponsesRequest,
  fields: ResponseFields,
): Record<string, unknown> {
  const reasoning = request.reasoning ?? undefined;
  const response: Record<string, unknown> = {
    id: fields.id,
    object: 'response',
    created_at: fields.createdAt,
    status: fields.status,
    background: false,
    completed_at: fields.status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    error: null,
    incomplete_details: fields.incompleteReason ? { reason: fields.incompleteReason } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: request.max_tool_calls ?? null,
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    prompt_cache_key: request.prompt_cache_key ?? null,
    reasoning: {
      effort: reasoning?.['effort'] ?? null,
      summary: reasoning?.['summary'] ?? reasoning?.['generate_summary'] ?? null,
    },
    safety_identifier: request.safety_identifier ?? null,
    store: request.store ?? true,
    temperature: request.temperature ?? null,
    text: {
      format: request.text?.['format'] ?? { type: 'text' },
      ...(request.text?.['verbosity'] ? { verbosity: request.text['verbosity'] } : {}),
    },
    tool_choice: request.tool_choice ?? 'auto',
    tools: toolsAsRequested(request.tools),
    top_p: request.top_p ?? null,
    truncation: request.truncation ?? 'disabled',
    metadata: request.metadata ?? {},
  };
  if (request.user !== undefined) response['user'] = request.user;
  if (fields.usage) response['usage'] = convertUsage(fields.usage);
  return response;
}

/** The gateway's usage in the Responses API's terms. */
export function convertUsage(usage: Usage): Record<string, unknown> {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: {
      cached_tokens: usage.cachedTokens,
      cache_write_tokens: usage.cacheWriteTokens ?? 0,
    },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.totalTokens,
  };
}
