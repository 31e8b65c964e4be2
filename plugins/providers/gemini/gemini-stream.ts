/**
 * A Gemini stream (`streamGenerateContent?alt=sse`) → typed `chat.completion.chunk` events.
 *
 * Gemini sends whole `GenerateContentResponse`s: text and thoughts as increments, each function call
 * whole, and the cumulative usage on every event (Vertex even repeats `finishReason: STOP` on every
 * event). The translator keeps one id and one `created` for the stream, puts the role in each
 * choice's first delta, numbers tool calls per choice across events, and holds the finish reason and
 * the usage back to the end: exactly one chunk per choice carries `finish_reason`, and the usage
 * goes out once, last, when the client asked for it (`stream_options.include_usage`). SSE framing and
 * `[DONE]` belong to src/sse.ts.
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */
import type { ChatCompletionChunk } from '../../../schemas/chat.js';
import type { StreamEvent, Usage } from '../../../src/provider.js';
import { parseStreamEventObject } from '../../../src/provider-toolkit.js';
import { DecodedEvents, ServerSentEventDecoder, type ServerSentEvent } from '../../../src/sse.js';
import { UpstreamFailure, toUpstreamFailure, type UpstreamAnswer } from '../../../src/upstream.js';
import type { GeminiErrorWire, GeminiGenerateContentResponse } from './gemini-api.js';
import {
  createCompletionId,
  isPromptBlocked,
  mapGeminiLogprobs,
  mapGeminiUsage,
  promptBlockedError,
  readParts,
  sortedCandidates,
  warnDropped,
  type MappedUsage,
  type ResponseOptions,
} from './convert-gemini-response.js';
import { parseGeminiError, toGeminiFailure } from './gemini-error.js';
import { explainsEmptyAnswer, mapGeminiFinishReason } from './map-gemini-finish-reason.js';

export interface StreamOptions extends ResponseOptions {
  /** The model name to report when Gemini does not say (`modelVersion`). */
  readonly model: string;
  /** `stream_options.include_usage`: a last chunk with the usage, and `usage: null` on the others. */
  readonly includeUsage: boolean;
}

interface ChoiceState {
  started: boolean;
  toolCalls: number;
  /** Gemini's last word on why this candidate stopped; sent only at the end. */
  finishReason: string | null;
  finished: boolean;
}

type Delta = Record<string, unknown>;

export class GeminiStreamTranslator {
  readonly #options: StreamOptions;
  readonly #choices = new Map<number, ChoiceState>();
  #id = '';
  #created = 0;
  #model = '';
  #usage: MappedUsage | undefined;
  /** Whether any chunk went out (after which a failure can no longer be an HTTP error). */
  #emitted = false;
  /** A prompt block ended the stream; later events are ignored. */
  #closed = false;

  constructor(options: StreamOptions) {
    this.#options = options;
  }

  /** The usage Gemini reported last (it is cumulative), in the gateway's terms. */
  get usage(): Usage | undefined {
    return this.#usage?.gateway;
  }

  #chunk(choices: ChatCompletionChunk['choices']): ChatCompletionChunk {
    const chunk: ChatCompletionChunk = {
      id: this.#id,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices,
    };
    if (this.#options.includeUsage) chunk.usage = null;
    return chunk;
  }

