/**
 * A chat request as a compatible server takes it (its quirks, openai-compatible-presets.ts): developer
 * messages as system messages and the completion limit under the server's own field (the same
 * request in the server's words); `n` above 1, `tool_choice: "required"` and a `json_schema`
 * response format, which would be answered otherwise, dropped with a warning or refused per
 * UNSUPPORTED_PARAMETERS (design rule 9). `stream_options` is the adapter's (openai-adapter.ts).
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import type { ChatCompletionRequest, ChatMessage } from '../../../schemas/chat.js';
import { refuseOrDropParameters, type UnsupportedParameter } from '../../../src/parameters.js';
import type { Target } from '../../../src/provider.js';
import type { CompatibleQuirks } from './openai-compatible-presets.js';

export function convertToCompatibleRequest(
  request: ChatCompletionRequest,
  target: Target,
  quirks: CompatibleQuirks,
  policy: 'drop' | 'reject',
  warnings: string[],
): ChatCompletionRequest {
  const unsupported: UnsupportedParameter[] = [];
  if (!quirks.n && request.n != null && request.n !== 1) unsupported.push({ param: 'n' });
  if (!quirks.toolChoiceRequired && request.tool_choice === 'required') {
    unsupported.push({ param: 'tool_choice', label: 'tool_choice=required' });
  }
  if (!quirks.jsonSchema && request.response_format?.type === 'json_schema') {
    unsupported.push({ param: 'response_format', label: 'response_format=json_schema' });
  }
  refuseOrDropParameters(unsupported, target, policy, warnings);

  let body: Record<string, unknown> | undefined;
  const edit = () => (body ??= { ...request });
  for (const { param } of unsupported) delete edit()[param];

  if (!quirks.developerRole && request.messages.some((message) => message.role === 'developer')) {
    edit()['messages'] = request.messages.map((message): ChatMessage =>
      message.role === 'developer' ? { ...message, role: 'system' } : message,
    );
  }

  const field = quirks.maxTokensField;
  const other =
    field === 'max_tokens'
      ? 'max_completion_tokens'
      : field === 'max_completion_tokens'
        ? 'max_tokens'
        : undefined;
  if (field && other && request[other] != null) {
    // max_completion_tokens is the newer name of the same limit, and wins when both are set.
    const limit = request.max_completion_tokens ?? request.max_tokens;
    const copy = edit();
    delete copy[other];
    copy[field] = limit;
    warnings.push(`${other} sent as ${field} (the field ${target.deploymentId} reads)`);
  }
  return (body as ChatCompletionRequest | undefined) ?? request;
}
