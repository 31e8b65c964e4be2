/**
 * Frames a Gemini stream for the client, as Gemini frames its own: with `alt=sse`, each
 * `GenerateContentResponse` as one server-sent event (`data: <json>` and a blank line, CRLF as
 * Google writes them), and nothing after the last; without it, one JSON array whose elements are
 * written as they come. A failure after the stream started ends it with Google's error object as the
 * last event (or element), which both Gemini SDKs raise as the API error it is.
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 */
import type { Usage } from '../../../src/provider.js';
import { EventStreamBody } from '../../../src/sse.js';
import type { GoogleErrorEnvelope } from './gemini-error.js';

/** One `GenerateContentResponse` of a stream, as JSON text. */
export interface GeminiStreamPiece {
  readonly data: string;
  /** The usage so far, when the piece states it in the gateway's terms (a translated stream's last). */
  readonly usage?: Usage;
  /** Characters of text and call arguments it carries, to estimate a stream cut before its usage. */
  readonly characters: number;
}

export type GeminiStreamFormat = 'sse' | 'array';

export interface GeminiStreamHooks {
  onPiece?(piece: GeminiStreamPiece): void;
  /** Turns an error thrown mid-stream into the envelope of the last event. */
  onError(error: unknown): GoogleErrorEnvelope;
  /** Called once however the stream ends (clean end, error, or the client going away). */
  onEnd?(): void;
}

export const ARRAY_STREAM_CONTENT_TYPE = 'application/json; charset=UTF-8';

export function geminiStreamBody(
  pieces: AsyncIterable<GeminiStreamPiece>,
  format: GeminiStreamFormat,
  hooks: GeminiStreamHooks,
): EventStreamBody<GeminiStreamPiece> {
  const sse = format === 'sse';
  let written = 0;
  const frame = (data: string) => {
    const text = sse ? `data: ${data}\r\n\r\n` : `${written === 0 ? '[' : '\r\n,'}${data}`;
    written++;
    return text;
  };
  return new EventStreamBody(pieces, {
    frame(piece) {
      hooks.onPiece?.(piece);
      return frame(piece.data);
    },
    end: () => (sse ? '' : written === 0 ? '[]' : ']'),
    error: (error) => frame(JSON.stringify(hooks.onError(error))) + (sse ? '' : ']'),
    onEnd: () => hooks.onEnd?.(),
  });
}
