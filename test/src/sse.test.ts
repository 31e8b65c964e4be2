import { describe, expect, it } from 'vitest';
import { DONE_EVENT, parseServerSentEvents, writeChatStream } from '../../src/sse.js';
import type { StreamEvent } from '../../src/provider.js';

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

async function* pieces(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > start) yield bytes.subarray(start, cut);
    start = Math.max(start, cut);
  }
}

describe('parseServerSentEvents', () => {
  const text =
    'data: {"a":"héllo 👋 日本"}\n\nevent: ping\ndata: x\n\n: comment\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
  const expected = [
    { event: 'message', data: '{"a":"héllo 👋 日本"}', id: undefined },
    { event: 'ping', data: 'x', id: undefined },
    { event: 'message', data: 'line1\nline2', id: undefined },
    { event: 'message', data: '[DONE]', id: undefined },
  ];

  it('yields the same events whatever byte the stream is cut at, inside UTF-8 characters included', async () => {
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await collect(parseServerSentEvents(pieces(bytes, [cut])))).toEqual(expected);
    }
  });

  it('joins a line of megabytes that arrives in many pieces, \r\n cut between two of them', async () => {
    const long = 'x'.repeat(1_000_003);
    const bytes = Buffer.from(`data: ${long}\r\n\r\ndata: after\r\n\r\n`);
    const cuts = Array.from({ length: 1000 }, (_, index) => (index + 1) * 1000).concat([1_000_010]);
    expect(await collect(parseServerSentEvents(pieces(bytes, cuts)))).toEqual([
      { event: 'message', data: long, id: undefined },
      { event: 'message', data: 'after', id: undefined },
    ]);
  });

  it('reports lines that are neither fields it knows nor comments, and still ignores them', async () => {
    const unknown: string[] = [];
    const body = 'data: 1\n\nretry: 10\n: note\n{\n  "error": {"code": 499}\n}\n';
    const events = await collect(
      parseServerSentEvents(pieces(Buffer.from(body), [3, 17]), {
        onUnknownLine: (line) => unknown.push(line),
      }),
    );
    expect(events).toEqual([{ event: 'message', data: '1', id: undefined }]);
    expect(unknown).toEqual(['{', '  "error": {"code": 499}', '}']);
  });

  it('reads one byte at a time', async () => {
    const bytes = Buffer.from(text);
    const cuts = Array.from({ length: bytes.length }, (_, index) => index);
    expect(await collect(parseServerSentEvents(pieces(bytes, cuts)))).toEqual(expected);
  });

  it('accepts CRLF and CR line ends, a CRLF pair cut in two included', async () => {
    const crlf = Buffer.from(text.replace(/\n/g, '\r\n'));
    for (let cut = 1; cut < crlf.length; cut++) {
      expect(await collect(parseServerSentEvents(pieces(crlf, [cut])))).toEqual(expected);
    }
    const cr = Buffer.from(text.replace(/\n/g, '\r'));
    expect(await collect(parseServerSentEvents(pieces(cr, [7, 20])))).toEqual(expected);
  });

  it('dispatches a last event that lacks its blank line', async () => {
    const events = await collect(parseServerSentEvents(pieces(Buffer.from('data: a\n\ndata: b'), [])));
    expect(events.map((event) => event.data)).toEqual(['a', 'b']);
  });
});

describe('writeChatStream', () => {
  const chunk = (content: string) => ({
    id: 'c',
    object: 'chat.completion.chunk' as const,
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });

  it('frames each event, keeps raw JSON as sent, and ends with [DONE]', async () => {
    async function* events(): AsyncGenerator<StreamEvent> {
      yield { chunk: chunk('a'), raw: '{"raw":true}' };
      yield { chunk: chunk('b') };
    }
    const frames = await collect(
      writeChatStream(events(), {
        onError: () => ({ error: { message: '', type: '', param: null, code: null } }),
      }),
    );
    expect(frames).toEqual(['data: {"raw":true}\n\n', `data: ${JSON.stringify(chunk('b'))}\n\n`, DONE_EVENT]);
  });

  it('ends a failed stream with one error event and no [DONE]', async () => {
    async function* events(): AsyncGenerator<StreamEvent> {
      yield { chunk: chunk('a') };
      throw new Error('cut');
    }
    let completed = false;
    const frames = await collect(
      writeChatStream(events(), {
        onComplete: () => (completed = true),
        onError: (error) => ({
          error: { message: (error as Error).message, type: 'provider_error', param: null, code: null },
        }),
      }),
    );
    expect(frames.at(-1)).toBe(
      'data: {"error":{"message":"cut","type":"provider_error","param":null,"code":null}}\n\n',
    );
    expect(frames).not.toContain(DONE_EVENT);
    expect(completed).toBe(false);
  });
});
