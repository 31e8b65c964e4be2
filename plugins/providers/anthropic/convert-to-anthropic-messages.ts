/**
 * OpenAI chat messages → Anthropic's `system` and `messages`.
 *
 * System and developer messages → `system` text blocks (wherever they stand); user → a `user` turn;
 * assistant → an `assistant` turn: its thinking blocks carried back (anthropic-thinking-blocks.ts),
 * then its text, then its `tool_calls` as `tool_use` blocks; tool results → `tool_result` blocks in
 * a `user` turn, each matched to the call it answers. Consecutive turns of one role become one turn
 * (Anthropic alternates user and assistant). Parts Anthropic cannot take are a 400 naming the part,
 * never a silent drop.
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/docs/build-with-claude/vision
 * @see https://docs.anthropic.com/en/docs/build-with-claude/pdf-support
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-tool-use-and-tool-result-content-blocks
 */
import mime from 'mime-types';
import type { ChatMessage } from '../../../schemas/chat.js';
import type {
  AnthropicMessage,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicToolUseBlock,
} from './anthropic-api.js';
import { readCacheControl, withCacheControl } from './anthropic-cache-control.js';
import { readThinkingBlocks } from './anthropic-thinking-blocks.js';
import {
  invalidValue,
  parseDataUri,
  unsupportedContent,
  type DataUri,
} from '../../../src/provider-toolkit.js';

/** The image types Claude reads. @see https://docs.anthropic.com/en/docs/build-with-claude/vision */
export const IMAGE_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
]);

export interface MessagesContext {
  /** Notes for the client (`x-gateway-warnings`). */
  readonly warnings: string[];
  /** http(s) image URLs: passed to Anthropic as URL sources, or downloaded and sent as bytes. */
  readonly imageUrls: 'pass' | 'download';
  /** Downloads an http(s) image (the gateway's guarded fetcher; a stand-in in tests). */
  fetchImage(url: string, param: string): Promise<{ mimeType: string; data: Buffer }>;
}

export interface ConvertedMessages {
  system: AnthropicTextBlock[];
  messages: AnthropicMessage[];
  /**
   * The assistant turn the request continues (the last one, when its tool calls are answered by
   * the turn after it and nothing else follows), and whether it starts with thinking blocks: with
   * thinking on, Anthropic refuses such a turn without them.
   */
  openToolTurn: { thinks: boolean } | undefined;
}

type TextLike = string | readonly { type: string; text?: string }[];

/** Text content (a string or text parts) → text blocks, each part's cache_control kept. */
function textBlocks(content: TextLike, param: string): AnthropicTextBlock[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part, index) => {
    const where = `${param}[${index}]`;
    if (part.type !== 'text' || typeof part.text !== 'string') {
      throw unsupportedContent(where, `'${where}' must be a text part.`);
    }
    const block: AnthropicTextBlock = { type: 'text', text: part.text };
    const cacheControl = readCacheControl(part, where);
    if (cacheControl) block.cache_control = cacheControl;
    return block;
  });
}

/** Inline bytes of a known type → the block Claude reads them in. */
function inlineBlock(inline: DataUri, param: string, title: string | undefined): AnthropicRequestBlock {
  if (IMAGE_MEDIA_TYPES.has(inline.mimeType)) {
    return { type: 'image', source: { type: 'base64', media_type: inline.mimeType, data: inline.data } };
  }
  if (inline.mimeType === 'application/pdf') {
    return {
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: inline.data },
      ...(title ? { title } : {}),
    };
  }
  if (inline.mimeType === 'text/plain') {
    return {
      type: 'document',
      source: {
        type: 'text',
        media_type: 'text/plain',
        data: Buffer.from(inline.data, 'base64').toString('utf8'),
      },
      ...(title ? { title } : {}),
    };
  }
  throw unsupportedContent(
    param,
    `'${param}' has the type ${inline.mimeType}; Claude takes images (JPEG, PNG, GIF, WebP), PDF and plain-text documents.`,
  );
}

