/**
 * A chat stream (typed `chat.completion.chunk`s) → the events of an Anthropic message stream, for a
 * model not served through Anthropic's own API.
 *
 * The grammar Anthropic's clients expect: `message_start` (with the message's id and model, empty
 * content and the usage known so far: none yet), then each content block as `content_block_start`,
 * its deltas and `content_block_stop`, one block at a time, numbered from 0; then `message_delta`
 * (the stop reason and the whole usage) and `message_stop`.
 * - reasoning text → a `thinking` block of `thinking_delta`s, closed by a `signature_delta` with the
 *   gateway's mark (only when the client asked for thinking);
 * - text (and a refusal's explanation) → a `text` block of `text_delta`s;
 * - each tool call → a `tool_use` block (id, name, `input: {}`), its arguments as `input_json_delta`s
 *   as the model writes them;
 * - what the provider attached for the next turn → the gateway's carrier block, last.
 * `message_start` goes out with the first chunk, not before, so that a stream failing before it
 * says anything can still be retried on another deployment.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */
import type { ChatCompletionChunk } from '../../../schemas/chat.js';
import type { ChatStream, Usage } from '../../../src/provider.js';
import { usageFromChatCompletion, type ChatUsageWire } from '../../../src/provider-toolkit.js';
import { convertEvents } from '../../../src/sse.js';
import { convertToMessagesUsage } from './convert-usage.js';
import { createMessageId, type AnswerOptions, type ChatToolCallWire } from './convert-chat-completion.js';
import { GATEWAY_THINKING_SIGNATURE, createCarrierBlock } from './gateway-thinking-blocks.js';
import { mapFinishReason } from './map-finish-reason.js';

/** One event of a Messages API stream: its name (the `event:` line) and its JSON data. */
export interface MessagesStreamEvent {
  readonly event: string;
  readonly data: string;
  /**
   * The usage the event reports, in the gateway's terms, for events the gateway wrote: the usage, or
   * null when it reports none. Undefined for events passed through from Anthropic (read `data`).
   */
  readonly usage?: Usage | null;
  /**
   * The data as the object it was written from, for events the gateway wrote (so the cache's
   * collector reads it without parsing the JSON again); undefined for events passed through.
   */
  readonly value?: Record<string, unknown>;
}

export interface StreamConversionOptions extends AnswerOptions {
  /** The model to name until the stream names one. */
  readonly model: string;
}

type OpenBlock = { kind: 'text' | 'thinking'; index: number } | { kind: 'tool'; index: number; key: number };

interface ChunkDelta {
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  tool_calls?: ChatToolCallWire[] | null;
  extra_content?: unknown;
}

function event(type: string, data: Record<string, unknown>, usage?: Usage | null): MessagesStreamEvent {
  const value = { type, ...data };
  const written = { event: type, data: JSON.stringify(value), value };
  return usage === undefined ? written : { ...written, usage };
}

export class ChatStreamConverter {
  readonly #options: StreamConversionOptions;
  #started = false;
  #open: OpenBlock | null = null;
  #nextIndex = 0;
  /** Tool calls by their index in the chat stream: the block each became and its id. */
  readonly #tools = new Map<number, { index: number; id: string }>();
  readonly #toolExtensions: Record<string, unknown> = {};
  #messageExtension: unknown;
  #finishReason: string | null = null;
  #usage: Usage | undefined;
  #lostPieces = 0;

  constructor(options: StreamConversionOptions) {
    this.#options = options;
  }

  /** Whether `message_start` went out. */
  get started(): boolean {
    return this.#started;
  }

  #start(out: MessagesStreamEvent[], chunk: { id?: string | null; model?: string | null } = {}): void {
    if (this.#started) return;
    this.#started = true;
    const message = {
      id: createMessageId(chunk.id),
      type: 'message',
      role: 'assistant',
      model: chunk.model || this.#options.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    out.push(event('message_start', { message }, null));
  }

  #close(out: MessagesStreamEvent[]): void {
    const open = this.#open;
    if (!open) return;
    if (open.kind === 'thinking') {
      out.push(
        event('content_block_delta', {
          index: open.index,
          delta: { type: 'signature_delta', signature: GATEWAY_THINKING_SIGNATURE },
        }),
      );
    }
    out.push(event('content_block_stop', { index: open.index }));
    this.#open = null;
  }

  /** The open text or thinking block, opened (after closing another) when it is not. */
  #openBlock(kind: 'text' | 'thinking', out: MessagesStreamEvent[]): number {
    if (this.#open?.kind === kind) return this.#open.index;
    this.#close(out);
    const index = this.#nextIndex++;
    const block =
      kind === 'text'
        ? { type: 'text', text: '', citations: null }
        : { type: 'thinking', thinking: '', signature: '' };
    out.push(event('content_block_start', { index, content_block: block }));
    this.#open = { kind, index };
    return index;
  }

