/**
 * Usage and cost accounting: every model call's tokens and cost, per client key, model and UTC day,
 * and each key's spending per budget period. In memory for one instance; in Redis
 * (redis-usage-store.ts) when replicas share state.
 */
import type { Usage } from '../provider.js';

export interface UsageRecord {
  identity: string;
  /** The model that answered (the catalog id when known). */
  model: string;
  usage: Usage;
  costUsd: number;
  at: Date;
}

export interface UsageFigures {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  costUsd: number;
}

/** One key's figures for one day, by model. */
export interface UsageDay {
  day: string;
  models: Record<string, UsageFigures>;
}

export type BudgetPeriod = 'daily' | 'monthly';

export interface UsageStore {
  record(entry: UsageRecord): Promise<void>;
  /** Days from `from` to `to` (YYYY-MM-DD, inclusive) with any usage, oldest first. */
  days(identity: string, from: string, to: string): Promise<UsageDay[]>;
  /** Every key with usage in the range. */
  identities(from: string, to: string): Promise<string[]>;
  /** What a key has spent in the current budget period (USD). */
  spent(identity: string, period: BudgetPeriod, now: Date): Promise<number>;
}

export const FIGURE_FIELDS = [
  'requests',
  'promptTokens',
  'completionTokens',
  'reasoningTokens',
  'cachedTokens',
  'costUsd',
] as const satisfies readonly (keyof UsageFigures)[];

export function emptyFigures(): UsageFigures {
  return {
    requests: 0,
    promptTokens: 0,
    completionTokens: 0,
    reasoningTokens: 0,
    cachedTokens: 0,
    costUsd: 0,
  };
}

export function figuresOf(record: UsageRecord): UsageFigures {
  return {
    requests: 1,
    promptTokens: record.usage.promptTokens,
    completionTokens: record.usage.completionTokens,
    reasoningTokens: record.usage.reasoningTokens,
    cachedTokens: record.usage.cachedTokens,
    costUsd: record.costUsd,
  };
}

export function addFigures(target: UsageFigures, more: UsageFigures): UsageFigures {
  for (const field of FIGURE_FIELDS) target[field] += more[field];
  return target;
}

export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The budget period a moment falls in: its day, or its month. */
export function periodOf(period: BudgetPeriod, at: Date): string {
  return period === 'daily' ? dayOf(at) : at.toISOString().slice(0, 7);
}

/** When the budget period containing `at` ends (UTC). */
export function periodEnd(period: BudgetPeriod, at: Date): Date {
  return period === 'daily'
    ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1))
    : new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

/** Every day from `from` to `to`, inclusive (both YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let time = Date.parse(`${from}T00:00:00Z`); time <= end; time += 86_400_000) {
    days.push(new Date(time).toISOString().slice(0, 10));
  }
  return days;
}

/** One instance's accounting; days older than `retentionDays` are dropped as new ones arrive. */
export class MemoryUsageStore implements UsageStore {
  readonly #byIdentity = new Map<string, Map<string, Map<string, UsageFigures>>>();
  readonly #spent = new Map<string, number>();

  constructor(private readonly retentionDays = 400) {}

  async record(entry: UsageRecord): Promise<void> {
    const iso = entry.at.toISOString();
    const day = iso.slice(0, 10);
    let days = this.#byIdentity.get(entry.identity);
    if (!days) this.#byIdentity.set(entry.identity, (days = new Map()));
    let models = days.get(day);
    if (!models) {
      days.set(day, (models = new Map()));
      this.#forgetOld(days, entry.at);
    }
    const figures = models.get(entry.model) ?? emptyFigures();
    models.set(entry.model, addFigures(figures, figuresOf(entry)));
    if (entry.costUsd > 0) {
      for (const period of [day, iso.slice(0, 7)]) {
        const key = `${entry.identity}|${period}`;
        this.#spent.set(key, (this.#spent.get(key) ?? 0) + entry.costUsd);
      }
    }
  }

  async days(identity: string, from: string, to: string): Promise<UsageDay[]> {
    const days = this.#byIdentity.get(identity);
    if (!days) return [];
    return [...days.entries()]
      .filter(([day]) => day >= from && day <= to)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([day, models]) => ({ day, models: Object.fromEntries(models) }));
  }

  async identities(from: string, to: string): Promise<string[]> {
    return [...this.#byIdentity.entries()]
      .filter(([, days]) => [...days.keys()].some((day) => day >= from && day <= to))
      .map(([identity]) => identity)
      .sort();
  }

  async spent(identity: string, period: BudgetPeriod, now: Date): Promise<number> {
    return this.#spent.get(`${identity}|${periodOf(period, now)}`) ?? 0;
  }

  #forgetOld(days: Map<string, unknown>, now: Date): void {
    const oldest = dayOf(new Date(now.getTime() - this.retentionDays * 86_400_000));
    for (const day of days.keys()) if (day < oldest) days.delete(day);
    for (const key of this.#spent.keys()) {
      const period = key.slice(key.lastIndexOf('|') + 1);
      if (period.length === 10 && period < oldest) this.#spent.delete(key);
    }
  }
}
