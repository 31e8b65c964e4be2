/**
 * A Gemini text-to-speech stream (`streamGenerateContent?alt=sse` with `responseModalities: ["AUDIO"]`)
 * → the raw PCM it carries, piece by piece. Each event's candidate holds the next piece of the audio
 * as base64 `inlineData` labelled like `audio/L16;codec=pcm;rate=24000`: 16-bit samples, mono,
 * little-endian (Google's own samples write them unchanged into a WAV file, which is little-endian,
 * whatever RFC 2586 says of L16).
 *
 * The first piece is awaited before the answer starts, so a refusal, a block or an answer without
 * audio is a clean error response rather than a cut-off file.
 * @see https://ai.google.dev/gemini-api/docs/speech-generation
 */
import { GatewayError } from '../../../src/errors.js';
import type { PcmFormat } from '../../../src/encode-pcm-audio.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import type { GeminiGenerateContentResponse } from './gemini-api.js';
import {
  isPromptBlocked,
  mapGeminiUsage,
  promptBlockedError,
  type MappedUsage,
} from './convert-gemini-response.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';

/** Gemini's TTS sample rate, for an audio part whose type names none. */
const DEFAULT_SAMPLE_RATE = 24_000;

/**
 * `audio/L16;codec=pcm;rate=24000` (or `audio/pcm;rate=…`) → the PCM's format; undefined for a type
 * that is not raw 16-bit PCM.
 */
export function parsePcmMimeType(mimeType: string): PcmFormat | undefined {
  const [essence = '', ...parameters] = mimeType.split(';').map((part) => part.trim());
  const type = essence.toLowerCase();
  if (type !== 'audio/l16' && type !== 'audio/pcm') return undefined;
  let sampleRate = DEFAULT_SAMPLE_RATE;
  let channels = 1;
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim().toLowerCase());
    const number = Number(value);
    if (name === 'rate' && Number.isInteger(number) && number > 0) sampleRate = number;
    else if (name === 'channels' && Number.isInteger(number) && number > 0) channels = number;
    else if (name === 'codec' && value !== 'pcm') return undefined;
  }
  return { sampleRate, channels };
}

export interface GeminiSpeech {
  readonly pcmFormat: PcmFormat;
  /** The PCM from its first piece on; read it once. Stopping early releases the upstream call. */
  readonly pcm: AsyncIterable<Buffer>;
  /** Gemini's last usage count (cumulative), once the PCM has been read. */
  usage(): MappedUsage | undefined;
  /** Releases the upstream call when the PCM will not be read. */
  cancel(): Promise<void>;
}

function noAudio(message: string): UpstreamFailure {
  return new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', { message });
}

interface AudioPiece {
  readonly mimeType: string;
  readonly data: Buffer;
}

/**
 * Reads Gemini's events up to the first audio piece, then hands over the audio as it comes. Faults
 * before the first piece (a blocked prompt, a filtered answer, an answer with no audio) are thrown
 * here; after it, they are thrown from the PCM iterator.
 */
export async function openGeminiSpeech(
  events: AsyncIterable<GeminiGenerateContentResponse>,
): Promise<GeminiSpeech> {
  let usage: MappedUsage | undefined;
  let started = false;

  async function* pieces(): AsyncGenerator<AudioPiece, void, undefined> {
    let lastReason: string | null | undefined;
    for await (const event of events) {
      if (event.usageMetadata) usage = mapGeminiUsage(event.usageMetadata) ?? usage;
      if (isPromptBlocked(event.promptFeedback, event.candidates)) {
        if (!started) throw promptBlockedError(event.promptFeedback!);
        throw new UpstreamFailure('GW_ERR_CONTENT_FILTERED', 'mid_stream', {
          message: "Gemini's safety system stopped the speech after it started.",
        });
      }
      const candidate = Array.isArray(event.candidates) ? event.candidates[0] : undefined;
      if (!candidate) continue;
      if (candidate.finishReason) lastReason = candidate.finishReason;
      for (const part of candidate.content?.parts ?? []) {
        const inline = part?.inlineData;
        if (!inline?.data || part.thought === true) continue;
        yield { mimeType: inline.mimeType ?? '', data: Buffer.from(inline.data, 'base64') };
      }
      if (lastReason && mapGeminiFinishReason(lastReason, false) === 'content_filter') {
        if (!started) {
          throw new GatewayError('GW_ERR_CONTENT_FILTERED', {
            message: `Gemini's safety system withheld the speech (${lastReason}${candidate.finishMessage ? `: ${candidate.finishMessage}` : ''}).`,
            details: { finish_reason: lastReason, safety_ratings: candidate.safetyRatings ?? [] },
          });
        }
        throw new UpstreamFailure('GW_ERR_CONTENT_FILTERED', 'mid_stream', {
          message: `Gemini's safety system stopped the speech after it started (${lastReason}).`,
        });
      }
    }
    if (!started) {
      throw noAudio(
        `Gemini answered the speech request without audio (${lastReason ?? 'no finish reason'}).`,
      );
    }
  }

  const source = pieces();
  let first: IteratorResult<AudioPiece>;
  try {
    first = await source.next();
  } catch (error) {
    await source.return();
    throw error;
  }
  if (first.done) throw noAudio('Gemini answered the speech request without audio.');
  const mimeType = first.value.mimeType;
  const pcmFormat = parsePcmMimeType(mimeType);
  if (!pcmFormat) {
    await source.return();
    throw noAudio(`Gemini answered with audio of type '${mimeType || 'none'}', not raw 16-bit PCM.`);
  }
  started = true;

  async function* pcm(): AsyncGenerator<Buffer, void, undefined> {
    try {
      yield first.value.data;
      for (;;) {
        const next = await source.next();
        if (next.done) return;
        if (next.value.mimeType !== mimeType) {
          throw noAudio(
            `Gemini changed the audio's type mid-answer ('${mimeType}', then '${next.value.mimeType}').`,
          );
        }
        yield next.value.data;
      }
    } finally {
      await source.return();
    }
  }

  return {
    pcmFormat,
    pcm: pcm(),
    usage: () => usage,
    cancel: async () => {
      await source.return();
    },
  };
}
