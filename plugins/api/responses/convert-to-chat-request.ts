/**
 * A Responses API request → the gateway's internal chat request, for a model whose provider does not
 * speak the Responses API: `instructions` as the first (system) message, then the conversation a
 * `previous_response_id` continues (its items, without its instructions: the Responses API does not
 * carry instructions over), then the request's own input.
 *
 * | Responses                   | chat                                                   |
 * | --------------------------- | ------------------------------------------------------ |
 * | `instructions`              | a first `system` message                               |
 * | `input`                     | messages (convert-input-items.ts)                      |
 * | `tools`, `tool_choice`      | `tools`, `tool_choice` (convert-tools.ts)              |
 * | `text.format`               | `response_format`                                      |
 * | `text.verbosity`            | `verbosity`                                            |
 * | `reasoning.effort`          | `reasoning_effort`                                     |
 * | `max_output_tokens`         | `max_completion_tokens`                                |
 * | `temperature`, `top_p`, `parallel_tool_calls`, `user`, `safety_identifier`, `prompt_cache_key`, `service_tier` | the same |
 * | `stream`                    | `stream`, with `stream_options.include_usage`          |
 *
 * What has no chat counterpart is listed for the parameter policy (dropped with a warning, or
 * refused); what only OpenAI's platform can resolve (stored prompts, conversations) is refused.
 * `store`, `metadata`, `include` and `reasoning.summary` are the gateway's own business.
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */
import type { ChatCompletionRequest, ChatMessage } from '../../../schemas/chat.js';
import type { ResponsesRequest } from '../../../schemas/responses.js';
import { GatewayError } from '../../../src/errors.js';
import type { UnsupportedParameter } from '../../../src/parameters.js';
import { invalidValue } from '../../../src/provider-toolkit.js';
import { convertInputItems, inputItemsOf } from './convert-input-items.js';
import { convertToolChoice, convertTools } from './convert-tools.js';

/** How the client named each chat field the translation fills, for the parameter policy's messages. */
export const RESPONSES_NAMES: Readonly<Record<string, string>> = {
  max_completion_tokens: 'max_output_tokens',
  reasoning_effort: 'reasoning.effort',
  response_format: 'text.format',
  verbosity: 'text.verbosity',
};

const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);
const VERBOSITIES = new Set(['low', 'medium', 'high']);
// The output_text logprobs are the one `include` value about the model's answer; the rest are about
// built-in tools (refused anyway) or inputs, and `reasoning.encrypted_content` is always there.
const LOGPROBS_INCLUDE = 'message.output_text.logprobs';

export interface ChatTranslation {
  readonly request: ChatCompletionRequest;
  /** Responses fields the chat request cannot carry: dropped with a warning, or refused. */
  readonly untranslatable: readonly UnsupportedParameter[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function refused(param: string, what: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
    message: `'${param}' ${what}, which the model serving this request cannot resolve. Remove it from the request.`,
    param,
  });
}

function convertTextFormat(format: unknown): ChatCompletionRequest['response_format'] | undefined {
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) throw invalidValue('text.format', "'text.format' must be an object.");
  switch (format['type']) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const { name, schema, description, strict } = format;
      if (typeof name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
        throw invalidValue(
          'text.format.name',
          "'text.format.name' must be 1 to 64 letters, digits, underscores or dashes.",
        );
      }
      if (!isObject(schema))
        throw invalidValue('text.format.schema', "'text.format.schema' must be a JSON Schema object.");
      const jsonSchema: Record<string, unknown> = { name, schema };
      if (typeof description === 'string') jsonSchema['description'] = description;
      if (typeof strict === 'boolean') jsonSchema['strict'] = strict;
      return { type: 'json_schema', json_schema: jsonSchema as { name: string } };
    }
    default:
      throw invalidValue('text.format.type', "'text.format.type' must be text, json_object or json_schema.");
  }
}

/**
 * The chat request a Responses request stands for, after the conversation `history` (the input and
 * output items of the response it continues).
 */
export function convertToChatRequest(body: ResponsesRequest, history: readonly unknown[]): ChatTranslation {
  const record = body as ResponsesRequest & Record<string, unknown>;
  if (record['prompt'] !== undefined && record['prompt'] !== null)
    throw refused('prompt', 'names a stored prompt');
  if (record['conversation'] !== undefined && record['conversation'] !== null) {
    throw refused('conversation', 'names a stored conversation');
  }

  const messages: ChatMessage[] = [];
  if (typeof body.instructions === 'string' && body.instructions.length > 0) {
    messages.push({ role: 'system', content: body.instructions });
  }
  messages.push(...convertInputItems(history, () => 'previous_response_id'));
  messages.push(...convertInputItems(inputItemsOf(body.input), (index) => `input[${index}]`));
  if (messages.length === 0) throw invalidValue('input', "'input' is required: there is nothing to answer.");

  const request: Record<string, unknown> = { model: body.model, messages };
  if (body.stream === true) {
    request['stream'] = true;
    // The Responses API always reports usage at the end.
    request['stream_options'] = { include_usage: true };
  }
  if (body.tools && body.tools.length > 0) request['tools'] = convertTools(body.tools);
  if (body.tool_choice !== undefined) request['tool_choice'] = convertToolChoice(body.tool_choice);
  if (typeof body.parallel_tool_calls === 'boolean')
    request['parallel_tool_calls'] = body.parallel_tool_calls;
  if (body.max_output_tokens !== undefined && body.max_output_tokens !== null) {
    request['max_completion_tokens'] = body.max_output_tokens;
  }
  for (const field of [
    'temperature',
    'top_p',
    'user',
    'safety_identifier',
    'prompt_cache_key',
    'service_tier',
  ] as const) {
    const value = body[field];
    if (value !== undefined && value !== null) request[field] = value;
  }

  const text = body.text ?? undefined;
  if (text) {
    const format = convertTextFormat(text['format']);
    if (format) request['response_format'] = format;
    const verbosity = text['verbosity'];
    if (typeof verbosity === 'string' && VERBOSITIES.has(verbosity)) request['verbosity'] = verbosity;
    else if (verbosity !== undefined && verbosity !== null) {
      throw invalidValue('text.verbosity', "'text.verbosity' must be low, medium or high.");
    }
  }
  const effort = body.reasoning?.['effort'];
  if (typeof effort === 'string' && EFFORTS.has(effort)) request['reasoning_effort'] = effort;
  else if (effort !== undefined && effort !== null) {
    throw invalidValue('reasoning.effort', `'reasoning.effort' must be one of ${[...EFFORTS].join(', ')}.`);
  }

  const untranslatable: UnsupportedParameter[] = [];
  if (body.background === true) untranslatable.push({ param: 'background' });
  if (typeof body.top_logprobs === 'number' && body.top_logprobs > 0)
    untranslatable.push({ param: 'top_logprobs' });
  if (body.include?.includes(LOGPROBS_INCLUDE)) {
    untranslatable.push({ param: 'include', label: `include[]=${LOGPROBS_INCLUDE}` });
  }
  if (body.truncation === 'auto') untranslatable.push({ param: 'truncation' });
  for (const field of ['context_management', 'prompt_cache_retention'] as const) {
    if (record[field] !== undefined && record[field] !== null) untranslatable.push({ param: field });
  }
  return { request: request as ChatCompletionRequest, untranslatable };
}