  #state(index: number): ChoiceState {
    let state = this.#choices.get(index);
    if (!state) {
      state = { started: false, toolCalls: 0, finishReason: null, finished: false };
      this.#choices.set(index, state);
    }
    return state;
  }

  #finishChunks(override?: 'content_filter'): ChatCompletionChunk[] {
    const chunks: ChatCompletionChunk[] = [];
    const indexes = [...this.#choices.keys()].sort((left, right) => left - right);
    for (const index of indexes) {
      const state = this.#choices.get(index)!;
      if (state.finished) continue;
      state.finished = true;
      const delta: Delta = state.started ? {} : { role: 'assistant', content: null };
      state.started = true;
      const reason = override ?? mapGeminiFinishReason(state.finishReason, state.toolCalls > 0);
      chunks.push(this.#chunk([{ index, delta, logprobs: null, finish_reason: reason }]));
    }
    return chunks;
  }

  /** The chunks one Gemini event becomes (often one, sometimes none). */
  push(event: GeminiGenerateContentResponse): ChatCompletionChunk[] {
    if (this.#closed) return [];
    if (!this.#id) {
      this.#id = createCompletionId(event.responseId);
      this.#created = Math.floor(Date.now() / 1000);
      this.#model = event.modelVersion || this.#options.model;
    }
    if (event.usageMetadata) this.#usage = mapGeminiUsage(event.usageMetadata) ?? this.#usage;
    if (isPromptBlocked(event.promptFeedback, event.candidates)) {
      // Before anything went out this is a plain 400; after, the stream ends as OpenAI's would.
      if (!this.#emitted) throw promptBlockedError(event.promptFeedback!);
      this.#closed = true;
      if (this.#choices.size === 0) this.#state(0).started = true;
      return this.#finishChunks('content_filter');
    }

    const chunks: ChatCompletionChunk[] = [];
    for (const candidate of sortedCandidates(Array.isArray(event.candidates) ? event.candidates : [])) {
      const index = candidate.index ?? 0;
      const state = this.#state(index);
      if (state.finished) continue;
      if (candidate.finishReason) state.finishReason = candidate.finishReason;
      const parts = readParts(candidate.content?.parts, this.#options);
      warnDropped(parts.dropped, this.#options.warnings);
      const delta: Delta = {};
      if (!state.started) delta['role'] = 'assistant';
      if (parts.reasoning) delta['reasoning_content'] = parts.reasoning;
      if (parts.hasText && (parts.text.length > 0 || !state.started)) delta['content'] = parts.text;
      else if (!state.started) delta['content'] = null;
      if (parts.toolCalls.length > 0) {
        delta['tool_calls'] = parts.toolCalls.map((call, offset) => ({
          index: state.toolCalls + offset,
          ...call,
        }));
        state.toolCalls += parts.toolCalls.length;
      }
      const hasPayload =
        parts.reasoning.length > 0 || parts.toolCalls.length > 0 || (parts.hasText && parts.text.length > 0);
      if (!hasPayload) continue;
      state.started = true;
      this.#emitted = true;
      chunks.push(
        this.#chunk([
          { index, delta, logprobs: mapGeminiLogprobs(candidate.logprobsResult), finish_reason: null },
        ]),
      );
    }
    return chunks;
  }

  /**
   * The closing chunks, after Gemini ended the stream cleanly: each choice's finish reason, then the
   * usage. A stream that said nothing and gave no reason for it is a broken answer.
   */
  end(): ChatCompletionChunk[] {
    if (!this.#emitted && !this.#closed) {
      const states = [...this.#choices.values()];
      if (!states.some((state) => explainsEmptyAnswer(state.finishReason))) {
        const reasons = states.map((state) => state.finishReason ?? 'no finish reason');
        throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
          message: `Gemini ended the stream without content (${reasons.join('; ') || 'no candidate'}).`,
        });
      }
    }
    const chunks = this.#finishChunks();
    if (this.#options.includeUsage && this.#usage) {
      chunks.push({ ...this.#chunk([]), usage: this.#usage.usage });
    }
    return chunks;
  }

  /**
   * The usage chunk of a client that did not ask for one (no include_usage), for the gateway's
   * accounting only; undefined when it was asked for (then end() sent it) or Gemini gave none.
   * Call after end().
   */
  unrequestedUsage(): ChatCompletionChunk | undefined {
    if (this.#options.includeUsage || !this.#usage) return undefined;
    return { ...this.#chunk([]), usage: this.#usage.usage };
  }
}

/** The failure an error body written into the stream stands for (Vertex appends one on a fault). */
function strayFailure(lines: string[], provider: string, secrets: (string | undefined)[]): UpstreamFailure {
  const text = lines.join('\n');
  const wire = parseGeminiError(text);
  if (wire) {
    return toGeminiFailure({
      status: Number(wire.error?.code) || 502,
      wire,
      text,
      provider,
      secrets,
      kind: 'mid_stream',
    });
  }
  return new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
    message: `The provider ${provider} wrote text that is not a server-sent event into the stream.`,
  });
}

/**
 * Gemini's event stream, a read at a time (`DecodedEvents`): `take` turns each event into what the
 * reader hands over, `finish` adds the last of it after Gemini closed the stream cleanly. A line
 * that is not a server-sent event (Vertex writes an error body into the stream on a fault) is
 * thrown at the next event or at the end, after the events before it. A cut connection is thrown;
 * stopping early (`return()`) releases the connection.
 */
function readGeminiBody<T>(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
  take: (event: ServerSentEvent, out: T[]) => void,
  finish?: (out: T[]) => void,
): DecodedEvents<T> {
  // Unknown lines are queued between the events, in stream order.
  type Item = ServerSentEvent | { unknownLine: string };
  const items: Item[] = [];
  const decoded = items as ServerSentEvent[];
  const decoder = new ServerSentEventDecoder({ onUnknownLine: (line) => items.push({ unknownLine: line }) });
  const stray: string[] = [];
  return new DecodedEvents(response.body[Symbol.asyncIterator](), {
    read(piece, out) {
      if (piece === undefined) decoder.end(decoded);
      else decoder.push(piece, decoded);
      try {
        for (const item of items) {
          if ('unknownLine' in item) stray.push(item.unknownLine);
          else if (stray.length > 0) throw strayFailure(stray, provider, secrets);
          else take(item, out);
        }
      } finally {
        items.length = 0;
      }
      if (piece !== undefined) return false;
      if (stray.length > 0) throw strayFailure(stray, provider, secrets);
      finish?.(out);
      return true;
    },
    fail: (error) => toUpstreamFailure(error, signal, provider),
    release(finished) {
      if (!finished) response.body.destroy();
    },
  });
}

/** An event's `GenerateContentResponse`; an error event is thrown. */
function parseGeminiEvent(
  event: ServerSentEvent,
  provider: string,
  secrets: (string | undefined)[],
): GeminiGenerateContentResponse {
  const parsed = parseStreamEventObject<GeminiGenerateContentResponse & GeminiErrorWire>(
    event.data,
    provider,
  );
  if (parsed.error) {
    throw toGeminiFailure({
      status: Number(parsed.error.code) || 502,
      wire: parsed,
      text: event.data,
      provider,
      secrets,
      kind: 'mid_stream',
    });
  }
  return parsed;
}

/**
 * Reads Gemini's event stream and hands over each event's `GenerateContentResponse`. Ends only after
 * Gemini closed the stream cleanly; a cut connection, an event that is not JSON, an error event or
 * an error body written into the stream is thrown. Stopping early (`return()`) releases the
 * connection.
 */
export function readGeminiEvents(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): DecodedEvents<GeminiGenerateContentResponse> {
  return readGeminiBody(response, signal, provider, secrets, (event, out) => {
    out.push(parseGeminiEvent(event, provider, secrets));
  });
}

// An event whose JSON starts with `"error"`: Google's error object written into the stream.
const ERROR_EVENT = /^\s*\{\s*"error"\s*:/;

/**
 * Reads Gemini's event stream for a pass-through: each event's data text as Gemini wrote it, read
 * only far enough to tell an error event (which is thrown, as the translated stream throws it) from
 * an answer. Ends only after Gemini closed the stream cleanly; stopping early releases the connection.
 */
export function readGeminiRawEvents(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): DecodedEvents<{ readonly event: undefined; readonly data: string }> {
  return readGeminiBody(response, signal, provider, secrets, (event, out) => {
    if (ERROR_EVENT.test(event.data)) {
      const wire = parseGeminiError(event.data);
      if (wire) {
        throw toGeminiFailure({
          status: Number(wire.error?.code) || 502,
          wire,
          text: event.data,
          provider,
          secrets,
          kind: 'mid_stream',
        });
      }
    }
    out.push({ event: undefined, data: event.data });
  });
}

/**
 * Reads Gemini's event stream and hands over the translated chunks. Ends only after Gemini closed
 * the stream cleanly; a cut connection, an event that is not JSON, an error event or an error body
 * written into the stream is thrown (the gateway then ends the client's stream with an error event).
 */
export function readGeminiStream(
  response: UpstreamAnswer,
  translator: GeminiStreamTranslator,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): DecodedEvents<StreamEvent> {
  return readGeminiBody<StreamEvent>(
    response,
    signal,
    provider,
    secrets,
    (event, out) => {
      for (const chunk of translator.push(parseGeminiEvent(event, provider, secrets))) out.push({ chunk });
    },
    (out) => {
      for (const chunk of translator.end()) out.push({ chunk });
      const usage = translator.unrequestedUsage();
      if (usage) out.push({ chunk: usage, hidden: true });
    },
  );
}
