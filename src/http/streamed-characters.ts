/**
 * How much text an event of a chat stream carried (content, reasoning, refusals and tool-call
 * arguments), to estimate the completion of a stream cut before its provider reported usage. An
 * event passed through as the upstream's JSON text is scanned, not parsed: this runs on every event.
 */
import type { ChatCompletionChunk } from '../../schemas/chat.js';
import type { StreamEvent } from '../provider.js';

const STRING_FIELDS = ['"content":"', '"arguments":"', '"refusal":"'];

/** Characters of the JSON string that starts just after `start` (escapes count as one). */
function stringLength(text: string, start: number): number {
  let length = 0;
  for (let index = start; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 34) return length;
    if (code === 92) index++;
    length++;
  }
  return length;
}

export function streamedCharacters(event: StreamEvent): number {
  const raw = event.raw;
  if (raw !== undefined) {
    let characters = 0;
    for (const field of STRING_FIELDS) {
      for (let at = raw.indexOf(field); at !== -1; at = raw.indexOf(field, at + field.length)) {
        characters += stringLength(raw, at + field.length);
      }
    }
    return characters;
  }
  return chunkCharacters(event.chunk);
}

/** The same count on a chunk already parsed (a translation reads every chunk anyway). */
export function chunkCharacters(chunk: ChatCompletionChunk): number {
  let characters = 0;
  for (const choice of chunk.choices) {
    const delta = choice.delta as {
      content?: unknown;
      reasoning_content?: unknown;
      refusal?: unknown;
      tool_calls?: { function?: { arguments?: unknown } }[];
    };
    for (const text of [delta.content, delta.reasoning_content, delta.refusal]) {
      if (typeof text === 'string') characters += text.length;
    }
    for (const call of delta.tool_calls ?? []) {
      if (typeof call.function?.arguments === 'string') characters += call.function.arguments.length;
    }
  }
  return characters;
}

/** Events kept uncounted at most: past that many, they are counted and let go. */
const UNCOUNTED_EVENTS = 256;

/**
 * The text of a stream's events, counted when it is needed: a stream that ends with its provider's
 * usage (the common case) never needs the count, so its events are only kept (a bounded number at a
 * time) and counted if the stream is cut before the usage arrived.
 */
export class StreamedText {
  #uncounted: StreamEvent[] = [];
  #characters = 0;

  add(event: StreamEvent): void {
    this.#uncounted.push(event);
    if (this.#uncounted.length >= UNCOUNTED_EVENTS) this.#count();
  }

  /** The characters of every event added so far. */
  characters(): number {
    this.#count();
    return this.#characters;
  }

  #count(): void {
    for (const event of this.#uncounted) this.#characters += streamedCharacters(event);
    this.#uncounted = [];
  }
}