async function convertUserPart(
  part: Record<string, unknown> & { type: string },
  param: string,
  context: MessagesContext,
): Promise<AnthropicRequestBlock> {
  let block: AnthropicRequestBlock;
  switch (part.type) {
    case 'text':
      block = { type: 'text', text: String(part['text']) };
      break;
    case 'image_url': {
      const url = String((part['image_url'] as { url: string }).url);
      const urlParam = `${param}.image_url.url`;
      if (url.startsWith('data:')) {
        const parsed = parseDataUri(url);
        if (!parsed) throw invalidValue(urlParam, `'${urlParam}' is not a valid data: URI.`);
        if (!IMAGE_MEDIA_TYPES.has(parsed.mimeType)) {
          throw unsupportedContent(
            urlParam,
            `'${urlParam}' has the type ${parsed.mimeType}; Claude takes JPEG, PNG, GIF and WebP images.`,
          );
        }
        block = { type: 'image', source: { type: 'base64', media_type: parsed.mimeType, data: parsed.data } };
      } else if (url.startsWith('http://') || url.startsWith('https://')) {
        if (context.imageUrls === 'pass') block = { type: 'image', source: { type: 'url', url } };
        else {
          const fetched = await context.fetchImage(url, urlParam);
          block = {
            type: 'image',
            source: { type: 'base64', media_type: fetched.mimeType, data: fetched.data.toString('base64') },
          };
        }
      } else {
        throw unsupportedContent(urlParam, `'${urlParam}' must be an http(s) URL or a data: URI.`);
      }
      break;
    }
    case 'file': {
      const file = part['file'] as { filename?: string; file_data?: string; file_id?: string };
      if (typeof file.file_data === 'string') {
        let inline: DataUri | undefined;
        if (file.file_data.startsWith('data:')) inline = parseDataUri(file.file_data);
        else {
          const mimeType = file.filename ? mime.lookup(file.filename) : false;
          if (!mimeType) {
            throw unsupportedContent(
              `${param}.file.file_data`,
              `The type of '${param}.file' cannot be told: send file_data as a data: URI, or a filename with an extension.`,
            );
          }
          inline = { mimeType, data: file.file_data };
        }
        if (!inline) {
          throw invalidValue(
            `${param}.file.file_data`,
            `'${param}.file.file_data' is not a valid data: URI.`,
          );
        }
        block = inlineBlock(inline, `${param}.file`, file.filename);
        break;
      }
      if (typeof file.file_id === 'string') {
        throw unsupportedContent(
          `${param}.file.file_id`,
          `'${param}.file.file_id' names a stored file, which the gateway cannot pass to Claude; send the file as file_data.`,
        );
      }
      throw invalidValue(`${param}.file`, `'${param}.file' needs file_data.`);
    }
    case 'input_audio':
      throw unsupportedContent(param, `Claude does not take audio (${param}).`);
    default:
      throw unsupportedContent(param, `Claude does not take '${part.type}' parts (${param}).`);
  }
  const cacheControl = readCacheControl(part, param);
  if (cacheControl) withCacheControl(block, cacheControl);
  return block;
}

interface ToolCallLike {
  id?: string;
  type: string;
  function?: { name: string; arguments: string };
}

function toolUseBlock(id: string, call: ToolCallLike, param: string): AnthropicToolUseBlock {
  if (call.type !== 'function' || !call.function) {
    throw unsupportedContent(param, `Claude does not take '${call.type}' tool calls (${param}).`);
  }
  const argumentsText = call.function.arguments.trim();
  let input: unknown = {};
  if (argumentsText.length > 0) {
    try {
      input = JSON.parse(argumentsText);
    } catch {
      throw invalidValue(`${param}.function.arguments`, `'${param}.function.arguments' is not valid JSON.`);
    }
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidValue(`${param}.function.arguments`, `'${param}.function.arguments' must be a JSON object.`);
  }
  return { type: 'tool_use', id, name: call.function.name, input: input as Record<string, unknown> };
}

/** The blocks of an assistant message: thinking carried back, text, tool calls. */
function assistantBlocks(
  message: Extract<ChatMessage, { role: 'assistant' }>,
  param: string,
  callIds: Set<string>,
  functionCalls: Map<string, string[]>,
): AnthropicRequestBlock[] {
  if (message.audio) {
    throw unsupportedContent(
      `${param}.audio`,
      `Claude cannot be given earlier audio answers (${param}.audio).`,
    );
  }
  const blocks: AnthropicRequestBlock[] = [...readThinkingBlocks(message, param)];
  const content = message.content;
  if (typeof content === 'string') {
    if (content.length > 0) blocks.push({ type: 'text', text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, index) => {
      // A refusal is what the assistant said: Anthropic has no separate field for it.
      const block: AnthropicTextBlock = {
        type: 'text',
        text: part.type === 'text' ? part.text : part.refusal,
      };
      const cacheControl = readCacheControl(part, `${param}.content[${index}]`);
      if (cacheControl) block.cache_control = cacheControl;
      blocks.push(block);
    });
  } else if (typeof message.refusal === 'string' && message.refusal.length > 0) {
    blocks.push({ type: 'text', text: message.refusal });
  }
  const toolCalls = (message.tool_calls ?? []) as ToolCallLike[];
  toolCalls.forEach((call, index) => {
    const where = `${param}.tool_calls[${index}]`;
    const id = call.id ?? '';
    blocks.push(toolUseBlock(id, call, where));
    callIds.add(id);
  });
  if (message.function_call) {
    // The deprecated function protocol has no ids: the call gets one, the result finds it by name.
    const id = `call_function_${param.replace(/\D+/g, '')}`;
    blocks.push(
      toolUseBlock(id, { type: 'function', function: message.function_call }, `${param}.function_call`),
    );
    const pending = functionCalls.get(message.function_call.name) ?? [];
    pending.push(id);
    functionCalls.set(message.function_call.name, pending);
  }
  return blocks;
}

