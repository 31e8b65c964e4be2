/**
 * A Gemini answer to a transcription or translation → the body of the `response_format` the client
 * asked for: `json` (`{"text", "usage"}`), `text`, and, from the timestamped segments Gemini was asked
 * for, `srt`, `vtt` and `verbose_json`, written as OpenAI writes them.
 *
 * Segment fields Gemini has no counterpart for are filled with neutral values, documented in
 * docs/providers/gemini.md: `tokens: []`, `seek: 0`, `avg_logprob: 0`, `no_speech_prob: 0`;
 * `compression_ratio` is computed from the text as Whisper computes it.
 * @see https://platform.openai.com/docs/api-reference/audio/json-object
 * @see https://platform.openai.com/docs/api-reference/audio/verbose-json-object
 */
import { deflateSync } from 'node:zlib';
import { GatewayError } from '../../../src/errors.js';
import type { Usage } from '../../../src/provider.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import type { GeminiGenerateContentResponse, GeminiUsageMetadata } from './gemini-api.js';
import {
  isPromptBlocked,
  mapGeminiUsage,
  promptBlockedError,
  readParts,
  sortedCandidates,
} from './convert-gemini-response.js';
import { isTimestamped, languageName, type TranscriptionOptions } from './convert-to-gemini-transcription.js';
import { explainsEmptyAnswer, mapGeminiFinishReason } from './map-gemini-finish-reason.js';

export interface TranscriptionSegment {
  id: number;
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avg_logprob: number;
  compression_ratio: number;
  no_speech_prob: number;
}

export interface ConvertedTranscription {
  readonly body: string;
  readonly contentType: string;
  readonly usage: Usage | undefined;
}

export interface TranscriptionAnswerContext {
  /** The audio's length in seconds, when it could be read from the file. */
  readonly duration: number | undefined;
  readonly warnings: string[];
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Gemini's default temperature, reported on segments when the client set none. */
const GEMINI_DEFAULT_TEMPERATURE = 1;

/** OpenAI's token usage object of a transcription, from Gemini's counts. */
function tokenUsage(metadata: GeminiUsageMetadata | null | undefined) {
  const mapped = mapGeminiUsage(metadata);
  if (!mapped) return undefined;
  let audioTokens = 0;
  for (const detail of metadata?.promptTokensDetails ?? []) {
    if (detail?.modality === 'AUDIO') audioTokens += detail.tokenCount ?? 0;
  }
  return {
    gateway: mapped.gateway,
    openai: {
      type: 'tokens' as const,
      input_tokens: mapped.gateway.promptTokens,
      input_token_details: {
        text_tokens: Math.max(0, mapped.gateway.promptTokens - audioTokens),
        audio_tokens: audioTokens,
      },
      output_tokens: mapped.gateway.completionTokens,
      total_tokens: mapped.gateway.totalTokens,
    },
  };
}

/** Whisper's measure of a repetitive transcript: text bytes over their zlib-compressed bytes. */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return 0;
  return bytes.length / deflateSync(bytes).length;
}

function badAnswer(message: string): UpstreamFailure {
  return new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', { message });
}

/** Gemini's `{language, segments}` JSON → checked segments (times made sane, empty text dropped). */
export function readSegments(
  text: string,
  temperature: number,
): { language: string | undefined; segments: TranscriptionSegment[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badAnswer('Gemini answered the timestamped transcription with text that is not JSON.');
  }
  const wire = parsed as { language?: unknown; segments?: unknown };
  if (!wire || typeof wire !== 'object' || !Array.isArray(wire.segments)) {
    throw badAnswer('Gemini answered the timestamped transcription without a list of segments.');
  }
  const segments: TranscriptionSegment[] = [];
  let previousEnd = 0;
  for (const raw of wire.segments as unknown[]) {
    const item = raw as { start?: unknown; end?: unknown; text?: unknown };
    if (!item || typeof item !== 'object' || typeof item.text !== 'string') {
      throw badAnswer('Gemini answered a transcription segment without text.');
    }
    const segmentText = item.text.trim();
    if (segmentText.length === 0) continue;
    // Times Gemini left out or got backwards are pinned to the neighbouring ones, never invented.
    const start = typeof item.start === 'number' && item.start >= 0 ? item.start : previousEnd;
    const end = typeof item.end === 'number' && item.end >= start ? item.end : start;
    previousEnd = end;
    segments.push({
      id: segments.length,
      seek: 0,
      start,
      end,
      text: segmentText,
      tokens: [],
      temperature,
      avg_logprob: 0,
      compression_ratio: compressionRatio(segmentText),
      no_speech_prob: 0,
    });
  }
  const language = typeof wire.language === 'string' && wire.language ? wire.language : undefined;
  return { language, segments };
}

