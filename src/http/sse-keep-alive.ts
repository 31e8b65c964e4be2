/**
 * Keep-alives for event streams. A model can be silent for minutes (a reasoning model thinking, a
 * long tool input being written) while proxies, load balancers and clients close connections that
 * stay idle for less; APIs that stream for long say they are alive with a keep-alive event
 * (Anthropic's `ping`). `withKeepAlive` yields one whenever the next event is slower than the
 * interval, and nothing else changes: events pass in order, a failure of the source is thrown as
 * it comes, and ending early releases the source.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#event-types
 */

const TICK = Symbol('tick');

export async function* withKeepAlive<T, K>(
  source: AsyncIterable<T>,
  intervalMs: number,
  keepAlive: () => K,
): AsyncGenerator<T | K, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      // One pending `next` per event, raced against a fresh timer for each silent interval; the
      // race keeps a handler on it, so a failure while a keep-alive is being written is not lost.
      const next = iterator.next();
      let result: IteratorResult<T>;
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const tick = new Promise<typeof TICK>((resolve) => {
          timer = setTimeout(resolve, intervalMs, TICK);
        });
        let settled: IteratorResult<T> | typeof TICK;
        try {
          settled = await Promise.race([next, tick]);
        } finally {
          clearTimeout(timer);
        }
        if (settled !== TICK) {
          result = settled;
          break;
        }
        yield keepAlive();
      }
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}