  #text(text: string, out: MessagesStreamEvent[]): void {
    const index = this.#openBlock('text', out);
    out.push(event('content_block_delta', { index, delta: { type: 'text_delta', text } }));
  }

  #toolCall(call: ChatToolCallWire, out: MessagesStreamEvent[]): void {
    const key = call.index ?? 0;
    let tool = this.#tools.get(key);
    if (!tool) {
      this.#close(out);
      tool = { index: this.#nextIndex++, id: call.id || createMessageId(null).replace(/^msg_/, 'toolu_') };
      this.#tools.set(key, tool);
      out.push(
        event('content_block_start', {
          index: tool.index,
          content_block: { type: 'tool_use', id: tool.id, name: call.function?.name ?? '', input: {} },
        }),
      );
      this.#open = { kind: 'tool', index: tool.index, key };
    }
    if (call.extra_content !== undefined && call.extra_content !== null) {
      this.#toolExtensions[tool.id] = call.extra_content;
    }
    const piece = call.function?.arguments;
    if (!piece) return;
    if (this.#open?.kind !== 'tool' || this.#open.key !== key) {
      // Arguments of a call whose block is closed (a server that interleaves parallel calls):
      // Anthropic's grammar has no way to reopen a block.
      this.#lostPieces++;
      return;
    }
    out.push(
      event('content_block_delta', {
        index: tool.index,
        delta: { type: 'input_json_delta', partial_json: piece },
      }),
    );
  }

  /** The events one chunk becomes (often one, sometimes none). */
  push(chunk: ChatCompletionChunk): MessagesStreamEvent[] {
    const out: MessagesStreamEvent[] = [];
    if (chunk.usage) this.#usage = usageFromChatCompletion(chunk.usage as ChatUsageWire) ?? this.#usage;
    const choice = chunk.choices.find((candidate) => candidate.index === 0) ?? chunk.choices[0];
    if (!choice) {
      // A usage chunk, or a keep-alive of the provider: nothing is said yet.
      return out;
    }
    this.#start(out, chunk);
    const delta = choice.delta as ChunkDelta;
    if (this.#options.thinking && delta.reasoning_content) {
      const index = this.#openBlock('thinking', out);
      if (!this.#options.omitThinking) {
        out.push(
          event('content_block_delta', {
            index,
            delta: { type: 'thinking_delta', thinking: delta.reasoning_content },
          }),
        );
      }
    }
    if (delta.content) this.#text(delta.content, out);
    if (delta.refusal) this.#text(delta.refusal, out);
    for (const call of delta.tool_calls ?? []) this.#toolCall(call, out);
    if (delta.extra_content !== undefined && delta.extra_content !== null) {
      this.#messageExtension = delta.extra_content;
    }
    if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    return out;
  }

  /** The closing events, after the chat stream ended cleanly. */
  end(): MessagesStreamEvent[] {
    const out: MessagesStreamEvent[] = [];
    this.#start(out);
    this.#close(out);
    if (this.#lostPieces > 0) {
      this.#options.warnings.push(
        `${this.#lostPieces} piece${this.#lostPieces > 1 ? 's' : ''} of tool arguments came after their call's block had closed and were left out`,
      );
    }
    const carrier = createCarrierBlock({ toolCalls: this.#toolExtensions, message: this.#messageExtension });
    if (carrier) {
      const index = this.#nextIndex++;
      out.push(event('content_block_start', { index, content_block: carrier }));
      out.push(event('content_block_stop', { index }));
    }
    const stopReason =
      this.#tools.size > 0 && this.#finishReason === 'stop'
        ? 'tool_use'
        : mapFinishReason(this.#finishReason);
    const usage = this.#usage ? convertToMessagesUsage(this.#usage) : { output_tokens: 0 };
    out.push(
      event(
        'message_delta',
        { delta: { stop_reason: stopReason, stop_sequence: null }, usage },
        this.#usage ?? null,
      ),
    );
    out.push(event('message_stop', {}));
    return out;
  }
}

/**
 * Reads a chat stream and yields its events in Anthropic's grammar. A failure of the chat stream is
 * thrown as it comes (the door ends the client's stream with an `error` event); stopping early
 * releases the chat stream.
 */
export function convertChatStream(
  stream: ChatStream,
  options: StreamConversionOptions,
): AsyncIterable<MessagesStreamEvent> {
  const converter = new ChatStreamConverter(options);
  return convertEvents(
    stream,
    (item) => converter.push(item.chunk),
    () => converter.end(),
  );
}
