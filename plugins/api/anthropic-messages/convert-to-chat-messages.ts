/**
 * Anthropic's `system` and `messages` → the chat shape's messages, for models served through the
 * chat interface.
 *
 * - `system` (text or text blocks) and `system` turns → system messages.
 * - A user turn's `tool_result` blocks → one `tool` message each, first (the chat shape wants the
 *   results right after the assistant message that called the tools); the turn's other blocks → a
 *   user message after them. Images and documents inside a tool result (which a tool message cannot
 *   hold) go to that user message, after a line saying which result they belong to.
 * - An assistant turn's text blocks → `content`; `tool_use` blocks → `tool_calls` (the input as JSON
 *   text); the gateway's own thinking blocks give back what they carry (gateway-thinking-blocks.ts);
 *   Claude's thinking blocks, which only Claude reads, are left out.
 * - Blocks: text → text part; image (base64 or URL) → `image_url`; PDF (base64) → `file` part;
 *   plain-text document → text part (title first); content document → its parts.
 * - `cache_control` breakpoints are counted, not sent: the models served this way cache prompts by
 *   themselves. Citations are not sent.
 * A block the chat shape has no place for (server tools' blocks, search results, a file id) is a 400
 * naming it.
 * @see https://docs.anthropic.com/en/api/messages#body-messages
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-messages
 */
import type { ChatMessage } from '../../../schemas/chat.js';
import { invalidValue, unsupportedContent } from '../../../src/provider-toolkit.js';
import { isGatewayBlock, readCarrierBlock } from './gateway-thinking-blocks.js';
import type {
  ContentBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
  MessagesRequest,
  TextBlockParam,
  ToolResultBlockParam,
  ToolUseBlockParam,
} from './messages-schema.js';

/** What a conversion noticed besides its result, for the warnings of the attempt that uses it. */
export interface ConversionNotes {
  /** `cache_control` breakpoints in the request (not sent: see above). */
  cacheBreakpoints: number;
  /** Claude's own thinking blocks left out of earlier assistant turns. */
  droppedThinkingBlocks: number;
}

type ChatPart = Record<string, unknown> & { type: string };

function countBreakpoint(block: object, notes: ConversionNotes): void {
  const breakpoint = (block as { cache_control?: unknown }).cache_control;
  if (breakpoint !== undefined && breakpoint !== null) notes.cacheBreakpoints++;
}

function convertImage(block: ImageBlockParam, param: string): ChatPart {
  const source = block.source;
  switch (source.type) {
    case 'base64':
      return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
    case 'url':
      return { type: 'image_url', image_url: { url: source.url } };
    default:
      throw unsupportedContent(
        `${param}.source`,
        `'${param}.source' names a file of Anthropic's Files API, which only Anthropic models can read; send the image as base64 or a URL.`,
      );
  }
}

function convertDocument(block: DocumentBlockParam, param: string, notes: ConversionNotes): ChatPart[] {
  const source = block.source;
  const title = block.title ?? undefined;
  switch (source.type) {
    case 'base64':
      return [
        {
          type: 'file',
          file: {
            filename: title ?? 'document.pdf',
            file_data: `data:application/pdf;base64,${source.data}`,
          },
        },
      ];
    case 'text':
      return [{ type: 'text', text: title ? `${title}\n\n${source.data}` : source.data }];
    case 'content': {
      if (typeof source.content === 'string') return [{ type: 'text', text: source.content }];
      return source.content.flatMap((inner, index) =>
        convertUserBlock(inner, `${param}.source.content[${index}]`, notes, ['text', 'image']),
      );
    }
    default:
      throw unsupportedContent(
        `${param}.source`,
        `'${param}.source' is a document ${source.type === 'url' ? 'URL' : 'file id'}, which only Anthropic models can read; send the PDF as base64.`,
      );
  }
}

function notConvertible(block: { type: string }, param: string): Error {
  return unsupportedContent(
    param,
    `'${param}' is a '${block.type}' block, which only Anthropic models take; the model that serves this request cannot.`,
  );
}

/** One block of a user turn (or of a tool result, or of a content document) → its chat parts. */
function convertUserBlock(
  block: ContentBlockParam,
  param: string,
  notes: ConversionNotes,
  allowed: readonly string[] = ['text', 'image', 'document'],
): ChatPart[] {
  if (!allowed.includes(block.type)) throw notConvertible(block, param);
  countBreakpoint(block, notes);
  switch (block.type) {
    case 'text':
      if (typeof (block as TextBlockParam).text !== 'string') {
        throw invalidValue(`${param}.text`, `Missing required parameter: '${param}.text'.`);
      }
      return [{ type: 'text', text: (block as TextBlockParam).text }];
    case 'image':
      return [convertImage(block as ImageBlockParam, param)];
    default:
      return convertDocument(block as DocumentBlockParam, param, notes);
  }
}

