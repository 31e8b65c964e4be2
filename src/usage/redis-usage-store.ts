/**
 * Usage in Redis, so every replica accounts into the same figures and enforces the same budgets.
 *
 *   usage:<identity>:<day>      hash  "<model>|<field>" → number   (HINCRBY / HINCRBYFLOAT)
 *   usage-keys:<day>            set   identities with usage that day
 *   spent:<identity>:<period>   string USD spent in the budget period (INCRBYFLOAT)
 *
 * One pipeline (one round trip) per recorded call; entries expire after the retention time.
 */
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

export class RedisUsageStore implements UsageStore {
  constructor(
    private readonly redis: Redis,
    private readonly retentionDays = 400,
  ) {}

  async record(entry: UsageRecord): Promise<void> {
    const day = dayOf(entry.at);
    const ttl = this.retentionDays * 86_400;
    const hash = `usage:${entry.identity}:${day}`;
    const figures = figuresOf(entry);
    const pipeline = this.redis.pipeline();
    for (const field of FIGURE_FIELDS) {
      const value = figures[field];
      if (value === 0) continue;
      if (field === 'costUsd') pipeline.hincrbyfloat(hash, `${entry.model}|${field}`, value);
      else pipeline.hincrby(hash, `${entry.model}|${field}`, value);
    }
    pipeline.expire(hash, ttl);
    pipeline.sadd(`usage-keys:${day}`, entry.identity);
    pipeline.expire(`usage-keys:${day}`, ttl);
    if (entry.costUsd > 0) {
      for (const period of ['daily', 'monthly'] as const) {
        const key = `spent:${entry.identity}:${periodOf(period, entry.at)}`;
        pipeline.incrbyfloat(key, entry.costUsd);
        pipeline.expire(key, period === 'daily' ? 2 * 86_400 : 32 * 86_400);
      }
    }
    const results = await pipeline.exec();
    const failure = results?.find(([error]) => error);
    if (failure) throw failure[0];
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
