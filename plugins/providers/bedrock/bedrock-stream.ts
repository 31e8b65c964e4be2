/**
 * A ConverseStream answer → typed `chat.completion.chunk` events.
 *
 * ConverseStream answers in AWS's binary event-stream framing (`application/vnd.amazon.eventstream`):
 * each message is a prelude (total and header lengths, CRC32), typed headers (`:message-type`
 * event, exception or error; `:event-type`), a JSON payload and a CRC32 of the whole. The messages
 * are cut from the bytes as they arrive and decoded, checksums verified, by the AWS SDK's codec
 * (@smithy/core's event-streams, what @smithy/eventstream-codec now re-exports).
 *
 * The events (`messageStart`, `contentBlockStart` for a tool call, `contentBlockDelta` with text,
 * tool input or reasoning, `contentBlockStop`, `messageStop` with the stop reason, `metadata` with
 * the usage, last) are the events of Anthropic's stream under other names, so they are renamed and
 * handed to Anthropic's stream translator: one id and `created` for the stream, the role with the
 * first content, tool calls numbered from 0 with their arguments as they are written, the finish
 * reason and the thinking blocks to carry back in the last chunk, the usage once, last.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
 * @see https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream
 */
import { EventStreamCodec, type Message } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { GatewayError } from '../../../src/errors.js';
import type { StreamEvent } from '../../../src/provider.js';
import { badResponse, toProviderFailure } from '../../../src/provider-toolkit.js';
import {
  UpstreamFailure,
  destroyBody,
  toUpstreamFailure,
  type UpstreamAnswer,
} from '../../../src/upstream.js';
import type { AnthropicStreamEvent } from '../anthropic/anthropic-api.js';
import type { AnthropicStreamTranslator } from '../anthropic/anthropic-stream.js';
import type { BedrockStreamEvent } from './bedrock-api.js';
import { exceptionName, toBedrockFailure } from './bedrock-error.js';
import { toAnthropicUsage } from './convert-bedrock-response.js';
import { explainBedrockStopReason, mapBedrockStopReason } from './map-bedrock-stop-reason.js';

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

/** Prelude (8 bytes), its CRC (4) and the message CRC (4): the smallest message. */
const MINIMUM_MESSAGE_BYTES = 16;
/**
 * The largest message accepted: AWS's event-stream limit (16 MiB of payload, 128 KiB of headers)
 * and its framing. A prelude that claims more is a broken stream, not a buffer to allocate.
 */
export const MAXIMUM_MESSAGE_BYTES = 16 * 1024 * 1024 + 128 * 1024 + MINIMUM_MESSAGE_BYTES;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * The event-stream messages of a body, decoded as they complete, whatever the boundaries of the
 * chunks they arrive in. A prelude out of bounds, a checksum that does not match or bytes left
 * after the last message throw.
 */
export async function* decodeEventStream(source: AsyncIterable<Uint8Array>): AsyncGenerator<Message> {
  let pending = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (length < MINIMUM_MESSAGE_BYTES || length > MAXIMUM_MESSAGE_BYTES) {
        throw new Error(`an event-stream message of ${length} bytes`);
      }
      if (pending.length < length) break;
      yield codec.decode(pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  }
  if (pending.length > 0) throw new Error('an event-stream message cut short');
}

export function headerText(message: Message, name: string): string | undefined {
  const header = message.headers[name];
  return header && header.type === 'string' ? header.value : undefined;
}

type OpenBlock = 'text' | 'thinking' | 'redacted' | 'tool';

/**
 * Renames ConverseStream's events as Anthropic's. Converse opens a block explicitly only for a tool
 * call; a text or reasoning block starts with its first delta, so the block's start is written then.
 */
export class ConverseEventRenamer {
  readonly #open = new Map<number, OpenBlock>();
  readonly #warnings: string[];
  #stopped = false;

  constructor(warnings: string[]) {
    this.#warnings = warnings;
  }

  /** Whether `messageStop` came (a stream without it was cut short). */
  get stopped(): boolean {
    return this.#stopped;
  }