function clock(seconds: number, separator: ',' | '.'): string {
  const total = Math.max(0, Math.round(seconds * 1000));
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const secs = Math.floor((total % 60_000) / 1000);
  const millis = total % 1000;
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${separator}${pad(millis, 3)}`;
}

/** SubRip, as OpenAI writes it: numbered cues, a blank line after each, one more at the end. */
export function formatSrt(segments: readonly TranscriptionSegment[]): string {
  const cues = segments.map(
    (segment, index) =>
      `${index + 1}\n${clock(segment.start, ',')} --> ${clock(segment.end, ',')}\n${segment.text}\n\n`,
  );
  return `${cues.join('')}\n`;
}

/** WebVTT, as OpenAI writes it. */
export function formatVtt(segments: readonly TranscriptionSegment[]): string {
  const cues = segments.map(
    (segment) => `${clock(segment.start, '.')} --> ${clock(segment.end, '.')}\n${segment.text}\n\n`,
  );
  return `WEBVTT\n\n${cues.join('')}`;
}

export function convertGeminiTranscription(
  wire: GeminiGenerateContentResponse,
  options: TranscriptionOptions,
  context: TranscriptionAnswerContext,
): ConvertedTranscription {
  if (isPromptBlocked(wire.promptFeedback, wire.candidates)) throw promptBlockedError(wire.promptFeedback!);
  const candidate = Array.isArray(wire.candidates) ? sortedCandidates(wire.candidates)[0] : undefined;
  if (!candidate) throw badAnswer('Gemini answered without a candidate or a block reason.');
  const parts = readParts(candidate.content?.parts, { exposeThoughts: false, warnings: context.warnings });
  const reason = candidate.finishReason;
  if (mapGeminiFinishReason(reason, false) === 'content_filter') {
    throw new GatewayError('GW_ERR_CONTENT_FILTERED', {
      message: `Gemini's safety system withheld the ${options.endpoint} (${reason}${candidate.finishMessage ? `: ${candidate.finishMessage}` : ''}).`,
      details: { finish_reason: reason, safety_ratings: candidate.safetyRatings ?? [] },
    });
  }
  if (!parts.hasText && !explainsEmptyAnswer(reason)) {
    throw badAnswer(`Gemini answered without content (${reason ?? 'no finish reason'}).`);
  }
  const usage = tokenUsage(wire.usageMetadata);

  if (!isTimestamped(options.format)) {
    if (reason === 'MAX_TOKENS') {
      context.warnings.push(`the ${options.endpoint} was cut short at the model's output limit`);
    }
    const text = parts.text.trim();
    if (options.format === 'text') {
      return { body: `${text}\n`, contentType: TEXT_TYPE, usage: usage?.gateway };
    }
    const body = usage ? { text, usage: usage.openai } : { text };
    return { body: JSON.stringify(body), contentType: JSON_TYPE, usage: usage?.gateway };
  }

  if (reason === 'MAX_TOKENS') {
    throw badAnswer(
      `Gemini's timestamped ${options.endpoint} was cut short at the model's output limit; ` +
        "ask for response_format 'text' or 'json', or send a shorter recording.",
    );
  }
  const { language, segments } = readSegments(parts.text, options.temperature ?? GEMINI_DEFAULT_TEMPERATURE);
  const text = segments.map((segment) => segment.text).join(' ');
  if (options.format === 'srt')
    return { body: formatSrt(segments), contentType: TEXT_TYPE, usage: usage?.gateway };
  if (options.format === 'vtt')
    return { body: formatVtt(segments), contentType: TEXT_TYPE, usage: usage?.gateway };

  const code = options.endpoint === 'translation' ? 'en' : (language ?? options.language);
  let duration = context.duration;
  if (duration === undefined) {
    duration = segments.at(-1)?.end ?? 0;
    context.warnings.push(
      "the audio's length could not be read from the file: duration is where the last segment ends",
    );
  }
  const verbose = {
    task: options.endpoint === 'translation' ? 'translate' : 'transcribe',
    language: code ? languageName(code).toLowerCase() : 'unknown',
    duration,
    text,
    segments,
    usage: { type: 'duration', seconds: duration },
  };
  return { body: JSON.stringify(verbose), contentType: JSON_TYPE, usage: usage?.gateway };
}
