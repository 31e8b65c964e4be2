/**
 * Raw 16-bit little-endian PCM, as it arrives in pieces, → the audio formats of OpenAI's speech API
 * that can be made from it without a native codec: `pcm` (the samples as they are), `wav` (a RIFF
 * header, then the samples) and `mp3` (encoded with LAME's pure-JavaScript port,
 * @breezystack/lamejs). Each is written while the PCM still arrives.
 *
 * A WAV written while its length is unknown carries 0xFFFFFFFF in its RIFF and data sizes, as
 * OpenAI's own streamed WAV does; players and decoders read such a file to its end.
 * @see https://www.mmsp.ece.mcgill.ca/Documents/AudioFormats/WAVE/WAVE.html
 * @see https://github.com/speaches-ai/speaches/issues/493 (OpenAI's streamed WAV header)
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadOnFirstUse } from './load-on-first-use.js';

// The encoder is loaded with the first MP3 asked for: most gateways never make one.
const loadLame = loadOnFirstUse('@breezystack/lamejs', () => import('@breezystack/lamejs'));

export interface PcmFormat {
  /** Samples per second. */
  readonly sampleRate: number;
  readonly channels: number;
}

/** The content type of each format the gateway makes. */
export const PCM_AUDIO_CONTENT_TYPES = {
  pcm: 'audio/pcm',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
} as const;

export type PcmAudioFormat = keyof typeof PCM_AUDIO_CONTENT_TYPES;

/** Sample rates an MPEG-1/2/2.5 Layer III stream can carry. */
const MP3_SAMPLE_RATES = new Set([8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]);

/** MP3 bitrate in kbit/s: clear speech at 24 kHz mono, a sixth of the PCM's size. */
export const MP3_KBPS = 64;

/** At most this many samples are encoded between two turns of the event loop (~40 ms of CPU). */
const MP3_SLICE_SAMPLES = 24_000;

const UNKNOWN_LENGTH = 0xffffffff;

/** Whether the gateway can make `format` from PCM of this kind. */
export function canEncodePcm(format: PcmAudioFormat, pcm: PcmFormat): boolean {
  if (format !== 'mp3') return true;
  return pcm.channels === 1 && MP3_SAMPLE_RATES.has(pcm.sampleRate);
}

/**
 * The 44-byte header of a 16-bit PCM WAV file holding `dataBytes` of samples (unknown: the
 * streaming sizes).
 */
export function createWavHeader(pcm: PcmFormat, dataBytes?: number): Buffer {
  const header = Buffer.alloc(44);
  const blockAlign = pcm.channels * 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(dataBytes === undefined ? UNKNOWN_LENGTH : 36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(pcm.channels, 22);
  header.writeUInt32LE(pcm.sampleRate, 24);
  header.writeUInt32LE(pcm.sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes === undefined ? UNKNOWN_LENGTH : dataBytes, 40);
  return header;
}

function toBuffer(bytes: Uint8Array | Int8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** MP3 frames for PCM pieces, in order; the encoder's last frames when the PCM ends. */
async function* encodeMp3(pcm: AsyncIterable<Buffer>, format: PcmFormat): AsyncGenerator<Buffer> {
  const { Mp3Encoder } = await loadLame();
  const encoder = new Mp3Encoder(1, format.sampleRate, MP3_KBPS);
  let odd: Buffer | undefined;
  for await (const piece of pcm) {
    // A sample cut between two pieces waits for its second byte.
    const bytes = odd ? Buffer.concat([odd, piece]) : piece;
    const whole = bytes.length - (bytes.length % 2);
    odd = whole < bytes.length ? Buffer.from(bytes.subarray(whole)) : undefined;
    // Copied to an aligned buffer: an Int16Array view needs an even byte offset.
    const samples = new Int16Array(whole / 2);
    Buffer.from(samples.buffer).set(bytes.subarray(0, whole));
    for (let offset = 0; offset < samples.length; offset += MP3_SLICE_SAMPLES) {
      const frames = encoder.encodeBuffer(samples.subarray(offset, offset + MP3_SLICE_SAMPLES));
      if (frames.length > 0) yield toBuffer(frames);
      // Encoding is CPU work: other requests get their turn between slices.
      if (offset + MP3_SLICE_SAMPLES < samples.length) await nextTurn();
    }
  }
  const last = encoder.flush();
  if (last.length > 0) yield toBuffer(last);
}

/** The audio in `format`, written while the PCM arrives. */
export async function* encodePcmAudio(
  pcm: AsyncIterable<Buffer>,
  format: PcmAudioFormat,
  pcmFormat: PcmFormat,
): AsyncGenerator<Buffer, void, undefined> {
  if (format === 'mp3') {
    yield* encodeMp3(pcm, pcmFormat);
    return;
  }
  if (format === 'wav') yield createWavHeader(pcmFormat);
  yield* pcm;
}
