/**
 * PCM → pcm, wav and mp3: the WAV header field by field, and MP3 that decodes back to what went in,
 * whatever the size of the pieces the PCM arrives in.
 */
import { MPEGDecoder } from 'mpg123-decoder';
import { describe, expect, it } from 'vitest';
import { canEncodePcm, createWavHeader, encodePcmAudio } from '../../src/encode-pcm-audio.js';

const FORMAT = { sampleRate: 24_000, channels: 1 };

/** One second of a 1 kHz tone, 16-bit little-endian. */
function tone(): Buffer {
  const pcm = Buffer.alloc(48_000);
  for (let index = 0; index < 24_000; index++) {
    pcm.writeInt16LE(Math.round(10_000 * Math.sin((2 * Math.PI * 1000 * index) / 24_000)), index * 2);
  }
  return pcm;
}

async function collect(pieces: Buffer[], format: 'pcm' | 'wav' | 'mp3'): Promise<Buffer> {
  async function* source() {
    yield* pieces;
  }
  const out: Buffer[] = [];
  for await (const chunk of encodePcmAudio(source(), format, FORMAT)) out.push(chunk);
  return Buffer.concat(out);
}

describe('encodePcmAudio', () => {
  it('writes a canonical 44-byte WAV header, with the streaming sizes when the length is unknown', () => {
    const known = createWavHeader(FORMAT, 1000);
    expect(known.toString('hex')).toBe(
      '52494646' +
        '0c040000' +
        '57415645' +
        '666d7420' +
        '10000000' +
        '0100' +
        '0100' +
        'c05d0000' +
        '80bb0000' +
        '0200' +
        '1000' +
        '64617461' +
        'e8030000',
    );
    const streaming = createWavHeader(FORMAT);
    expect(streaming.readUInt32LE(4)).toBe(0xffffffff);
    expect(streaming.readUInt32LE(40)).toBe(0xffffffff);
  });

  it('passes pcm through and puts the header before wav', async () => {
    const pcm = tone();
    expect((await collect([pcm.subarray(0, 7), pcm.subarray(7)], 'pcm')).equals(pcm)).toBe(true);
    const wav = await collect([pcm], 'wav');
    expect(wav.subarray(0, 44).equals(createWavHeader(FORMAT))).toBe(true);
    expect(wav.subarray(44).equals(pcm)).toBe(true);
  });

  it('encodes mp3 frames that decode to the same tone, with samples cut between pieces', async () => {
    const pcm = tone();
    // Odd cuts: a sample split across pieces must be joined, not dropped or shifted.
    const pieces = [pcm.subarray(0, 1001), pcm.subarray(1001, 30_001), pcm.subarray(30_001)];
    const mp3 = await collect(pieces, 'mp3');
    // 64 kbit/s: 192-byte frames of 576 samples; one second is 42 of them (plus LAME's padding).
    expect(mp3.length % 192).toBe(0);
    for (let offset = 0; offset < mp3.length; offset += 192) expect(mp3.readUInt16BE(offset)).toBe(0xfff3);
    const decoder = new MPEGDecoder();
    await decoder.ready;
    try {
      const decoded = decoder.decode(new Uint8Array(mp3));
      expect(decoded.errors).toEqual([]);
      expect(decoded.sampleRate).toBe(24_000);
      expect(decoded.samplesDecoded).toBe((mp3.length / 192) * 576);
      const samples = decoded.channelData[0]!;
      let crossings = 0;
      for (let index = 4000; index < 16_000; index++) {
        if (samples[index - 1]! < 0 !== samples[index]! < 0) crossings++;
      }
      expect(Math.abs(crossings - 1000)).toBeLessThan(4);
    } finally {
      decoder.free();
    }
  });

  it('says which PCM it can encode as mp3', () => {
    expect(canEncodePcm('mp3', FORMAT)).toBe(true);
    expect(canEncodePcm('mp3', { sampleRate: 23_000, channels: 1 })).toBe(false);
    expect(canEncodePcm('mp3', { sampleRate: 24_000, channels: 2 })).toBe(false);
    expect(canEncodePcm('wav', { sampleRate: 23_000, channels: 2 })).toBe(true);
  });
});
