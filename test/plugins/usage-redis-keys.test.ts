/**
 * Usage in Redis, key by key, on the shared Redis under a prefix of this run: a record written
 * twice (its first answer lost) counts once; accounting keys carry no TTL, so a `volatile-*`
 * eviction policy can never take them; what is past keeping is pruned instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisUsageStore } from '../../src/usage/redis-usage-store.js';
import type { UsageRecord } from '../../src/usage/usage-store.js';
import {
  SHARED_REDIS_URL,
  deleteRedisKeys,
  listRedisKeys,
  uniqueRedisPrefix,
} from '../helpers/redis-server.js';

const PREFIX = uniqueRedisPrefix('usage-keys');
let redis: Redis;

function recordAt(at: Date, identity = 'key-a', costUsd = 0.5): UsageRecord {
  return {
    identity,
    model: 'gpt-4o',
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15, reasoningTokens: 0, cachedTokens: 0 },
    costUsd,
    at,
  };
}

beforeAll(async () => {
  redis = new Redis(SHARED_REDIS_URL, { keyPrefix: PREFIX });
});

afterAll(async () => {
  redis.disconnect();
  await deleteRedisKeys(PREFIX);
});

describe('Redis usage store', () => {
  it('counts a record written twice once', async () => {
    const store = new RedisUsageStore(redis);
    const at = new Date('2026-12-01T10:00:00Z');
    const record = store.mark(recordAt(at, 'twice'));
    expect(await store.write([record])).toEqual([null]);
    expect(await store.write([record])).toEqual([null]);
    await store.record(recordAt(at, 'twice'));
    const [day] = await store.days('twice', '2026-12-01', '2026-12-01');
    expect(day!.models['gpt-4o']).toMatchObject({ requests: 2, promptTokens: 20, completionTokens: 10 });
    expect(await store.spent('twice', 'daily', at)).toBeCloseTo(1);
    expect(await store.spent('twice', 'monthly', at)).toBeCloseTo(1);
  });

  it('sets no TTL on usage and spending keys, and one on the marks of written records only', async () => {
    const store = new RedisUsageStore(redis);
    await store.record(recordAt(new Date(), 'ttl'));
    const keys = await listRedisKeys(PREFIX);
    const accounting = keys.filter((key) => /^(usage|usage-keys|spent):/.test(key));
    expect(accounting.length).toBeGreaterThanOrEqual(4);
    for (const key of accounting) expect([key, await redis.ttl(key)]).toEqual([key, -1]);
    const marks = keys.filter((key) => key.startsWith('usage-written:'));
    expect(marks.length).toBeGreaterThan(0);
    for (const key of marks) expect(await redis.ttl(key)).toBeGreaterThan(0);
  });

  it('prunes days past the retention and spending past its period, and keeps the rest', async () => {
    const store = new RedisUsageStore(redis, 30);
    const now = new Date('2026-12-03T12:00:00Z');
    for (const day of ['2026-09-20', '2026-10-25', '2026-12-02', '2026-12-03'])
      await store.record(recordAt(new Date(`${day}T12:00:00Z`), 'prune'));
    await store.prune(now);
    const keys = await listRedisKeys(PREFIX);
    for (const gone of [
      'usage:prune:2026-09-20',
      'usage:prune:2026-10-25',
      'spent:prune:2026-10-25',
      'spent:prune:2026-09',
    ])
      expect(keys).not.toContain(gone);
    for (const kept of [
      'usage:prune:2026-12-02',
      'usage:prune:2026-12-03',
      'spent:prune:2026-12-02',
      'spent:prune:2026-12-03',
      'spent:prune:2026-10',
      'spent:prune:2026-12',
    ])
      expect(keys).toContain(kept);
    expect(await store.spent('prune', 'monthly', now)).toBeCloseTo(1);
  });
});
