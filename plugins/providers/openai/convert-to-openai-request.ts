/**
 * The request an OpenAI-type upstream receives: the client's own, unknown fields included, with only
 * `model` set to the upstream name, plus the renames reasoning models require.
 * @see https://platform.openai.com/docs/guides/reasoning
 */
import type { ChatCompletionRequest, ChatMessage } from '../../../schemas/chat.js';
import type { Target } from '../../../src/provider.js';

export function convertToOpenAIRequest(
  request: ChatCompletionRequest,
  target: Target,
  warnings: string[],
): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request, model: target.upstreamModel };
  const model = target.model;
  if (!model) return body;

  // Reasoning models refuse max_tokens; max_completion_tokens is the same limit under its new name.
  if (model.capabilities.includes('reasoning') && request.max_tokens != null) {
    if (request.max_completion_tokens == null) body['max_completion_tokens'] = request.max_tokens;
    delete body['max_tokens'];
    warnings.push(`max_tokens sent as max_completion_tokens (required by ${model.id})`);
  }
  if (model.system_role === 'developer' && request.messages.some((message) => message.role === 'system')) {
    body['messages'] = request.messages.map((message): ChatMessage =>
      message.role === 'system' ? { ...message, role: 'developer' } : message,
    );
  }
  return body;
}