  #start(
    index: number,
    kind: OpenBlock,
    block: AnthropicStreamEvent['content_block'],
  ): AnthropicStreamEvent[] {
    if (this.#open.has(index)) return [];
    this.#open.set(index, kind);
    return [{ type: 'content_block_start', index, content_block: block }];
  }

  #delta(index: number, delta: NonNullable<BedrockStreamEvent['delta']>): AnthropicStreamEvent[] {
    if (typeof delta.text === 'string') {
      return [
        ...this.#start(index, 'text', { type: 'text', text: '' }),
        { type: 'content_block_delta', index, delta: { type: 'text_delta', text: delta.text } },
      ];
    }
    if (delta.toolUse) {
      // A tool call's start named it; its input comes as pieces of JSON text.
      return [
        {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: delta.toolUse.input ?? '' },
        },
      ];
    }
    const reasoning = delta.reasoningContent;
    if (!reasoning) return [];
    if (typeof reasoning.redactedContent === 'string') {
      return this.#start(index, 'redacted', { type: 'redacted_thinking', data: reasoning.redactedContent });
    }
    const events = this.#start(index, 'thinking', { type: 'thinking', thinking: '', signature: '' });
    if (reasoning.text) {
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'thinking_delta', thinking: reasoning.text },
      });
    }
    if (reasoning.signature) {
      events.push({
        type: 'content_block_delta',
        index,
        delta: { type: 'signature_delta', signature: reasoning.signature },
      });
    }
    return events;
  }

  rename(type: string | undefined, event: BedrockStreamEvent): AnthropicStreamEvent[] {
    const index = event.contentBlockIndex ?? 0;
    switch (type) {
      case 'contentBlockStart': {
        const tool = event.start?.toolUse;
        if (!tool) return [];
        return this.#start(index, 'tool', {
          type: 'tool_use',
          id: tool.toolUseId,
          name: tool.name,
          input: {},
        });
      }
      case 'contentBlockDelta':
        return event.delta ? this.#delta(index, event.delta) : [];
      case 'contentBlockStop':
        return this.#open.has(index) ? [{ type: 'content_block_stop', index }] : [];
      case 'messageStop': {
        this.#stopped = true;
        const explanation = explainBedrockStopReason(event.stopReason);
        if (explanation) this.#warnings.push(explanation);
        return [{ type: 'message_delta', delta: { stop_reason: mapBedrockStopReason(event.stopReason) } }];
      }
      case 'metadata':
        return [{ type: 'message_delta', usage: toAnthropicUsage(event.usage) ?? null }];
      default:
        // messageStart (the stream's start is written by the reader) and events added later.
        return [];
    }
  }
}

export interface BedrockStreamContext {
  readonly provider: string;
  readonly secrets: (string | undefined)[];
  readonly signal: AbortSignal;
  /** The model to report, and the request id that becomes the completion's id. */
  readonly model: string;
  readonly requestId: string | undefined;
  readonly warnings: string[];
}

/** The failure an exception or error message in the stream stands for. */
export function streamFailure(
  message: Message,
  context: BedrockStreamContext,
  started: boolean,
): UpstreamFailure {
  const kind = started ? 'mid_stream' : 'http';
  const text = toUtf8(message.body);
  if (headerText(message, ':message-type') === 'exception') {
    return toBedrockFailure({
      exception: exceptionName(headerText(message, ':exception-type')),
      status: 200,
      text,
      provider: context.provider,
      secrets: context.secrets,
      kind,
    });
  }
  const code = headerText(message, ':error-code');
  return toProviderFailure({
    provider: context.provider,
    status: 502,
    message: headerText(message, ':error-message') ?? null,
    text,
    code: code ?? null,
    secrets: context.secrets,
    kind,
  });
}

/**
 * Reads ConverseStream's answer and yields the translated chunks. Ends only after `messageStop` and
 * a clean end of the body; a cut connection, a broken frame, a payload that is not JSON or an
 * exception is thrown. An exception before any chunk went out is thrown as the HTTP error it stands
 * for (a `throttlingException` as a 429), so the router may still retry or fail over. Stopping early
 * (`return()`) releases the connection.
 */
export async function* readBedrockStream(
  response: UpstreamAnswer,
  translator: AnthropicStreamTranslator,
  context: BedrockStreamContext,
): AsyncGenerator<StreamEvent, void, undefined> {
  const { provider, signal } = context;
  const renamer = new ConverseEventRenamer(context.warnings);
  let finished = false;
  try {
    translator.push({
      type: 'message_start',
      message: { id: context.requestId ?? null, model: context.model },
    });
    for await (const message of decodeEventStream(response.body)) {
      const messageType = headerText(message, ':message-type');
      if (messageType === 'exception' || messageType === 'error') {
        throw streamFailure(message, context, translator.started);
      }
      if (messageType !== 'event') continue;
      let payload: BedrockStreamEvent;
      try {
        payload = JSON.parse(toUtf8(message.body)) as BedrockStreamEvent;
      } catch {
        payload = undefined as unknown as BedrockStreamEvent;
      }
      if (!payload || typeof payload !== 'object') {
        throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
          message: `The provider ${provider} sent a stream event that is not a JSON object.`,
        });
      }
      for (const event of renamer.rename(headerText(message, ':event-type'), payload)) {
        for (const chunk of translator.push(event)) yield { chunk };
      }
    }
    if (!renamer.stopped) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: `The provider ${provider} ended the stream before messageStop.`,
      });
    }
    translator.push({ type: 'message_stop' });
    for (const chunk of translator.end()) yield { chunk };
    const usage = translator.unrequestedUsage();
    if (usage) yield { chunk: usage, hidden: true };
    finished = true;
  } catch (error) {
    if (error instanceof GatewayError || signal.aborted) throw toUpstreamFailure(error, signal, provider);
    if (translator.started) {
      // The client has part of the answer: this is a broken answer, not an unreachable provider.
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: `The provider ${provider} cut the stream short.`,
        cause: error,
      });
    }
    if (error instanceof Error && /event-stream|checksum|CRC|message length/i.test(error.message)) {
      throw badResponse(provider, `sent a broken event stream (${error.message})`);
    }
    throw toUpstreamFailure(error, signal, provider);
  } finally {
    if (!finished) destroyBody(response);
  }
}