function toolResultText(content: TextLike): string {
  return typeof content === 'string' ? content : content.map((part) => part.text ?? '').join('');
}

function findOpenToolTurn(messages: readonly AnthropicMessage[]): ConvertedMessages['openToolTurn'] {
  const last = messages.at(-1);
  const assistant = messages.at(-2);
  if (!last || !assistant || last.role !== 'user' || assistant.role !== 'assistant') return undefined;
  if (!assistant.content.some((block) => block.type === 'tool_use')) return undefined;
  if (!last.content.some((block) => block.type === 'tool_result')) return undefined;
  const first = assistant.content[0]?.type;
  return { thinks: first === 'thinking' || first === 'redacted_thinking' };
}

export async function convertMessages(
  messages: readonly ChatMessage[],
  context: MessagesContext,
): Promise<ConvertedMessages> {
  const system: AnthropicTextBlock[] = [];
  const converted: AnthropicMessage[] = [];
  // The ids of the tool calls of the assistant turns seen so far.
  const callIds = new Set<string>();
  // function name → ids of deprecated function calls not answered yet.
  const functionCalls = new Map<string, string[]>();
  const push = (
    role: AnthropicMessage['role'],
    blocks: AnthropicRequestBlock[],
    holder: unknown,
    param: string,
  ) => {
    if (blocks.length === 0) return;
    const cacheControl = readCacheControl(holder, param);
    if (cacheControl) withCacheControl(blocks.at(-1)!, cacheControl);
    const last = converted.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else converted.push({ role, content: blocks });
  };

  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        // An empty system prompt says nothing, and Anthropic refuses empty text blocks.
        if (message.content === '') break;
        const blocks = textBlocks(message.content, `${param}.content`);
        const cacheControl = readCacheControl(message, param);
        if (cacheControl) blocks.at(-1)!.cache_control = cacheControl;
        system.push(...blocks);
        break;
      }
      case 'user': {
        if (typeof message.content === 'string') {
          push('user', [{ type: 'text', text: message.content }], message, param);
          break;
        }
        // Parts are converted together: several image URLs download in parallel.
        const blocks = await Promise.all(
          message.content.map((part, partIndex) =>
            convertUserPart(
              part as Record<string, unknown> & { type: string },
              `${param}.content[${partIndex}]`,
              context,
            ),
          ),
        );
        push('user', blocks, message, param);
        break;
      }
      case 'assistant':
        push('assistant', assistantBlocks(message, param, callIds, functionCalls), message, param);
        break;
      case 'tool': {
        if (!callIds.has(message.tool_call_id)) {
          throw invalidValue(
            `${param}.tool_call_id`,
            `'${param}.tool_call_id' (${JSON.stringify(message.tool_call_id)}) does not match a tool call of an earlier assistant message.`,
          );
        }
        const content =
          typeof message.content === 'string'
            ? message.content
            : textBlocks(message.content, `${param}.content`);
        push('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, content }], message, param);
        break;
      }
      case 'function': {
        const id = functionCalls.get(message.name)?.shift();
        if (!id) {
          throw invalidValue(
            `${param}.name`,
            `'${param}' answers the function '${message.name}', which no earlier assistant message called.`,
          );
        }
        push(
          'user',
          [{ type: 'tool_result', tool_use_id: id, content: toolResultText(message.content ?? '') }],
          message,
          param,
        );
        break;
      }
    }
  }
  if (converted.length === 0) {
    throw invalidValue(
      'messages',
      "Claude needs at least one user, assistant or tool message besides the system messages ('messages').",
    );
  }
  return { system, messages: converted, openToolTurn: findOpenToolTurn(converted) };
}
