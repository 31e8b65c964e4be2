/**
 * A stream of the internal answer (`chat.completion.chunk`s) → the `GenerateContentResponse`s of a
 * Gemini stream.
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 *
 * Gemini streams text as it comes and each function call whole, and its last event carries the
 * finish reason and the usage. Its clients hold it to that: @google/genai keeps a streamed turn in a
 * chat's history only when every event has a `model` content with parts and one has a finish reason,
 * and @google/generative-ai only when no part is an empty text. So:
 * - each choice's latest text is held back until more arrives, and the last of it goes out in the
 *   last event, with the choice's function calls (gathered from their argument fragments), its
 *   finish reason and the extension fields the next turn needs (carried-extensions.ts);
 * - reasoning text goes out at once as thought parts, when the client asked for thoughts;
 * - the usage (asked of every translated stream) is the last event's `usageMetadata`.
 * Framing (server-sent events or a JSON array) is gemini-stream-writer.ts's.
 */
import type { ChatCompletionChunk } from '../../../schemas/chat.js';
import type { Usage } from '../../../src/provider.js';
import { usageFromChatCompletion, type ChatUsageWire } from '../../../src/provider-toolkit.js';
import {
  buildAnswerParts,
  type AnswerOptions,
  type AnswerToolCall,
  type GeminiAnswerPart,
  type GeminiCandidate,
  type GeminiResponse,
} from './convert-to-gemini-response.js';
import { convertToUsageMetadata } from './gemini-usage.js';
import { mapToGeminiFinishReason } from './map-to-gemini-finish-reason.js';

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
  extra_content?: unknown;
}

interface ChoiceDelta {
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  tool_calls?: ToolCallDelta[] | null;
  extra_content?: unknown;
}

interface CandidateState {
  /** The latest answer text, not sent yet. */
  held: string;
  readonly calls: Map<number, AnswerToolCall>;
  extra: unknown;
  finishReason: string | null | undefined;
}

export class GeminiResponseStreamTranslator {
  readonly #options: AnswerOptions;
  readonly #candidates = new Map<number, CandidateState>();
  #usage: Usage | undefined;
  #model: string | undefined;
  #id: string | undefined;

  constructor(options: AnswerOptions) {
    this.#options = options;
  }

  /** The usage the stream reported, in the gateway's terms (once its usage chunk was read). */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  #state(index: number): CandidateState {
    let state = this.#candidates.get(index);
    if (!state) {
      state = { held: '', calls: new Map(), extra: undefined, finishReason: undefined };
      this.#candidates.set(index, state);
    }
    return state;
  }

  #response(candidates: GeminiCandidate[], usage?: Usage): GeminiResponse {
    const response: GeminiResponse = { candidates };
    if (usage) response.usageMetadata = convertToUsageMetadata(usage);
    if (this.#model) response.modelVersion = this.#model;
    if (this.#id) response.responseId = this.#id;
    return response;
  }

  /** The events one chunk makes ready (none while text is held back or calls are gathered). */
  push(chunk: ChatCompletionChunk): GeminiResponse[] {
    this.#model ??= chunk.model || undefined;
    this.#id ??= chunk.id || undefined;
    if (chunk.usage) this.#usage = usageFromChatCompletion(chunk.usage as ChatUsageWire);
    const ready: GeminiCandidate[] = [];
    for (const choice of chunk.choices ?? []) {
      const state = this.#state(choice.index);
      const delta = (choice.delta ?? {}) as ChoiceDelta;
      const parts: GeminiAnswerPart[] = [];
      if (this.#options.includeThoughts && delta.reasoning_content) {
        parts.push({ text: delta.reasoning_content, thought: true });
      }
      const text = delta.content || delta.refusal;
      if (text) {
        if (state.held) parts.push({ text: state.held });
        state.held = text;
      }
      for (const call of delta.tool_calls ?? []) {
        const position = call.index ?? state.calls.size;
        const gathered = state.calls.get(position) ?? { name: '', arguments: '' };
        if (call.id) gathered.id = call.id;
        if (call.function?.name) gathered.name += call.function.name;
        if (call.function?.arguments) gathered.arguments += call.function.arguments;
        if (call.extra_content !== undefined) gathered.extra = call.extra_content;
        state.calls.set(position, gathered);
      }
      if (delta.extra_content !== undefined) state.extra = delta.extra_content;
      if (choice.finish_reason) state.finishReason = choice.finish_reason;
      if (parts.length > 0) ready.push({ content: { role: 'model', parts }, index: choice.index });
    }
    return ready.length > 0 ? [this.#response(ready)] : [];
  }

  /** The last event, once the internal stream ended cleanly: what was held, the finish, the usage. */
  end(): GeminiResponse {
    if (this.#candidates.size === 0) this.#state(0);
    const candidates = [...this.#candidates.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, state]): GeminiCandidate => {
        const parts = buildAnswerParts(
          {
            text: state.held || undefined,
            toolCalls: [...state.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
            extra: state.extra,
          },
          this.#options,
        );
        // An answer with nothing left to say still ends on a content, as Gemini's do.
        if (parts.length === 0) parts.push({ text: '' });
        return {
          content: { role: 'model', parts },
          finishReason: mapToGeminiFinishReason(state.finishReason),
          index,
        };
      });
    return this.#response(candidates, this.#usage);
  }
}
