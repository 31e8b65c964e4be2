/**
 * What a Messages request needs of the model that serves it (src/routing/requirements.ts): vision
 * for images (in tool results too), tools, JSON schemas, and room in the context window for the
 * prompt. `max_tokens` is not held against the model's output limit: Anthropic makes every client
 * send one without knowing which model will serve it, so the door lowers it to the serving model's
 * limit instead (convert-to-chat-request.ts).
 */
import type { Capability } from '../../../src/catalog.js';
import type { Requirements } from '../../../src/routing/requirements.js';
import { estimateTokens } from '../../../src/tokens.js';
import type { ContentBlockParam, CountTokensRequest } from './messages-schema.js';

// A rough allowance per image or document, as the chat route's requirements make.
const TOKENS_PER_MEDIA_BLOCK = 1000;

export function messagesRequirements(body: CountTokensRequest, maxTokens?: number): Requirements {
  const capabilities = new Set<Capability>();
  let characters = 0;
  let media = 0;
  const visit = (block: ContentBlockParam) => {
    const fields = block as Record<string, unknown>;
    switch (block.type) {
      case 'text':
        characters += String(fields['text'] ?? '').length;
        return;
      case 'image':
        capabilities.add('vision');
        media++;
        return;
      case 'document':
        media++;
        return;
      case 'tool_use':
        characters += JSON.stringify(fields['input'] ?? {}).length;
        return;
      case 'tool_result': {
        const content = fields['content'];
        if (typeof content === 'string') characters += content.length;
        else if (Array.isArray(content)) for (const inner of content) visit(inner as ContentBlockParam);
        return;
      }
      default:
        return;
    }
  };
  const system = body.system;
  if (typeof system === 'string') characters += system.length;
  else for (const block of system ?? []) characters += block.text.length;
  for (const message of body.messages) {
    if (typeof message.content === 'string') characters += message.content.length;
    else for (const block of message.content) visit(block);
  }
  if (body.tools && body.tools.length > 0) {
    capabilities.add('tools');
    characters += JSON.stringify(body.tools).length;
  }
  if (body.output_config?.format) capabilities.add('json_schema');
  return {
    capabilities: [...capabilities],
    estimate: {
      promptTokens: estimateTokens(characters) + media * TOKENS_PER_MEDIA_BLOCK,
      completionTokens: maxTokens ?? 0,
    },
    maxOutputTokens: undefined,
  };
}
