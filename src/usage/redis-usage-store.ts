/**
 * Usage in Redis, so every replica accounts into the same figures and enforces the same budgets.
 *
 *   usage:<identity>:<day>      hash  "<model>|<field>" → number   (HINCRBY / HINCRBYFLOAT)
 *   usage-keys:<day>            set   identities with usage that day
 *   spent:<identity>:<period>   string USD spent in the budget period (INCRBYFLOAT)
 *   usage-written:<writer>      bitmap of the records a gateway process has written (see below)
 *
 * Accounting keys carry no TTL: a Redis configured with `maxmemory-policy volatile-lru` (or
 * `volatile-ttl`) then can only evict keys that have one, the cache's, never a budget or a day of
 * usage (docs/caching.md, "Redis memory"). Old days and periods are deleted by `prune` instead.
 *
 * Each record is written by one script, so it is counted whole or not at all. A record whose write
 * failed in a way that leaves its fate unknown (a timeout, a connection cut while the answer was on
 * its way) is written again by the caller (src/usage/buffered-usage-store.ts); every record carries
 * a mark (its writer's random id and a sequence number) and the script sets that bit of the
 * writer's bitmap first, so a second write of the same record changes nothing. A bitmap holds a
 * writer's first 4 million records (512 KB), then the writer takes a new id; it expires two days
 * after its last write: a dedup marker, not accounting, so it may be evicted.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  FIGURE_FIELDS,
  dayOf,
  daysBetween,
  emptyFigures,
  figuresOf,
  periodOf,
  type BudgetPeriod,
  type UsageDay,
  type UsageFigures,
  type UsageRecord,
  type UsageStore,
} from './usage-store.js';

/** What makes a second write of one record a no-op. */
export interface UsageMark {
  writer: string;
  sequence: number;
}

export interface MarkedUsageRecord {
  entry: UsageRecord;
  mark: UsageMark;
}

const RECORDS_PER_WRITER = 1 << 22;
const WRITTEN_TTL_SECONDS = 2 * 86_400;
/** Daily spending is read for the current day only; kept a little longer for time zones and reports. */
const DAILY_SPENT_KEPT_DAYS = 2;
const MONTHLY_SPENT_KEPT_MONTHS = 2;
/** How far back a prune looks for what it must delete (a gateway stopped this long still catches up). */
const PRUNE_LOOKBACK_DAYS = 60;
/** The identity sets outlive the spending they index (months up to four back are looked at). */
const IDENTITY_SETS_KEPT_DAYS = 125;

// KEYS: 1 bitmap of written records, 2 usage hash, 3 identities of the day, 4 daily spent, 5 monthly spent
// ARGV: 1 sequence, 2 bitmap TTL, 3 identity, 4 cost field, 5 cost, 6… field and increment pairs
const RECORD_SCRIPT = `
if redis.call('SETBIT', KEYS[1], ARGV[1], 1) == 1 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
for index = 6, #ARGV, 2 do redis.call('HINCRBY', KEYS[2], ARGV[index], ARGV[index + 1]) end
if tonumber(ARGV[5]) > 0 then
  redis.call('HINCRBYFLOAT', KEYS[2], ARGV[4], ARGV[5])
  redis.call('INCRBYFLOAT', KEYS[4], ARGV[5])
  redis.call('INCRBYFLOAT', KEYS[5], ARGV[5])
end
redis.call('SADD', KEYS[3], ARGV[3])
return 1
`;

type RecordCommand = (...arguments_: (string | number)[]) => Promise<number>;

declare module 'ioredis' {
  interface RedisCommander {
    gatewayRecordUsage: RecordCommand;
  }
  interface ChainableCommander {
    gatewayRecordUsage(...arguments_: (string | number)[]): ChainableCommander;
  }
}

export class RedisUsageStore implements UsageStore {
  #writer = randomUUID();
  #sequence = 0;

  constructor(
    private readonly redis: Redis,
    private readonly retentionDays = 400,
  ) {
    // One definition per connection (the script is sent once, then called by its SHA).
    if (typeof (redis as Partial<Redis>).gatewayRecordUsage !== 'function') {
      redis.defineCommand('gatewayRecordUsage', { numberOfKeys: 5, lua: RECORD_SCRIPT });
    }
  }

