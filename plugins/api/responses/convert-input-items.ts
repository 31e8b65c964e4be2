/**
 * Responses API input items → the chat messages of the gateway's internal request.
 *
 * - Messages keep their role (`user`, `system`, `developer`, `assistant`); their content parts map
 *   one to one: `input_text` → `text`, `input_image` → `image_url`, `input_file` (inline data) →
 *   `file`, `input_audio` → `input_audio`; an assistant's `output_text` and `refusal` → its text and
 *   refusal.
 * - An assistant turn is a run of consecutive `reasoning`, assistant `message` and `function_call`
 *   items: it becomes one assistant message whose `tool_calls` are the function calls (`call_id` →
 *   the call's id), with the turn's provider state (turn-state.ts) back in its extension fields.
 * - `function_call_output` → a `tool` message for its `call_id`.
 * - What only OpenAI's own platform can resolve (file ids, file URLs, item references, the items of
 *   its built-in tools) is refused with a 400 naming the item: the model serving the request has
 *   no way to see it.
 * @see https://platform.openai.com/docs/api-reference/responses/create#responses_create-input
 */
import type { ChatMessage } from '../../../schemas/chat.js';
import { invalidValue, unsupportedContent } from '../../../src/provider-toolkit.js';
import { decodeTurnState } from './turn-state.js';

type Item = Record<string, unknown>;
type Part = Record<string, unknown>;

/** The assistant message being gathered from a run of assistant-side items. */
interface AssistantTurn {
  text: string;
  refusal: string;
  toolCalls: {
    id: string;
    type: 'function';
    function: { name: string; arguments: string };
    extra_content?: unknown;
  }[];
  extra: Record<string, unknown> | undefined;
  callExtras: Record<string, Record<string, unknown>>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function requireString(item: Item, field: string, where: string): string {
  const value = item[field];
  if (typeof value !== 'string')
    throw invalidValue(`${where}.${field}`, `'${where}.${field}' must be a string.`);
  return value;
}

/** Items of OpenAI's built-in tools and platform features, which no other provider can take. */
function refuseItem(type: string, where: string): never {
  if (type === 'item_reference') {
    throw unsupportedContent(
      where,
      `'${where}' is an item reference; the model serving this request cannot look items up by id. ` +
        'Send the item itself, or continue with previous_response_id.',
    );
  }
  throw unsupportedContent(
    where,
    `'${where}' is a '${type}' item, which the model serving this request cannot take; only messages, ` +
      'function_call, function_call_output and reasoning items are translated.',
  );
}

function convertUserPart(part: unknown, where: string): Part {
  if (!isObject(part)) throw invalidValue(where, `'${where}' must be an object.`);
  switch (part['type']) {
    case 'input_text':
      return { type: 'text', text: requireString(part, 'text', where) };
    case 'input_image': {
      if (typeof part['image_url'] !== 'string' || part['image_url'].length === 0) {
        if (part['file_id'] !== undefined && part['file_id'] !== null) {
          throw unsupportedContent(
            `${where}.file_id`,
            `'${where}.file_id' names an uploaded file, which the model serving this request cannot read; send image_url (a URL or a data: URI).`,
          );
        }
        throw invalidValue(`${where}.image_url`, `'${where}.image_url' must be a URL or a data: URI.`);
      }
      const detail = part['detail'];
      const image: Record<string, unknown> = { url: part['image_url'] };
      // Chat knows low, high and auto; `original` (no downscaling) has no chat counterpart.
      if (detail === 'low' || detail === 'high' || detail === 'auto') image['detail'] = detail;
      return { type: 'image_url', image_url: image };
    }
    case 'input_file': {
      if (typeof part['file_data'] === 'string' && part['file_data'].length > 0) {
        const file: Record<string, unknown> = { file_data: part['file_data'] };
        if (typeof part['filename'] === 'string') file['filename'] = part['filename'];
        return { type: 'file', file };
      }
      const field = part['file_id'] !== undefined && part['file_id'] !== null ? 'file_id' : 'file_url';
      throw unsupportedContent(
        `${where}.${field}`,
        `'${where}.${field}' is not translated for the model serving this request; send the file inline as file_data (a data: URI).`,
      );
    }
    case 'input_audio':
      if (!isObject(part['input_audio'])) {
        throw invalidValue(
          `${where}.input_audio`,
          `'${where}.input_audio' must be an object with data and format.`,
        );
      }
      return { type: 'input_audio', input_audio: part['input_audio'] };
    default:
      throw unsupportedContent(
        `${where}.type`,
        `'${where}.type' '${String(part['type'])}' is not a content part the model serving this request can take.`,
      );
  }
}

/** The text of a system or developer message (its parts are `input_text`). */
function instructionText(content: unknown, where: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw invalidValue(`${where}.content`, `'${where}.content' must be a string or an array.`);
  return content
    .map((part: unknown, index) => {
      const at = `${where}.content[${index}]`;
      if (!isObject(part) || part['type'] !== 'input_text') {
        throw unsupportedContent(at, `'${at}' must be an input_text part: instructions are text.`);
      }
      return requireString(part, 'text', at);
    })
    .join('\n');
}

function newTurn(): AssistantTurn {
  return { text: '', refusal: '', toolCalls: [], extra: undefined, callExtras: {} };
}

function addAssistantContent(turn: AssistantTurn, content: unknown, where: string): void {
  if (typeof content === 'string') {
    turn.text += content;
    return;
  }
  if (!Array.isArray(content))
    throw invalidValue(`${where}.content`, `'${where}.content' must be a string or an array.`);
  content.forEach((part: unknown, index) => {
    const at = `${where}.content[${index}]`;
    if (!isObject(part)) throw invalidValue(at, `'${at}' must be an object.`);
    if (part['type'] === 'output_text' || part['type'] === 'input_text')
      turn.text += requireString(part, 'text', at);
    else if (part['type'] === 'refusal') turn.refusal += requireString(part, 'refusal', at);
    else {
      throw unsupportedContent(
        `${at}.type`,
        `'${at}.type' '${String(part['type'])}' is not assistant content the model serving this request can take.`,
      );
    }
  });
}

function finishTurn(turn: AssistantTurn): ChatMessage {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: turn.text.length > 0 ? turn.text : null,
  };
  if (turn.refusal) message['refusal'] = turn.refusal;
  if (turn.toolCalls.length > 0) {
    message['tool_calls'] = turn.toolCalls.map((call) => {
      const extra = turn.callExtras[call.id];
      return extra ? { ...call, extra_content: extra } : call;
    });
  }
  if (turn.extra) message['extra_content'] = turn.extra;
  return message as ChatMessage;
}

