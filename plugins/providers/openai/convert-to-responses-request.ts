/**
 * A chat completion request → the Responses API request that serves it, for the models OpenAI serves
 * only through /v1/responses (o1-pro, o3-pro, the deep-research models).
 * @see https://platform.openai.com/docs/guides/migrate-to-responses
 * @see https://platform.openai.com/docs/api-reference/responses/create
 *
 * Chat parameters with no Responses equivalent (`n`, `stop`, `seed`, `logprobs`, penalties, audio
 * output, …) are not in RESPONSES_CHAT_PARAMETERS, so the gateway drops them with a warning or
 * refuses them, per UNSUPPORTED_PARAMETERS (design rule 9), before this runs.
 */
import type { ChatCompletionRequest, ChatMessage } from '../../../schemas/chat.js';
import { GatewayError } from '../../../src/errors.js';
import type { Target } from '../../../src/provider.js';

export const RESPONSES_CHAT_PARAMETERS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'reasoning_effort',
  'verbosity',
  'store',
  'metadata',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'service_tier',
  'web_search_options',
]);

type Json = Record<string, unknown>;
type ContentPart = { type: string } & Json;

function unsupported(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', { message, param });
}

function textOf(content: string | ContentPart[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .filter((part) => part.type === 'text')
    .map((part) => String(part['text']))
    .join('');
}

function convertUserPart(part: ContentPart, param: string): Json {
  switch (part.type) {
    case 'text':
      return { type: 'input_text', text: part['text'] };
    case 'image_url': {
      const image = part['image_url'] as { url: string; detail?: string };
      return { type: 'input_image', image_url: image.url, detail: image.detail ?? 'auto' };
    }
    case 'file': {
      const file = part['file'] as { filename?: string; file_data?: string; file_id?: string };
      const converted: Json = { type: 'input_file' };
      if (file.file_id !== undefined) converted['file_id'] = file.file_id;
      if (file.file_data !== undefined) converted['file_data'] = file.file_data;
      if (file.filename !== undefined) converted['filename'] = file.filename;
      return converted;
    }
    default:
      throw unsupported(param, `'${param}': ${part.type} parts cannot be sent to a Responses API model.`);
  }
}

/** Messages → input items: messages keep their order; tool calls and results become their own items. */
function convertMessages(messages: ChatMessage[], developerRole: boolean): Json[] {
  const items: Json[] = [];
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const role = developerRole || message.role === 'developer' ? 'developer' : 'system';
        items.push({ type: 'message', role, content: textOf(message.content as string | ContentPart[]) });
        break;
      }
      case 'user': {
        const content =
          typeof message.content === 'string'
            ? message.content
            : (message.content as ContentPart[]).map((part, partIndex) =>
                convertUserPart(part, `${param}.content[${partIndex}]`),
              );
        items.push({ type: 'message', role: 'user', content });
        break;
      }
      case 'assistant': {
        const text = textOf(message.content as string | ContentPart[] | null | undefined);
        if (text) items.push({ type: 'message', role: 'assistant', content: text });
        for (const call of message.tool_calls ?? []) {
          if (call.type === 'function') {
            items.push({
              type: 'function_call',
              call_id: call.id,
              name: call.function.name,
              arguments: call.function.arguments,
            });
          } else {
            items.push({
              type: 'custom_tool_call',
              call_id: call.id,
              name: call.custom.name,
              input: call.custom.input,
            });
          }
        }
        if (message.function_call) {
          throw unsupported(
            `${param}.function_call`,
            `'${param}.function_call' (deprecated) cannot be sent to a Responses API model; use tool_calls.`,
          );
        }
        break;
      }
      case 'tool':
        items.push({
          type: 'function_call_output',
          call_id: message.tool_call_id,
          output: textOf(message.content as string | ContentPart[]),
        });
        break;
      case 'function':
        throw unsupported(
          `${param}.role`,
          `'${param}': function messages (deprecated) cannot be sent to a Responses API model; use tool messages.`,
        );
    }
  });
  return items;
}

function convertTool(tool: Json): Json {
  if (tool['type'] === 'function') {
    const definition = tool['function'] as Json;
    return {
      type: 'function',
      name: definition['name'],
      description: definition['description'] ?? null,
      parameters: definition['parameters'] ?? null,
      strict: definition['strict'] ?? null,
    };
  }
  const custom = tool['custom'] as Json;
  return { type: 'custom', ...custom };
}

function convertToolChoice(choice: NonNullable<ChatCompletionRequest['tool_choice']>): unknown {
  if (typeof choice === 'string') return choice;
  const named = choice as Json;
  if (named['type'] === 'function') return { type: 'function', name: (named['function'] as Json)['name'] };
  if (named['type'] === 'custom') return { type: 'custom', name: (named['custom'] as Json)['name'] };
  const allowed = named['allowed_tools'] as { mode: string; tools: Json[] };
  return { type: 'allowed_tools', mode: allowed.mode, tools: allowed.tools.map(convertTool) };
}

function convertResponseFormat(format: NonNullable<ChatCompletionRequest['response_format']>): Json {
  if (format.type !== 'json_schema') return { type: format.type };
  const schema = (format as { json_schema: Json }).json_schema;
  const converted: Json = { type: 'json_schema', name: schema['name'] };
  for (const key of ['schema', 'strict', 'description']) {
    if (schema[key] !== undefined) converted[key] = schema[key];
  }
  return converted;
}

/** `web_search_options` → the web search tool, which the deep-research models require. */
function convertWebSearch(options: Json): Json {
  const tool: Json = { type: 'web_search_preview' };
  if (options['search_context_size'] !== undefined)
    tool['search_context_size'] = options['search_context_size'];
  const location = options['user_location'] as { approximate?: Json } | null | undefined;
  if (location?.approximate) tool['user_location'] = { type: 'approximate', ...location.approximate };
  return tool;
}

export function convertToResponsesRequest(request: ChatCompletionRequest, target: Target): Json {
  const body: Json = {
    model: target.upstreamModel,
    input: convertMessages(request.messages, target.model?.system_role === 'developer'),
    // Chat completions are not stored unless asked; the Responses API stores by default.
    store: request.store ?? false,
  };
  if (request.stream) body['stream'] = true;
  if (request.stream_options?.include_obfuscation !== undefined) {
    body['stream_options'] = { include_obfuscation: request.stream_options.include_obfuscation };
  }
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) body['max_output_tokens'] = maxTokens;
  for (const key of [
    'temperature',
    'top_p',
    'parallel_tool_calls',
    'metadata',
    'user',
    'safety_identifier',
    'prompt_cache_key',
    'service_tier',
  ] as const) {
    if (request[key] != null) body[key] = request[key];
  }

  const tools = (request.tools ?? []).map((tool) => convertTool(tool as Json));
  if (request.web_search_options) tools.push(convertWebSearch(request.web_search_options));
  if (tools.length > 0) body['tools'] = tools;
  if (request.tool_choice !== undefined) body['tool_choice'] = convertToolChoice(request.tool_choice);

  const text: Json = {};
  if (request.response_format) text['format'] = convertResponseFormat(request.response_format);
  if (request.verbosity != null) text['verbosity'] = request.verbosity;
  if (Object.keys(text).length > 0) body['text'] = text;
  if (request.reasoning_effort != null) body['reasoning'] = { effort: request.reasoning_effort };
  return body;
}