  /** The record with the mark that keeps any later write of it from counting twice. */
  mark(entry: UsageRecord): MarkedUsageRecord {
    if (this.#sequence >= RECORDS_PER_WRITER) {
      this.#writer = randomUUID();
      this.#sequence = 0;
    }
    return { entry, mark: { writer: this.#writer, sequence: this.#sequence++ } };
  }

  async record(entry: UsageRecord): Promise<void> {
    const [error] = await this.write([this.mark(entry)]);
    if (error) throw error;
  }

  /**
   * Writes the records in one round trip; the result for each is null (written, or written
   * before) or its error. Rejects when nothing could be sent (the connection is down).
   */
  async write(records: readonly MarkedUsageRecord[]): Promise<(Error | null)[]> {
    const pipeline = this.redis.pipeline();
    for (const record of records) pipeline.gatewayRecordUsage(...this.#scriptArguments(record));
    const results = (await pipeline.exec()) ?? [];
    return records.map((_, index) => results[index]?.[0] ?? null);
  }

  #scriptArguments({ entry, mark }: MarkedUsageRecord): (string | number)[] {
    const day = dayOf(entry.at);
    const figures = figuresOf(entry);
    const increments: (string | number)[] = [];
    for (const field of FIGURE_FIELDS) {
      const value = figures[field];
      if (value !== 0 && field !== 'costUsd') increments.push(`${entry.model}|${field}`, value);
    }
    return [
      `usage-written:${mark.writer}`,
      `usage:${entry.identity}:${day}`,
      `usage-keys:${day}`,
      `spent:${entry.identity}:${periodOf('daily', entry.at)}`,
      `spent:${entry.identity}:${periodOf('monthly', entry.at)}`,
      mark.sequence,
      WRITTEN_TTL_SECONDS,
      entry.identity,
      `${entry.model}|costUsd`,
      entry.costUsd,
      ...increments,
    ];
  }

  /**
   * Deletes what is past keeping: days of usage older than the retention, daily spending older than
   * two days, monthly spending older than two months. Idempotent, so every replica may run it.
   */
  async prune(now: Date): Promise<void> {
    const dayBefore = (days: number) => dayOf(new Date(now.getTime() - days * 86_400_000));
    const doomed: string[] = [];
    for (let back = DAILY_SPENT_KEPT_DAYS + 1; back <= DAILY_SPENT_KEPT_DAYS + PRUNE_LOOKBACK_DAYS; back++) {
      const day = dayBefore(back);
      for (const identity of await this.redis.smembers(`usage-keys:${day}`))
        doomed.push(`spent:${identity}:${day}`);
    }
    for (let back = MONTHLY_SPENT_KEPT_MONTHS + 1; back <= MONTHLY_SPENT_KEPT_MONTHS + 2; back++) {
      const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
      const monthDays = daysBetween(
        dayOf(month),
        dayOf(new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 0))),
      ).map((day) => `usage-keys:${day}`);
      const period = periodOf('monthly', month);
      for (const identity of await this.redis.sunion(...monthDays))
        doomed.push(`spent:${identity}:${period}`);
    }
    for (let back = this.retentionDays + 1; back <= this.retentionDays + PRUNE_LOOKBACK_DAYS; back++) {
      const day = dayBefore(back);
      for (const identity of await this.redis.smembers(`usage-keys:${day}`))
        doomed.push(`usage:${identity}:${day}`);
    }
    const oldestSets = Math.max(this.retentionDays, IDENTITY_SETS_KEPT_DAYS);
    for (let back = oldestSets + 1; back <= oldestSets + PRUNE_LOOKBACK_DAYS; back++) {
      doomed.push(`usage-keys:${dayBefore(back)}`);
    }
    for (let start = 0; start < doomed.length; start += 500) {
      await this.redis.del(...doomed.slice(start, start + 500));
    }
  }

  async days(identity: string, from: string, to: string): Promise<UsageDay[]> {
    const days = daysBetween(from, to);
    const pipeline = this.redis.pipeline();
    for (const day of days) pipeline.hgetall(`usage:${identity}:${day}`);
    const results = (await pipeline.exec()) ?? [];
    const found: UsageDay[] = [];
    results.forEach(([error, value], index) => {
      if (error) throw error;
      const fields = value as Record<string, string>;
      const models: Record<string, UsageFigures> = {};
      for (const [name, raw] of Object.entries(fields)) {
        const split = name.lastIndexOf('|');
        const model = name.slice(0, split);
        const field = name.slice(split + 1) as keyof UsageFigures;
        if (!FIGURE_FIELDS.includes(field)) continue;
        (models[model] ??= emptyFigures())[field] = Number(raw);
      }
      if (Object.keys(models).length > 0) found.push({ day: days[index]!, models });
    });
    return found;
  }

  async identities(from: string, to: string): Promise<string[]> {
    const keys = daysBetween(from, to).map((day) => `usage-keys:${day}`);
    if (keys.length === 0) return [];
    return (await this.redis.sunion(...keys)).sort();
  }

  async spent(identity: string, period: BudgetPeriod, now: Date): Promise<number> {
    return Number((await this.redis.get(`spent:${identity}:${periodOf(period, now)}`)) ?? 0);
  }
}
