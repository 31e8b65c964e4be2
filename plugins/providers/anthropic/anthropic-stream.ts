/**
 * An Anthropic stream (`stream: true`) → typed `chat.completion.chunk` events.
 *
 * Anthropic streams one message as events: `message_start` (id, model, input usage), then per
 * content block `content_block_start`, its deltas (`text_delta`, `thinking_delta`,
 * `signature_delta`, `input_json_delta`, …) and `content_block_stop`, then `message_delta` (stop
 * reason, final usage, input counts some servers report only here) and `message_stop`; `ping`s
 * anywhere, and an `error` event when it fails midway.
 *
 * The translator keeps one id and one `created` for the stream, puts the role in the first chunk,
 * which goes out with the first content (so an error before any content can still be retried),
 * numbers tool calls from 0 across blocks, streams tool arguments and the JSON answer of a forced
 * tool as they arrive, and holds the finish reason, the thinking blocks to carry back
 * (`extra_content.anthropic.thinking_blocks`, whole, in the last chunk's delta) and the usage to the
 * end. The usage goes out once, last, when the client asked for it (`stream_options.include_usage`);
 * otherwise it is a hidden event the gateway counts. SSE framing and `[DONE]` belong to src/sse.ts.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */
import type { ChatCompletionChunk } from '../../../schemas/chat.js';
import type { StreamEvent, Usage } from '../../../src/provider.js';
import { GatewayError } from '../../../src/errors.js';
import { parseStreamEventObject } from '../../../src/provider-toolkit.js';
import { DecodedEvents, ServerSentEventDecoder, type ServerSentEvent } from '../../../src/sse.js';
import { UpstreamFailure, toUpstreamFailure, type UpstreamAnswer } from '../../../src/upstream.js';
import type { AnthropicStreamEvent, AnthropicStopDetails, AnthropicUsage } from './anthropic-api.js';
import { statusOfErrorType, toAnthropicFailure } from './anthropic-error.js';
import {
  EXTRA_CONTENT_FIELD,
  thinkingBlocksExtension,
  type ThinkingBlock,
} from './anthropic-thinking-blocks.js';
import {
  createCompletionId,
  mapAnthropicUsage,
  warnDropped,
  type MappedUsage,
  type ResponseOptions,
} from './convert-anthropic-response.js';
import { explainStopReason, mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

export interface StreamOptions extends ResponseOptions {
  /** The model name to report until Anthropic names it. */
  readonly model: string;
  /** `stream_options.include_usage`: a last chunk with the usage, and `usage: null` on the others. */
  readonly includeUsage: boolean;
}

/** One content block as it streams. */
type BlockState =
  | { kind: 'text' }
  | { kind: 'thinking'; thinking: string; signature: string }
  | { kind: 'redacted_thinking'; data: string }
  | { kind: 'tool'; toolIndex: number; input: unknown; argumentsSent: boolean }
  | { kind: 'json'; input: unknown; argumentsSent: boolean }
  | { kind: 'dropped' };

type Delta = Record<string, unknown>;

export class AnthropicStreamTranslator {
  readonly #options: StreamOptions;
  readonly #blocks = new Map<number, BlockState>();
  readonly #thinkingBlocks: ThinkingBlock[] = [];
  readonly #dropped = new Set<string>();
  #id = '';
  #created = 0;
  #model = '';
  /** Whether the role went out (with the first content). */
  #started = false;
  #toolCalls = 0;
  #jsonAnswered = false;
  #stopReason: string | null = null;
  #stopDetails: AnthropicStopDetails | null = null;
  /** The counts so far: message_start's, overwritten field by field by message_delta's. */
  #usage: AnthropicUsage | undefined;
  #mappedUsage: MappedUsage | undefined;
  #stopped = false;

  constructor(options: StreamOptions) {
    this.#options = options;
  }

  /** Whether a chunk went out (after which a failure can no longer be retried elsewhere). */
  get started(): boolean {
    return this.#started;
  }

  /** The usage Anthropic reported, in the gateway's terms (final after end()). */
  get usage(): Usage | undefined {
    return this.#mapUsage()?.gateway;
  }

  #mapUsage(): MappedUsage | undefined {
    this.#mappedUsage ??= mapAnthropicUsage(this.#usage, this.#thinkingBlocks.length > 0);
    return this.#mappedUsage;
  }

  #identify(message: AnthropicStreamEvent['message']): void {
    if (this.#id) return;
    this.#id = createCompletionId(message?.id);
    this.#created = Math.floor(Date.now() / 1000);
    this.#model = message?.model || this.#options.model;
  }

  #mergeUsage(usage: AnthropicUsage | null | undefined): void {
    if (!usage || typeof usage !== 'object') return;
    const merged: AnthropicUsage = { ...this.#usage };
    for (const [key, value] of Object.entries(usage) as [keyof AnthropicUsage, unknown][]) {
      if (value !== null && value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
    this.#usage = merged;
    this.#mappedUsage = undefined;
  }

  #chunk(delta: Delta, finishReason: ChatCompletionChunk['choices'][number]['finish_reason'] = null) {
    if (!this.#started) {
      this.#started = true;
      delta = { role: 'assistant', content: null, ...delta };
    }
    const chunk: ChatCompletionChunk = {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.#options.includeUsage) chunk.usage = null;
    return chunk;
  }

  #startBlock(
    index: number,
    block: NonNullable<AnthropicStreamEvent['content_block']>,
  ): ChatCompletionChunk[] {
    switch (block.type) {
      case 'text':
        this.#blocks.set(index, { kind: 'text' });
        return block.text ? [this.#chunk({ content: block.text })] : [];
      case 'thinking':
        this.#blocks.set(index, {
          kind: 'thinking',
          thinking: block.thinking ?? '',
          signature: block.signature ?? '',
        });
        return block.thinking ? [this.#chunk({ reasoning_content: block.thinking })] : [];
      case 'redacted_thinking':
        this.#blocks.set(index, { kind: 'redacted_thinking', data: block.data ?? '' });
        return [];
      case 'tool_use': {
        const jsonTool = this.#options.jsonTool;
        if (jsonTool !== undefined && block.name === jsonTool && !this.#jsonAnswered) {
          this.#jsonAnswered = true;
          this.#blocks.set(index, { kind: 'json', input: block.input, argumentsSent: false });
          return [];
        }
        const toolIndex = this.#toolCalls++;
        this.#blocks.set(index, { kind: 'tool', toolIndex, input: block.input, argumentsSent: false });
        const call = {
          index: toolIndex,
          id: block.id ?? '',
          type: 'function',
          function: { name: block.name ?? '', arguments: '' },
        };
        return [this.#chunk({ tool_calls: [call] })];
      }
      default:
        // Server tools' blocks (server_tool_use, web_search_tool_result, …) and blocks added later.
        this.#blocks.set(index, { kind: 'dropped' });
        this.#dropped.add(String(block.type ?? 'untyped'));
        return [];
    }
  }

  #deltaBlock(index: number, delta: NonNullable<AnthropicStreamEvent['delta']>): ChatCompletionChunk[] {
    const state = this.#blocks.get(index);
    if (!state) return [];
    switch (delta.type) {
      case 'text_delta':
        return state.kind === 'text' && delta.text ? [this.#chunk({ content: delta.text })] : [];
      case 'thinking_delta':
        if (state.kind !== 'thinking' || !delta.thinking) return [];
        state.thinking += delta.thinking;
        return [this.#chunk({ reasoning_content: delta.thinking })];
      case 'signature_delta':
        if (state.kind === 'thinking' && delta.signature) state.signature += delta.signature;
        return [];
      case 'input_json_delta': {
        const part = delta.partial_json;
        if (!part) return [];
        if (state.kind === 'json') {
          state.argumentsSent = true;
          return [this.#chunk({ content: part })];
        }
        if (state.kind === 'tool') {
          state.argumentsSent = true;
          return [this.#chunk({ tool_calls: [{ index: state.toolIndex, function: { arguments: part } }] })];
        }
        return [];
      }
      default:
        // citations_delta and deltas added later: nothing a chat completion carries.
        return [];
    }
  }

  #stopBlock(index: number): ChatCompletionChunk[] {
    const state = this.#blocks.get(index);
    if (!state) return [];
    switch (state.kind) {
      case 'thinking':
        this.#thinkingBlocks.push({ type: 'thinking', thinking: state.thinking, signature: state.signature });
        return [];
      case 'redacted_thinking':
        this.#thinkingBlocks.push({ type: 'redacted_thinking', data: state.data });
        return [];
      case 'tool':
      case 'json': {
        if (state.argumentsSent) return [];
        // A call whose input came whole in content_block_start, or empty: its JSON still goes out,
        // so that the arguments the client puts together parse.
        state.argumentsSent = true;
        const input = JSON.stringify(state.input ?? {});
        if (state.kind === 'json') return [this.#chunk({ content: input })];
        return [this.#chunk({ tool_calls: [{ index: state.toolIndex, function: { arguments: input } }] })];
      }
      default:
        return [];
    }
  }

  /** The chunks one Anthropic event becomes (often one, often none). */
  push(event: AnthropicStreamEvent): ChatCompletionChunk[] {
    if (this.#stopped) return [];
    this.#identify(event.type === 'message_start' ? event.message : undefined);
    const index = event.index ?? 0;
    switch (event.type) {
      case 'message_start':
        this.#mergeUsage(event.message?.usage);
        return [];
      case 'content_block_start':
        return event.content_block ? this.#startBlock(index, event.content_block) : [];
      case 'content_block_delta':
        return event.delta ? this.#deltaBlock(index, event.delta) : [];
      case 'content_block_stop':
        return this.#stopBlock(index);
      case 'message_delta':
        if (event.delta?.stop_reason) this.#stopReason = event.delta.stop_reason;
        if (event.delta?.stop_details) this.#stopDetails = event.delta.stop_details;
        this.#mergeUsage(event.usage);
        return [];
      case 'message_stop':
        this.#stopped = true;
        return [];
      default:
        // ping, and events added later.
        return [];
    }
  }

  /**
   * The closing chunks, after Anthropic ended the stream: the finish reason (with the refusal's
   * explanation and the thinking blocks to carry back), then the usage. A stream that closed
   * before `message_stop` was cut short.
   */
  end(): ChatCompletionChunk[] {
    if (!this.#stopped) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: 'Anthropic ended the stream before message_stop.',
      });
    }
    warnDropped(this.#dropped, this.#options.warnings);
    const explanation = explainStopReason(this.#stopReason);
    if (explanation) this.#options.warnings.push(explanation);
    const finishReason = mapAnthropicStopReason(
      this.#stopReason,
      this.#jsonAnswered && this.#toolCalls === 0,
    );
    const delta: Delta = {};
    if (finishReason === 'content_filter' && this.#stopDetails?.explanation) {
      delta['refusal'] = this.#stopDetails.explanation;
    }
    if (this.#thinkingBlocks.length > 0)
      delta[EXTRA_CONTENT_FIELD] = thinkingBlocksExtension(this.#thinkingBlocks);
    const chunks = [this.#chunk(delta, finishReason)];
    const usage = this.#mapUsage();
    if (this.#options.includeUsage && usage)
      chunks.push({ ...this.#chunk({}), choices: [], usage: usage.usage });
    return chunks;
  }

  /**
   * The usage chunk of a client that did not ask for one (no include_usage), for the gateway's
   * accounting only; undefined when it was asked for (then end() sent it) or Anthropic gave none.
   * Call after end().
   */
  unrequestedUsage(): ChatCompletionChunk | undefined {
    const usage = this.#mapUsage();
    if (this.#options.includeUsage || !usage) return undefined;
    return { ...this.#chunk({}), choices: [], usage: usage.usage };
  }
}

/**
 * Reads Anthropic's event stream and yields the translated chunks. Ends only after `message_stop`
 * and a clean close; a cut connection, an event that is not JSON or an `error` event is thrown (the
 * gateway then ends the client's stream with an error event). An `error` event before any chunk
 * went out is thrown as the HTTP error it stands for (an `overloaded_error` as a 529), so that the
 * router may still retry or fail over. Stopping early (`return()`) releases the connection.
 */
export function readAnthropicStream(
  response: UpstreamAnswer,
  translator: AnthropicStreamTranslator,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): DecodedEvents<StreamEvent> {
  const decoder = new ServerSentEventDecoder();
  const events: ServerSentEvent[] = [];
  /** The chat chunks of one Anthropic event (its JSON parsed, an error event thrown). */
  const take = (event: ServerSentEvent, out: StreamEvent[]): void => {
    const parsed = parseStreamEventObject<AnthropicStreamEvent>(event.data, provider);
    if (parsed.type === 'error' || event.event === 'error') {
      throw toAnthropicFailure({
        status: statusOfErrorType(parsed.error?.type),
        wire: parsed,
        text: event.data,
        provider,
        secrets,
        kind: translator.started ? 'mid_stream' : 'http',
      });
    }
    for (const chunk of translator.push(parsed)) out.push({ chunk });
  };
  return new DecodedEvents(response.body[Symbol.asyncIterator](), {
    read(piece, out) {
      if (piece === undefined) decoder.end(events);
      else decoder.push(piece, events);
      try {
        for (const event of events) take(event, out);
      } finally {
        events.length = 0;
      }
      if (piece !== undefined) return false;
      for (const chunk of translator.end()) out.push({ chunk });
      const usage = translator.unrequestedUsage();
      if (usage) out.push({ chunk: usage, hidden: true });
      return true;
    },
    fail(error) {
      if (translator.started && !(error instanceof GatewayError) && !signal.aborted) {
        // The client has part of the answer: this is a broken answer, not an unreachable provider.
        return new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
          message: `The provider ${provider} cut the stream short.`,
          cause: error,
        });
      }
      return toUpstreamFailure(error, signal, provider);
    },
    release(finished) {
      if (!finished) response.body.destroy();
    },
  });
}