function toolOutput(output: unknown, where: string): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output))
    throw invalidValue(`${where}.output`, `'${where}.output' must be a string or an array.`);
  return output
    .map((part: unknown, index) => {
      const at = `${where}.output[${index}]`;
      if (!isObject(part) || part['type'] !== 'input_text') {
        throw unsupportedContent(
          at,
          `'${at}' is not text: the model serving this request takes tool results as text only.`,
        );
      }
      return requireString(part, 'text', at);
    })
    .join('');
}

/**
 * The messages `items` stand for. `where(index)` names an item in errors (`input[2]`).
 */
export function convertInputItems(
  items: readonly unknown[],
  where: (index: number) => string,
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let turn: AssistantTurn | undefined;
  const flush = () => {
    if (turn) messages.push(finishTurn(turn));
    turn = undefined;
  };

  items.forEach((raw, index) => {
    const at = where(index);
    if (!isObject(raw)) throw invalidValue(at, `'${at}' must be an object.`);
    const item = raw;
    const type = item['type'] ?? (item['role'] !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = item['role'];
        if (role === 'assistant') {
          turn ??= newTurn();
          addAssistantContent(turn, item['content'], at);
          return;
        }
        flush();
        if (role === 'system' || role === 'developer') {
          messages.push({ role, content: instructionText(item['content'], at) });
        } else if (role === 'user') {
          const content = item['content'];
          if (typeof content === 'string') messages.push({ role: 'user', content });
          else if (Array.isArray(content) && content.length > 0) {
            messages.push({
              role: 'user',
              content: content.map((part: unknown, partIndex) =>
                convertUserPart(part, `${at}.content[${partIndex}]`),
              ) as Extract<ChatMessage, { role: 'user' }>['content'],
            });
          } else {
            throw invalidValue(`${at}.content`, `'${at}.content' must be a string or a non-empty array.`);
          }
        } else {
          throw invalidValue(`${at}.role`, `'${at}.role' must be one of user, assistant, system, developer.`);
        }
        return;
      }
      case 'function_call': {
        turn ??= newTurn();
        turn.toolCalls.push({
          id: requireString(item, 'call_id', at),
          type: 'function',
          function: {
            name: requireString(item, 'name', at),
            arguments: requireString(item, 'arguments', at),
          },
        });
        return;
      }
      case 'reasoning': {
        const state = decodeTurnState(item['encrypted_content']);
        if (!state) return; // Reasoning the serving provider cannot read is context it never had.
        turn ??= newTurn();
        if (state.message) turn.extra = { ...turn.extra, ...state.message };
        if (state.calls) Object.assign(turn.callExtras, state.calls);
        return;
      }
      case 'function_call_output': {
        flush();
        messages.push({
          role: 'tool',
          tool_call_id: requireString(item, 'call_id', at),
          content: toolOutput(item['output'], at),
        });
        return;
      }
      default:
        if (typeof type !== 'string') throw invalidValue(`${at}.type`, `'${at}' needs a type (or a role).`);
        refuseItem(type, at);
    }
  });
  flush();
  return messages;
}

/** The client's `input` as a list of items: a string is one user message. */
export function inputItemsOf(input: string | readonly unknown[] | undefined): unknown[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return [...input];
}