/** The `tool` message of one result, and the attachments a tool message cannot hold. */
function convertToolResult(
  block: ToolResultBlockParam,
  param: string,
  notes: ConversionNotes,
): { message: ChatMessage; attachments: ChatPart[] } {
  countBreakpoint(block, notes);
  const content = block.content;
  if (content === undefined || typeof content === 'string') {
    return {
      message: { role: 'tool', tool_call_id: block.tool_use_id, content: content ?? '' },
      attachments: [],
    };
  }
  const texts: { type: 'text'; text: string }[] = [];
  const attachments: ChatPart[] = [];
  content.forEach((inner, index) => {
    for (const part of convertUserBlock(inner, `${param}.content[${index}]`, notes)) {
      if (part.type === 'text') texts.push(part as { type: 'text'; text: string });
      else attachments.push(part);
    }
  });
  if (attachments.length > 0) {
    attachments.unshift({ type: 'text', text: `Attached to the result of tool call ${block.tool_use_id}:` });
  }
  const text =
    texts.length === 0
      ? attachments.length > 0
        ? `The result is attached to the next message.`
        : ''
      : texts.length === 1
        ? texts[0]!.text
        : texts;
  return {
    message: { role: 'tool', tool_call_id: block.tool_use_id, content: text } as ChatMessage,
    attachments,
  };
}

function convertUserTurn(
  content: string | ContentBlockParam[],
  param: string,
  notes: ConversionNotes,
): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const results: ChatMessage[] = [];
  const parts: ChatPart[] = [];
  const attachments: ChatPart[] = [];
  content.forEach((block, index) => {
    const blockParam = `${param}.content[${index}]`;
    if (block.type === 'tool_result') {
      const converted = convertToolResult(block as ToolResultBlockParam, blockParam, notes);
      results.push(converted.message);
      attachments.push(...converted.attachments);
    } else parts.push(...convertUserBlock(block, blockParam, notes));
  });
  const userParts = [...attachments, ...parts];
  if (userParts.length === 0) {
    return results.length > 0 ? results : [{ role: 'user', content: '' }];
  }
  return [...results, { role: 'user', content: userParts } as ChatMessage];
}

function convertAssistantTurn(
  content: string | ContentBlockParam[],
  param: string,
  notes: ConversionNotes,
): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  let text = '';
  const toolCalls: Record<string, unknown>[] = [];
  let toolExtensions: Readonly<Record<string, unknown>> = {};
  let messageExtension: unknown;
  content.forEach((block, index) => {
    const blockParam = `${param}.content[${index}]`;
    switch (block.type) {
      case 'text':
        countBreakpoint(block, notes);
        text += (block as TextBlockParam).text;
        return;
      case 'tool_use': {
        const use = block as ToolUseBlockParam;
        countBreakpoint(use, notes);
        toolCalls.push({
          id: use.id,
          type: 'function',
          function: { name: use.name, arguments: JSON.stringify(use.input) },
        });
        return;
      }
      case 'thinking':
      case 'redacted_thinking': {
        if (!isGatewayBlock(block)) {
          notes.droppedThinkingBlocks++;
          return;
        }
        if (block.type === 'redacted_thinking') {
          const carried = readCarrierBlock(String(block['data']), `${blockParam}.data`);
          if (carried?.toolCalls) toolExtensions = { ...toolExtensions, ...carried.toolCalls };
          if (carried?.message !== undefined) messageExtension = carried.message;
        }
        return;
      }
      default:
        throw notConvertible(block, blockParam);
    }
  });
  const message: Record<string, unknown> = { role: 'assistant', content: text };
  if (toolCalls.length > 0) {
    for (const call of toolCalls) {
      const extension = toolExtensions[call['id'] as string];
      if (extension !== undefined) call['extra_content'] = extension;
    }
    message['tool_calls'] = toolCalls;
    if (text === '') message['content'] = null;
  }
  if (messageExtension !== undefined) message['extra_content'] = messageExtension;
  return message as ChatMessage;
}

function convertSystem(system: MessagesRequest['system'], notes: ConversionNotes): ChatMessage[] {
  if (system === undefined) return [];
  if (typeof system === 'string') return system === '' ? [] : [{ role: 'system', content: system }];
  if (system.length === 0) return [];
  for (const block of system) countBreakpoint(block, notes);
  return [{ role: 'system', content: system.map((block) => ({ type: 'text', text: block.text })) }];
}

export function convertToChatMessages(
  system: MessagesRequest['system'],
  messages: MessagesRequest['messages'],
  notes: ConversionNotes,
): ChatMessage[] {
  const converted = convertSystem(system, notes);
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    const content = message.content as string | ContentBlockParam[];
    switch (message.role) {
      case 'user':
        converted.push(...convertUserTurn(content, param, notes));
        break;
      case 'assistant':
        converted.push(convertAssistantTurn(content, param, notes));
        break;
      default: {
        if (typeof content === 'string') converted.push({ role: 'system', content });
        else {
          const parts = content.flatMap((block, blockIndex) =>
            convertUserBlock(block, `${param}.content[${blockIndex}]`, notes, ['text']),
          );
          converted.push({ role: 'system', content: parts } as ChatMessage);
        }
      }
    }
  });
  return converted;
}
