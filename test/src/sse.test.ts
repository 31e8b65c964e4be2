import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  ChatStreamBody,
  DONE_EVENT,
  convertEvents,
  DecodedEvents,
  EventStreamBody,
  parseServerSentEvents,
  withFirst,
  type EventFramer,
  type ReadyEvents,
  type SseWriterHooks,
} from '../../src/sse.js';
import { readOpenAIStream } from '../../plugins/providers/openai/openai-stream.js';
import type { StreamEvent } from '../../src/provider.js';
import { UpstreamBody } from '../../src/upstream-body.js';
import type { UpstreamAnswer } from '../../src/upstream.js';

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

describe('ChatStreamBody', () => {
  const chunk = (content: string) => ({
    id: 'c',
    object: 'chat.completion.chunk' as const,
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });
  const hooks: SseWriterHooks = {
    onError: () => ({ error: { message: '', type: '', param: null, code: null } }),
  };

  /** Every piece the body pushed, as text. */
  async function pushed(body: Readable): Promise<string[]> {
    const out: string[] = [];
    for await (const piece of body) out.push((piece as Buffer).toString('utf8'));
    return out;
  }

  it('frames each event, keeps raw JSON as sent, and ends with [DONE]', async () => {
    async function* events(): AsyncGenerator<StreamEvent> {
      yield { chunk: chunk('a'), raw: '{"raw":true}' };
      await new Promise((resolve) => setImmediate(resolve));
      yield { chunk: chunk('b') };
    }
    const text = (await pushed(new ChatStreamBody(events(), hooks))).join('');
    expect(text).toBe(`data: {"raw":true}\n\ndata: ${JSON.stringify(chunk('b'))}\n\n${DONE_EVENT}`);
  });

  it('pushes the events that arrive together as one piece, and a later one as its own', async () => {
    let ended = 0;
    async function* events(): AsyncGenerator<StreamEvent> {
      yield { chunk: chunk('a'), raw: '{"n":1}' };
      yield { chunk: chunk('b'), raw: '{"n":2}' };
      yield { chunk: chunk('c'), raw: '{"n":3}', hidden: true };
      await new Promise((resolve) => setImmediate(resolve));
      yield { chunk: chunk('d'), raw: '{"n":4}' };
    }
    const pieces = await pushed(new ChatStreamBody(events(), { ...hooks, onEnd: () => ended++ }));
    expect(pieces).toEqual(['data: {"n":1}\n\ndata: {"n":2}\n\n', `data: {"n":4}\n\n${DONE_EVENT}`]);
    expect(ended).toBe(1);
  });

  it('ends a failed stream with one error event and no [DONE]', async () => {
    async function* events(): AsyncGenerator<StreamEvent> {
      yield { chunk: chunk('a') };
      throw new Error('cut');
    }
    let completed = false;
    let ended = 0;
    const text = (
      await pushed(
        new ChatStreamBody(events(), {
          onComplete: () => (completed = true),
          onError: (error) => ({
            error: { message: (error as Error).message, type: 'provider_error', param: null, code: null },
          }),
          onEnd: () => ended++,
        }),
      )
    ).join('');
    expect(
      text.endsWith('data: {"error":{"message":"cut","type":"provider_error","param":null,"code":null}}\n\n'),
    ).toBe(true);
    expect(text).not.toContain(DONE_EVENT);
    expect(completed).toBe(false);
    expect(ended).toBe(1);
  });

  it('pulls no more events than the reader takes, and releases the events when destroyed', async () => {
    let pulled = 0;
    let released = false;
    let ended = 0;
    const big = 'x'.repeat(1024);
    async function* events(): AsyncGenerator<StreamEvent> {
      try {
        for (;;) {
          pulled++;
          yield { chunk: chunk(big), raw: `{"content":"${big}"}` };
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        released = true;
      }
    }
    const body = new ChatStreamBody(events(), { ...hooks, onEnd: () => ended++ });
    body.pause();
    body.read(0);
    for (let turn = 0; turn < 200; turn++) await new Promise((resolve) => setImmediate(resolve));
    // Paused with nothing read: the body stops at its buffer's bound (about one event per KiB of
    // it), where 200 turns would have pulled 200 events.
    expect(pulled).toBeLessThanOrEqual(Math.ceil(body.readableHighWaterMark / 1024) + 2);
    body.destroy();
    await new Promise((resolve) => body.once('close', resolve));
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(true);
    expect(ended).toBe(1);
  });

  it('relays an OpenAI stream cut into two reads at every byte offset unchanged', async () => {
    const stream = readFileSync(
      new URL('../fixtures/openai/chat-completion-stream-usage.txt', import.meta.url),
    );
    for (let cut = 1; cut < stream.length; cut++) {
      const response: UpstreamAnswer = {
        statusCode: 200,
        headers: {},
        body: UpstreamBody.of([stream.subarray(0, cut), stream.subarray(cut)]),
      };
      const events = readOpenAIStream(response, new AbortController().signal, 'openai', []);
      const text = (await pushed(new ChatStreamBody(events, hooks))).join('');
      expect(text, `cut at byte ${cut}`).toBe(stream.toString('utf8'));
    }
  });
});

describe('EventStreamBody', () => {
  it('releases the events when framing one fails, then ends with the error frame', async () => {
    let released = false;
    let ended = 0;
    async function* events(): AsyncGenerator<string> {
      try {
        for (let n = 0; ; n++) yield `e${n}`;
      } finally {
        released = true;
      }
    }
    const body = new EventStreamBody(events(), {
      frame: (event) => {
        if (event === 'e2') throw new Error('cannot frame');
        return `${event};`;
      },
      end: () => 'end;',
      error: (error) => `error ${(error as Error).message};`,
      onEnd: () => ended++,
    });
    let all = '';
    for await (const piece of body) all += String(piece);
    expect(all).toBe('e0;e1;error cannot frame;');
    expect(released).toBe(true);
    expect(ended).toBe(1);
  });
});

describe('EventStreamBody with events at hand (nextReady)', () => {
  /** Reads of several events each: `next()` waits for a read, `nextReady()` gives the rest of it. */
  function reads(batches: string[][]) {
    const calls = { next: 0, ready: 0 };
    let batch = -1;
    let index = 0;
    const take = (): IteratorResult<string> | undefined => {
      if (batch >= 0 && index < batches[batch]!.length)
        return { value: batches[batch]![index++]!, done: false };
      if (batch === batches.length - 1) return { value: undefined, done: true };
      return undefined;
    };
    const iterator: AsyncIterator<string> & ReadyEvents<string> = {
      async next() {
        calls.next++;
        await new Promise((resolve) => setImmediate(resolve));
        batch++;
        index = 0;
        return take() ?? { value: undefined, done: true };
      },
      nextReady() {
        calls.ready++;
        return take();
      },
    };
    return { calls, events: { [Symbol.asyncIterator]: () => iterator } };
  }
  const framer: EventFramer<string> = {
    frame: (event) => `${event};`,
    end: () => 'end;',
    error: (error) => `error ${(error as Error).message};`,
  };

  it('frames the rest of each read without waiting, one piece a read', async () => {
    const { calls, events } = reads([['a', 'b', 'c'], ['d', 'e'], []]);
    const pieces: string[] = [];
    for await (const piece of new EventStreamBody(events, framer)) pieces.push(String(piece));
    expect(pieces).toEqual(['a;b;c;', 'd;e;', 'end;']);
    // One wait a read (the last finds the end), not one an event.
    expect(calls.next).toBe(3);
  });

  it('passes them through withFirst, after the first event', async () => {
    const { calls, events } = reads([['a', 'b'], ['c']]);
    const iterator = events[Symbol.asyncIterator]();
    const first = await iterator.next();
    const pieces: string[] = [];
    for await (const piece of new EventStreamBody(withFirst(first, iterator), framer))
      pieces.push(String(piece));
    expect(pieces.join('')).toBe('a;b;c;end;');
    expect(calls.next).toBe(2);
    expect(calls.ready).toBeGreaterThan(0);
  });
});

describe('DecodedEvents', () => {
  /** A body of the given reads, and a decoder of comma-separated words that fails on "bad". */
  function decoded(reads: string[]) {
    const calls = { fail: 0, release: [] as boolean[] };
    const source = UpstreamBody.of(reads)[Symbol.asyncIterator]();
    const events = new DecodedEvents<string>(source, {
      read(piece, out) {
        if (piece === undefined) return true;
        for (const word of piece.toString('utf8').split(',')) {
          if (word === 'bad') throw new Error('bad word');
          if (word === 'stop') return true;
          out.push(word);
        }
        return false;
      },
      fail(error) {
        calls.fail++;
        return new Error(`failed: ${(error as Error).message}`);
      },
      release: (finished) => calls.release.push(finished),
    });
    return { calls, events };
  }

  it('hands over the events decoded before a failure, then throws it, releasing the body once', async () => {
    const { calls, events } = decoded(['a,b', 'c,bad,d']);
    expect(await events.next()).toEqual({ value: 'a', done: false });
    expect(events.nextReady()).toEqual({ value: 'b', done: false });
    expect(events.nextReady()).toBeUndefined();
    expect(await events.next()).toEqual({ value: 'c', done: false });
    expect(() => events.nextReady()).toThrow('failed: bad word');
    expect(await events.next()).toEqual({ value: undefined, done: true });
    await events.return();
    expect(calls).toEqual({ fail: 1, release: [false] });
  });

  it('ends where the decoder says the stream is complete, releasing the body as finished', async () => {
    const { calls, events } = decoded(['a,stop,b', 'c']);
    expect(await collect(events)).toEqual(['a']);
    expect(calls.release).toEqual([true]);
  });
});

describe('convertEvents over events at hand', () => {
  function source(items: number[]) {
    let index = 0;
    const iterator: AsyncIterator<number> & ReadyEvents<number> = {
      next: () => Promise.resolve(iterator.nextReady() ?? { value: undefined, done: true }),
      nextReady: () =>
        index < items.length ? { value: items[index++]!, done: false } : { value: undefined, done: true },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  it('converts what the source holds through nextReady, and waits for closing events made later', async () => {
    const converted = convertEvents(
      source([1, 2, 3]),
      (n) => (n === 2 ? [] : [`${n}a`, `${n}b`]),
      async () => ['closed'],
    )[Symbol.asyncIterator]() as AsyncIterator<string> & ReadyEvents<string>;
    const ready: (string | undefined)[] = [];
    for (
      let result = converted.nextReady();
      result !== undefined && result.done !== true;
      result = converted.nextReady()
    )
      ready.push(result.value);
    expect(ready).toEqual(['1a', '1b', '3a', '3b']);
    // The closing events are not made yet: next() waits for them.
    expect(await converted.next()).toEqual({ value: 'closed', done: false });
    expect(converted.nextReady()).toEqual({ value: undefined, done: true });
  });

  it('lets closing events still being made fail quietly when the stream is returned before them', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const converted = convertEvents(
        source([1]),
        (n) => [n],
        async () => {
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error('the store is down');
        },
      )[Symbol.asyncIterator]() as AsyncIterator<number> & ReadyEvents<number>;
      expect(converted.nextReady()).toEqual({ value: 1, done: false });
      expect(converted.nextReady()).toBeUndefined(); // the closing events are being made
      await converted.return!();
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(await converted.next()).toEqual({ value: undefined, done: true });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('hands closing events made at once through nextReady', () => {
    const converted = convertEvents(
      source([1]),
      (n) => [n * 10],
      () => [99],
    )[Symbol.asyncIterator]() as AsyncIterator<number> & ReadyEvents<number>;
    expect([converted.nextReady(), converted.nextReady(), converted.nextReady()]).toEqual([
      { value: 10, done: false },
      { value: 99, done: false },
      { value: undefined, done: true },
    ]);
  });
});

describe('EventStreamBody keep-alives', () => {
  const framer = (intervalMs: number, fields: Partial<EventFramer<string>> = {}): EventFramer<string> => ({
    frame: (event) => `${event};`,
    end: () => 'end;',
    error: (error) => `error ${(error as Error).message};`,
    keepAlive: { intervalMs, frame: 'ping;' },
    ...fields,
  });
  const text = async (body: Readable) => {
    let all = '';
    for await (const piece of body) all += String(piece);
    return all;
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('writes one while the next event is late, repeated while the silence lasts, and the events in order', async () => {
    async function* events(): AsyncGenerator<string> {
      yield 'a';
      await new Promise((resolve) => setTimeout(resolve, 60));
      yield 'b';
    }
    const all = await text(new EventStreamBody(events(), framer(10)));
    expect(all).toMatch(/^a;(ping;){2,}b;end;$/);
  });

  it('writes none between events that come in time', async () => {
    async function* events(): AsyncGenerator<string> {
      for (const event of ['a', 'b', 'c']) {
        await turn();
        yield event;
      }
    }
    expect(await text(new EventStreamBody(events(), framer(60_000)))).toBe('a;b;c;end;');
  });

  it('counts silence only while it waits on the events: a reader that does not read gets none', async () => {
    const big = 'x'.repeat(1024);
    let pulled = 0;
    async function* events(): AsyncGenerator<string> {
      for (; pulled < 200; pulled++) {
        await turn();
        yield big;
      }
    }
    const body = new EventStreamBody(events(), framer(20));
    body.pause();
    body.read(0);
    // The body stops pulling at its buffer's bound; the reader then stays away for several intervals.
    while (pulled < 10) await turn();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(pulled).toBeLessThan(200);
    body.resume();
    const all = await text(body);
    expect(all).not.toContain('ping;');
    expect(all.endsWith('end;')).toBe(true);
  });

  it('ends with the error frame when the events fail while a keep-alive is out, and stops its timer', async () => {
    let ended = 0;
    async function* events(): AsyncGenerator<string> {
      yield 'a';
      await new Promise((resolve) => setTimeout(resolve, 40));
      throw new Error('cut');
    }
    const all = await text(new EventStreamBody(events(), framer(10, { onEnd: () => ended++ })));
    expect(all).toMatch(/^a;(ping;)+error cut;$/);
    expect(ended).toBe(1);
    // No keep-alive after the end.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(ended).toBe(1);
  });
});

describe('convertEvents', () => {
  async function* numbers(count: number, fail?: Error): AsyncGenerator<number> {
    for (let index = 1; index <= count; index++) yield index;
    if (fail) throw fail;
  }

  it('gives each item’s events in order, none for some, then the closing events', async () => {
    const events = convertEvents(
      numbers(4),
      (n) => (n % 2 === 0 ? [`${n}a`, `${n}b`] : []),
      () => ['end'],
    );
    expect(await collect(events)).toEqual(['2a', '2b', '4a', '4b', 'end']);
  });

  it('waits for closing events made asynchronously, and ends with none', async () => {
    const closing = convertEvents(
      numbers(1),
      (n) => [n],
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return [99];
      },
    );
    expect(await collect(closing)).toEqual([1, 99]);
    expect(
      await collect(
        convertEvents(
          numbers(0),
          (n) => [n],
          () => [],
        ),
      ),
    ).toEqual([]);
  });

  it('throws the source’s failure after the events before it, and a conversion’s failure', async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of convertEvents(
          numbers(2, new Error('cut')),
          (n) => [n],
          () => [0],
        ))
          seen.push(n);
      })(),
    ).rejects.toThrow('cut');
    expect(seen).toEqual([1, 2]);
    let released = false;
    async function* held(): AsyncGenerator<number> {
      try {
        yield* numbers(3);
      } finally {
        released = true;
      }
    }
    const failing = convertEvents(
      held(),
      (n) => {
        if (n === 2) throw new Error('bad item');
        return [n];
      },
      () => [],
    );
    await expect(collect(failing)).rejects.toThrow('bad item');
    // The source is released, as a generator's loop would release it when its body throws.
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(true);
  });

  it('releases the source when the reader stops early', async () => {
    let released = false;
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let n = 0; ; n++) yield n;
      } finally {
        released = true;
      }
    }
    for await (const n of convertEvents(
      endless(),
      (item) => [item, item],
      () => [],
    ))
      if (n === 3) break;
    expect(released).toBe(true);
  });
});
