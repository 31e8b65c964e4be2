import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryCacheStore } from '../../../src/cache/cache-store.js';
import {
  decodeCacheEntry,
  decodeStoredStream,
  encodeCacheEntry,
  encodeStoredStream,
  type StoredStream,
} from '../../../src/cache/cache-entry.js';
import { readCacheDirectives } from '../../../src/cache/cache-directives.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryCacheStore', () => {
  it('forgets entries after their TTL', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.advanceTimersByTime(1_000);
    const store = new MemoryCacheStore({ maxBytes: 10_000 });
    await store.set('short', 'a', 2);
    await store.setMany([['long', 'b']], 10);
    vi.advanceTimersByTime(1_999);
    expect(await store.getMany(['short', 'long'])).toEqual(['a', 'b']);
    vi.advanceTimersByTime(2);
    expect(await store.get('short')).toBeUndefined();
    vi.advanceTimersByTime(8_000);
    expect(await store.get('long')).toBeUndefined();
  });

  it('stays within its size bound, evicting the least recently used first', async () => {
    const store = new MemoryCacheStore({ maxBytes: 100 });
    await store.set('a', 'x'.repeat(39), 60);
    await store.set('b', 'x'.repeat(39), 60);
    await store.get('a');
    await store.set('c', 'x'.repeat(39), 60);
    expect(store.calculatedSize).toBeLessThanOrEqual(100);
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('c')).toBeDefined();
    await store.set('huge', 'x'.repeat(200), 60);
    expect(await store.get('huge')).toBeUndefined();
  });
});

describe('cache entries', () => {
  it('round-trip, payload untouched, and anything else reads as a miss', () => {
    const text = encodeCacheEntry({
      kind: 'unary',
      provider: 'openai',
      model: 'gpt-4o\nodd',
      hasUsage: true,
      payload: '{"a":\n1}',
    });
    expect(decodeCacheEntry(text)).toEqual({
      kind: 'unary',
      provider: 'openai',
      model: 'gpt-4o\nodd',
      hasUsage: true,
      payload: '{"a":\n1}',
    });
    expect(decodeCacheEntry('garbage')).toBeUndefined();
    expect(decodeCacheEntry('["x",null,null,0]\n{}')).toBeUndefined();
  });
});

describe('cache directives', () => {
  it('reads no-cache, no-store and the TTL header', () => {
    expect(readCacheDirectives({}, 60, 600)).toBeUndefined();
    expect(readCacheDirectives({ 'cache-control': 'No-Cache' }, 60, 600)).toEqual({
      read: false,
      write: true,
      ttlSeconds: 60,
    });
    expect(readCacheDirectives({ 'cache-control': 'max-age=0, no-store' }, 60, 600)).toMatchObject({
      read: false,
      write: false,
    });
    expect(readCacheDirectives({ 'cache-control': 'no-cachex' }, 60, 600)).toMatchObject({ read: true });
    expect(readCacheDirectives({ 'x-gateway-cache-ttl': '120' }, 60, 600)).toEqual({
      read: true,
      write: true,
      ttlSeconds: 120,
    });
    expect(readCacheDirectives({ 'x-gateway-cache-ttl': '0' }, 60, 600)).toMatchObject({ write: false });
  });

  it('refuses a TTL that is not whole seconds within the bound, naming the header', () => {
    for (const value of ['', 'abc', '-1', '2.5', '601']) {
      expect(() => readCacheDirectives({ 'x-gateway-cache-ttl': value }, 60, 600)).toThrow(
        /x-gateway-cache-ttl/,
      );
    }
  });

  it('keep a stream as its chunks one a line, read back as they were relayed', () => {
    const streams: StoredStream[] = [
      { chunks: ['{"id":"a","x":"say \\"hi\\""}', '{"id":"b"}'], usage: '{"usage":{"total_tokens":3}}' },
      { chunks: ['{"id":"a"}'], usage: null },
      { chunks: [], usage: '{"usage":{}}' },
      { chunks: [], usage: null },
    ];
    for (const stream of streams) {
      const { payload, streamLayout } = encodeStoredStream(stream);
      expect(streamLayout).toBe('lines');
      const text = encodeCacheEntry({
        kind: 'stream',
        provider: 'p',
        model: 'm',
        hasUsage: true,
        payload,
        streamLayout,
      });
      const entry = decodeCacheEntry(text)!;
      expect(entry.streamLayout).toBe('lines');
      expect(decodeStoredStream(entry)).toEqual(stream);
    }
  });

  it('keep a stream whose chunk holds a line end as JSON, and read entries of the JSON layout', () => {
    const stream: StoredStream = { chunks: ['{"id":\n"a"}', '{"id":"b"}'], usage: null };
    const { payload, streamLayout } = encodeStoredStream(stream);
    expect(streamLayout).toBe('json');
    const text = encodeCacheEntry({
      kind: 'stream',
      provider: 'p',
      model: 'm',
      hasUsage: false,
      payload,
      streamLayout,
    });
    expect(text.startsWith('["s",')).toBe(true);
    const entry = decodeCacheEntry(text)!;
    expect(entry.streamLayout).toBe('json');
    expect(decodeStoredStream(entry)).toEqual(stream);
    expect(decodeStoredStream({ ...entry, payload: 'not json' })).toBeUndefined();
  });
});
