/**
 * Responses API event streams: read as typed events (relayed unchanged by POST /v1/responses), and
 * translated into `chat.completion.chunk`s for chat clients of a Responses-only model.
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 *
 * The stream has no `[DONE]`: it ends after `response.completed`, `response.incomplete`,
 * `response.failed` or an `error` event. Any other end is a cut.
 */
import type { ChatCompletionChunk } from '../../../schemas/chat.js';
import type { ResponsesStreamEvent, StreamEvent } from '../../../src/provider.js';
import { parseServerSentEvents } from '../../../src/sse.js';
import {
  UpstreamFailure,
  scrubSecrets,
  toUpstreamFailure,
  type UpstreamAnswer,
} from '../../../src/upstream.js';
import {
  convertResponsesUsage,
  failedResponseError,
  mapResponsesFinishReason,
  type ResponsesOutputItemWire,
  type ResponsesResponseWire,
} from './convert-responses-response.js';

const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

/** Each event of an upstream Responses stream, its JSON text kept; ends after the terminal event. */
export async function* readResponsesStream(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): AsyncGenerator<ResponsesStreamEvent, void, undefined> {
  let finished = false;
  try {
    const source = response.body.keptOnReturn();
    for await (const event of parseServerSentEvents(source)) {
      let type: unknown;
      try {
        type = (JSON.parse(event.data) as { type?: unknown }).type;
      } catch {
        throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
          message: `The provider ${provider} sent a stream event that is not JSON.`,
        });
      }
      const name = typeof type === 'string' ? type : event.event;
      // An error event may quote our key back; nothing else carries text from the request's headers.
      const data = name === 'error' ? scrubSecrets(event.data, secrets) : event.data;
      yield { type: name, data };
      if (TERMINAL_EVENTS.has(name)) {
        finished = true;
        return;
      }
    }
  } catch (error) {
    throw toUpstreamFailure(error, signal, provider);
  } finally {
    if (finished) response.body.drain();
    else response.body.destroy();
  }
  throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
    message: `The provider ${provider} ended the stream before the response was complete.`,
  });
}

interface ChunkState {
  id: string;
  created: number;
  model: string;
  serviceTier: string | undefined;
  includeUsage: boolean;
  /** Output item id → index of its tool call in the chat stream. */
  toolIndexes: Map<string, number>;
}

function chunk(
  state: ChunkState,
  delta: Record<string, unknown>,
  finishReason: string | null = null,
): StreamEvent {
  const value: ChatCompletionChunk & { service_tier?: string } = {
    id: state.id,
    object: 'chat.completion.chunk',
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  if (state.serviceTier) value.service_tier = state.serviceTier;
  if (state.includeUsage) value.usage = null;
  return { chunk: value };
}

export interface ConvertStreamOptions {
  provider: string;
  fallbackModel: string;
  /** `stream_options.include_usage`: a final chunk with `choices: []` and the usage. */
  includeUsage: boolean;
}

/** Responses API events → chat completion chunks, with the same ordering and tool call indexes. */
export async function* convertResponsesStream(
  events: AsyncIterable<ResponsesStreamEvent>,
  options: ConvertStreamOptions,
): AsyncGenerator<StreamEvent, void, undefined> {
  const state: ChunkState = {
    id: '',
    created: Math.floor(Date.now() / 1000),
    model: options.fallbackModel,
    serviceTier: undefined,
    includeUsage: options.includeUsage,
    toolIndexes: new Map(),
  };
  let started = false;
  const start = function* (response: ResponsesResponseWire | undefined): Generator<StreamEvent> {
    if (started) return;
    started = true;
    if (response?.id) state.id = response.id;
    if (typeof response?.created_at === 'number') state.created = Math.floor(response.created_at);
    if (response?.model) state.model = response.model;
    if (response?.service_tier) state.serviceTier = response.service_tier;
    yield chunk(state, { role: 'assistant', content: '', refusal: null });
  };

  for await (const event of events) {
    const data = JSON.parse(event.data) as {
      response?: ResponsesResponseWire;
      delta?: string;
      item?: ResponsesOutputItemWire;
      item_id?: string;
      code?: string | null;
      message?: string;
    };
    switch (event.type) {
      case 'response.created':
        yield* start(data.response);
        break;
      case 'response.output_text.delta':
        yield* start(undefined);
        yield chunk(state, { content: data.delta ?? '' });
        break;
      case 'response.refusal.delta':
        yield* start(undefined);
        yield chunk(state, { refusal: data.delta ?? '' });
        break;
      case 'response.output_item.added': {
        const item = data.item;
        if (item?.type !== 'function_call') break;
        yield* start(undefined);
        const index = state.toolIndexes.size;
        state.toolIndexes.set(item.id ?? `item-${index}`, index);
        yield chunk(state, {
          tool_calls: [
            {
              index,
              id: item.call_id ?? item.id,
              type: 'function',
              function: { name: item.name ?? '', arguments: item.arguments ?? '' },
            },
          ],
        });
        break;
      }
      case 'response.function_call_arguments.delta': {
        const index = state.toolIndexes.get(data.item_id ?? '');
        if (index === undefined || !data.delta) break;
        yield chunk(state, { tool_calls: [{ index, function: { arguments: data.delta } }] });
        break;
      }
      case 'response.completed':
      case 'response.incomplete': {
        yield* start(data.response);
        const response = data.response ?? {};
        yield chunk(state, {}, mapResponsesFinishReason(response, state.toolIndexes.size > 0));
        const usage = convertResponsesUsage(response.usage);
        if (options.includeUsage || usage) {
          const usageChunk = chunk(state, {});
          usageChunk.chunk.choices = [];
          usageChunk.chunk.usage = usage ?? null;
          // Not asked for: read for the accounting, not sent.
          yield options.includeUsage ? usageChunk : { chunk: usageChunk.chunk, hidden: true };
        }
        return;
      }
      case 'response.failed':
        throw failedResponseError(data.response?.error, options.provider, 'mid_stream');
      case 'error':
        throw new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'mid_stream', {
          message: data.message || `The provider ${options.provider} reported an error mid-stream.`,
          code: data.code ?? null,
        });
      default:
        // Reasoning summaries, content part and item boundaries, tool progress: no chat counterpart.
        break;
    }
  }
}
