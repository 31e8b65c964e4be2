/**
 * How much text an event of a chat stream carried (content, reasoning, refusals and tool-call
 * arguments), to estimate the completion of a stream cut before its provider reported usage. An
 * event passed through as the upstream's JSON text is scanned, not parsed: this runs on every event.
 */
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
  let characters = 0;
  for (const choice of event.chunk.choices) {
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
