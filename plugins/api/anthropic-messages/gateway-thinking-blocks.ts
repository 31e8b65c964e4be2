/**
 * The thinking blocks the gateway itself writes into answers it translated, and reads back.
 *
 * Two things of a translated answer have no place in Anthropic's blocks yet must reach the client and
 * come back on the next turn:
 * - the serving model's reasoning text: a `thinking` block, whose `signature` (which Anthropic uses
 *   to recognise its own blocks) is the gateway's mark;
 * - what the serving provider attaches to an answer for the next turn, opaque to everyone else (the
 *   `extra_content` of tool calls and of the message in the chat shape, such as the thought
 *   signatures without which some models refuse the next turn of a tool loop): one
 *   `redacted_thinking` block, Anthropic's form for opaque state a client must send back unchanged,
 *   whose `data` holds it, marked and encoded.
 * Clients keep both as they keep Claude's own (SDKs and coding agents send an assistant turn back as
 * they received it). The gateway's blocks are recognised by the mark: a translated request takes
 * back what they carry, and a request passed through to Anthropic leaves them out, since Anthropic
 * would refuse a signature it did not make.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks
 */
import { invalidValue } from '../../../src/provider-toolkit.js';

/** The mark at the start of every signature and data the gateway writes (never one of Anthropic's). */
export const GATEWAY_MARK = 'llm-gateway.v1.';

/** The signature of a thinking block that holds a translated model's reasoning text. */
export const GATEWAY_THINKING_SIGNATURE = `${GATEWAY_MARK}thinking`;

/** What an assistant turn carries for its provider, in the chat shape's extension fields. */
export interface CarriedExtensions {
  /** `extra_content` of each tool call, by the call's id. */
  readonly toolCalls?: Readonly<Record<string, unknown>>;
  /** `extra_content` of the message. */
  readonly message?: unknown;
}

export interface GatewayThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface GatewayRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

export function createThinkingBlock(text: string): GatewayThinkingBlock {
  return { type: 'thinking', thinking: text, signature: GATEWAY_THINKING_SIGNATURE };
}

/** The block that carries `extensions`; undefined when there is nothing to carry. */
export function createCarrierBlock(extensions: CarriedExtensions): GatewayRedactedThinkingBlock | undefined {
  const toolCalls =
    extensions.toolCalls && Object.keys(extensions.toolCalls).length > 0 ? extensions.toolCalls : undefined;
  if (toolCalls === undefined && extensions.message === undefined) return undefined;
  const payload = JSON.stringify({ tool_calls: toolCalls, message: extensions.message });
  return { type: 'redacted_thinking', data: GATEWAY_MARK + Buffer.from(payload).toString('base64url') };
}

/** Whether a block of a request is one the gateway wrote (its mark on the signature or the data). */
export function isGatewayBlock(block: { type?: unknown; signature?: unknown; data?: unknown }): boolean {
  if (block.type === 'thinking')
    return typeof block.signature === 'string' && block.signature.startsWith(GATEWAY_MARK);
  if (block.type === 'redacted_thinking')
    return typeof block.data === 'string' && block.data.startsWith(GATEWAY_MARK);
  return false;
}

/**
 * What a carrier block holds; undefined for a block that is not the gateway's. A marked block that
 * does not decode was changed on the way: a 400 naming it, as Anthropic refuses a changed block.
 */
export function readCarrierBlock(data: string, param: string): CarriedExtensions | undefined {
  if (!data.startsWith(GATEWAY_MARK)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.slice(GATEWAY_MARK.length), 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidValue(
      param,
      `Invalid '${param}': this redacted_thinking block was written by the gateway and has been changed; send it back as it was received.`,
    );
  }
  const { tool_calls: toolCalls, message } = parsed as { tool_calls?: unknown; message?: unknown };
  return {
    toolCalls:
      toolCalls !== null && typeof toolCalls === 'object' && !Array.isArray(toolCalls)
        ? (toolCalls as Record<string, unknown>)
        : undefined,
    message,
  };
}

/**
 * The request as Anthropic may receive it: the gateway's blocks left out of its assistant turns
 * (the same object when it has none, which is nearly always). A turn that held nothing else is left
 * out with them.
 */
export function withoutGatewayBlocks<T extends { messages: readonly { role: string; content: unknown }[] }>(
  body: T,
): T {
  const holds = (content: unknown) =>
    Array.isArray(content) && content.some((block) => isGatewayBlock(block as Record<string, unknown>));
  if (!body.messages.some((message) => message.role === 'assistant' && holds(message.content))) return body;
  const messages = [];
  for (const message of body.messages) {
    if (message.role !== 'assistant' || !holds(message.content)) {
      messages.push(message);
      continue;
    }
    const content = (message.content as Record<string, unknown>[]).filter((block) => !isGatewayBlock(block));
    if (content.length > 0) messages.push({ ...message, content });
  }
  return { ...body, messages };
}
