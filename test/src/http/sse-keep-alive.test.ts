/**
 * Keep-alives while a stream is silent: written only while the next event is late, never between
 * events that come in time, and the source's end, failure and release pass through.
 */
import { describe, expect, it } from 'vitest';
import { withKeepAlive } from '../../../src/http/sse-keep-alive.js';

/** A source that yields each value when the test releases it. */
function controlled<T>() {
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  const failing: ((error: unknown) => void)[] = [];
  let returned = false;
  const source: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<T>>((resolve, reject) => {
          waiting.push(resolve);
          failing.push(reject);
        }),
      return: async () => {
        returned = true;
        return { done: true as const, value: undefined };
      },
    }),
  };
  return {
    source,
    give: (value: T) => waiting.shift()!({ done: false, value }),
    finish: () => waiting.shift()!({ done: true, value: undefined }),
    fail: (error: unknown) => failing.shift()!(error),
    get returned() {
      return returned;
    },
  };
}

describe('withKeepAlive', () => {
  it('writes keep-alives while the next event is late, and the events in order', async () => {
    const source = controlled<string>();
    const stream = withKeepAlive(source.source, 1, () => 'ping');
    // The source is silent: a keep-alive.
    expect((await stream.next()).value).toBe('ping');
    source.give('a');
    let item: IteratorResult<string>;
    do item = await stream.next();
    while (item.value === 'ping');
    expect(item.value).toBe('a');
    expect((await stream.next()).value).toBe('ping');
    source.finish();
    do item = await stream.next();
    while (!item.done && item.value === 'ping');
    expect(item.done).toBe(true);
  });

  it('writes none between events that come in time', async () => {
    async function* quick() {
      yield 1;
      yield 2;
      yield 3;
    }
    const seen: (number | string)[] = [];
    for await (const item of withKeepAlive(quick(), 60_000, () => 'ping')) seen.push(item);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('throws the source’s failure, even one that comes while a keep-alive is out', async () => {
    const source = controlled<string>();
    const stream = withKeepAlive(source.source, 1, () => 'ping');
    const first = await stream.next();
    expect(first.value).toBe('ping');
    source.fail(new Error('cut'));
    await expect(
      (async () => {
        for (;;) if ((await stream.next()).done) return;
      })(),
    ).rejects.toThrow('cut');
  });

  it('releases the source when the reader stops early', async () => {
    const source = controlled<string>();
    const stream = withKeepAlive(source.source, 60_000, () => 'ping');
    const pending = stream.next();
    source.give('a');
    expect((await pending).value).toBe('a');
    await stream.return();
    expect(source.returned).toBe(true);
  });
});
