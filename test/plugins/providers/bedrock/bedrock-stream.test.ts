/**
 * The event-stream decoding of ConverseStream answers, on frames written here byte by byte from
 * AWS's description of the format (not by the codec that decodes them): prelude (total length,
 * headers length, CRC32 of both), headers (name length, name, type 7 for a string, value length,
 * value), payload, CRC32 of everything before it.
 * @see https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MAXIMUM_MESSAGE_BYTES,
  decodeEventStream,
} from '../../../../plugins/providers/bedrock/bedrock-stream.js';
import { eventFrame } from '../../../helpers/fake-bedrock.js';

function stringHeader(name: string, value: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const valueBytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(valueBytes.length);
  return Buffer.concat([Buffer.from([nameBytes.length]), nameBytes, Buffer.from([7]), length, valueBytes]);
}

function handFrame(headers: Record<string, string>, payload: string): Buffer {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => stringHeader(name, value)),
  );
  const body = Buffer.from(payload, 'utf8');
  const total = 12 + headerBytes.length + body.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const withoutCrc = Buffer.concat([prelude, headerBytes, body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(withoutCrc));
  return Buffer.concat([withoutCrc, crc]);
}

async function decodeAll(pieces: Buffer[]) {
  async function* source() {
    for (const piece of pieces) yield piece;
  }
  const decoded: { headers: Record<string, unknown>; body: string }[] = [];
  for await (const message of decodeEventStream(source())) {
    const headers: Record<string, unknown> = {};
    for (const [name, header] of Object.entries(message.headers)) headers[name] = header.value;
    decoded.push({ headers, body: Buffer.from(message.body).toString('utf8') });
  }
  return decoded;
}

const HEADERS = {
  ':event-type': 'contentBlockDelta',
  ':content-type': 'application/json',
  ':message-type': 'event',
};
const PAYLOAD = '{"contentBlockIndex":0,"delta":{"text":"Hello, naïve world"}}';

describe('decoding event-stream frames', () => {
  it('reads a frame written from the specification, and the fake writes the same bytes', async () => {
    const frame = handFrame(HEADERS, PAYLOAD);
    expect(await decodeAll([frame])).toEqual([{ headers: HEADERS, body: PAYLOAD }]);
    expect(eventFrame('contentBlockDelta', JSON.parse(PAYLOAD))).toEqual(frame);
  });

  it('puts frames together whatever the chunks they arrive in, down to single bytes', async () => {
    const frames = Buffer.concat([handFrame(HEADERS, PAYLOAD), handFrame(HEADERS, '{"a":1}')]);
    const bytes = [...frames].map((byte) => Buffer.from([byte]));
    expect(await decodeAll(bytes)).toEqual([
      { headers: HEADERS, body: PAYLOAD },
      { headers: HEADERS, body: '{"a":1}' },
    ]);
  });

  it('refuses a prelude that claims more than the format allows, before allocating it', async () => {
    const prelude = Buffer.alloc(12);
    prelude.writeUInt32BE(MAXIMUM_MESSAGE_BYTES + 1, 0);
    await expect(decodeAll([prelude])).rejects.toThrow(/event-stream message of/);
  });

  it('refuses a frame whose checksum does not match, and bytes left after the last frame', async () => {
    const frame = handFrame(HEADERS, PAYLOAD);
    frame[20] = frame[20]! ^ 0x01;
    await expect(decodeAll([frame])).rejects.toThrow(/checksum/);
    await expect(decodeAll([handFrame(HEADERS, PAYLOAD).subarray(0, 30)])).rejects.toThrow(/cut short/);
  });
});
