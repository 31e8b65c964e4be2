import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  MemoryResponseStore,
  RedisResponseStore,
  ResponseStoreUnavailable,
  type ResponseStore,
} from '../../../../plugins/api/responses/response-store.js';
import { SHARED_REDIS_URL, deleteRedisKeys, uniqueRedisPrefix } from '../../../helpers/redis-server.js';

const RECORD = {
  response: { id: 'resp_1', object: 'response', output: [] },
  conversation: [{ role: 'user', content: 'Hi' }],
};

afterEach(() => {
  vi.useRealTimers();
});

const prefix = uniqueRedisPrefix('response-store');
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(SHARED_REDIS_URL, { keyPrefix: prefix, lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  redis.disconnect();
  await deleteRedisKeys(prefix);
});

const stores: [string, () => ResponseStore][] = [
  ['memory', () => new MemoryResponseStore({ maxBytes: 100_000 })],
  ['Redis', () => new RedisResponseStore({ client: redis, available: true })],
];

describe.each(stores)('the %s store', (_name, create) => {
  it('gives a record back to its owner only', async () => {
    const store = create();
    await store.put('client:team-a', 'resp_1', RECORD, 60);
    expect(await store.get('client:team-a', 'resp_1')).toEqual(RECORD);
    expect(await store.get('client:team-b', 'resp_1')).toBeUndefined();
    expect(await store.get('client:team-a', 'resp_2')).toBeUndefined();
  });

  it('deletes for the owner only, and says whether there was anything', async () => {
    const store = create();
    await store.put('client:team-a', 'resp_3', { instance: 'primary' }, 60);
    expect(await store.delete('client:team-b', 'resp_3')).toBe(false);
    expect(await store.get('client:team-a', 'resp_3')).toEqual({ instance: 'primary' });
    expect(await store.delete('client:team-a', 'resp_3')).toBe(true);
    expect(await store.get('client:team-a', 'resp_3')).toBeUndefined();
    expect(await store.delete('client:team-a', 'resp_3')).toBe(false);
  });
});

describe('MemoryResponseStore', () => {
  it('forgets a record after its retention', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.advanceTimersByTime(1_000);
    const store = new MemoryResponseStore({ maxBytes: 10_000 });
    await store.put('local', 'resp_1', RECORD, 2);
    vi.advanceTimersByTime(1_999);
    expect(await store.get('local', 'resp_1')).toEqual(RECORD);
    vi.advanceTimersByTime(2);
    expect(await store.get('local', 'resp_1')).toBeUndefined();
  });

  it('stays within its bound, the least recently used going first', async () => {
    const store = new MemoryResponseStore({ maxBytes: 300 });
    const record = { conversation: ['x'.repeat(80)] };
    await store.put('local', 'a', record, 60);
    await store.put('local', 'b', record, 60);
    await store.get('local', 'a');
    await store.put('local', 'c', record, 60);
    expect(await store.get('local', 'a')).toEqual(record);
    expect(await store.get('local', 'b')).toBeUndefined();
    expect(await store.get('local', 'c')).toEqual(record);
  });

  it('refuses a record larger than the whole store rather than dropping it unseen', async () => {
    const store = new MemoryResponseStore({ maxBytes: 100 });
    await expect(store.put('local', 'big', { conversation: ['x'.repeat(200)] }, 60)).rejects.toThrow(
      ResponseStoreUnavailable,
    );
  });
});

describe('RedisResponseStore', () => {
  it('sets the retention as the key’s TTL, under the owner’s scope', async () => {
    const store = new RedisResponseStore({ client: redis, available: true });
    await store.put('gateway:key_0123', 'resp_ttl', RECORD, 3600);
    const ttl = await redis.ttl('responses:gateway:key_0123:resp_ttl');
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('fails at once while Redis is not connected', async () => {
    const store = new RedisResponseStore({ client: redis, available: false });
    await expect(store.get('local', 'resp_1')).rejects.toThrow(ResponseStoreUnavailable);
    await expect(store.put('local', 'resp_1', RECORD, 60)).rejects.toThrow(ResponseStoreUnavailable);
  });

  it('reports a failed command as unavailable', async () => {
    const closed = new Redis(SHARED_REDIS_URL, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const store = new RedisResponseStore({ client: closed, available: true });
    await expect(store.get('local', 'resp_1')).rejects.toThrow(ResponseStoreUnavailable);
    closed.disconnect();
  });
});
