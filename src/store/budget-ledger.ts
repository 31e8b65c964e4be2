/**
 * What a store key or team has spent in its budget period, for budget checks, without a database
 * read per request: the store's figure (from the daily rollups, so it survives restarts and is
 * shared by replicas) is read at most once per `ttlMs` per owner, and the costs this process
 * accounts meanwhile are added to it. The figure can lag other replicas by `ttlMs` and this
 * process's unwritten spend rows by the spend writer's flush interval.
 *
 * When the store does not answer, the last figure is used; an owner never read is not limited
 * (null: fail open, as budgets are when the usage store is down).
 */
import type { BudgetOwner, BudgetPeriod, Store } from './store.js';
import { LRUCache } from 'lru-cache';
import { periodOf } from '../usage/usage-store.js';

interface Entry {
  base: number;
  local: number;
  /** performance.now() of the last read. */
  readAt: number;
  reading: Promise<number> | null;
}

export const BUDGET_LEDGER_TTL_MS = 2000;

export class BudgetLedger {
  readonly #store: Pick<Store, 'spentInPeriod'>;
  readonly #ttlMs: number;
  // Bounded: one entry per owner and period, the least recently used forgotten first.
  readonly #entries = new LRUCache<string, Entry>({ max: 50_000 });

  constructor(store: Pick<Store, 'spentInPeriod'>, ttlMs = BUDGET_LEDGER_TTL_MS) {
    this.#store = store;
    this.#ttlMs = ttlMs;
  }

  /** USD spent by the owner in the period containing `now`; null when it could not be read yet. */
  async spent(owner: BudgetOwner, period: BudgetPeriod, now: Date): Promise<number | null> {
    const name = nameOf(owner, period, now);
    let entry = this.#entries.get(name);
    if (entry && performance.now() - entry.readAt < this.#ttlMs) return entry.base + entry.local;
    if (!entry) {
      entry = { base: 0, local: 0, readAt: -Infinity, reading: null };
      this.#entries.set(name, entry);
    }
    const known = entry;
    known.reading ??= this.#store.spentInPeriod(owner, period, now).finally(() => {
      known.reading = null;
    });
    try {
      const base = await known.reading;
      known.base = base;
      known.local = 0;
      known.readAt = performance.now();
      return base;
    } catch {
      return known.readAt === -Infinity ? null : known.base + known.local;
    }
  }

  /** Adds a cost this process accounted to the owner's current periods. */
  add(owner: BudgetOwner, costUsd: number, now: Date): void {
    if (!(costUsd > 0)) return;
    for (const period of ['daily', 'monthly'] as const) {
      const entry = this.#entries.get(nameOf(owner, period, now));
      if (entry) entry.local += costUsd;
    }
  }
}

function nameOf(owner: BudgetOwner, period: BudgetPeriod, now: Date): string {
  const who = 'keyId' in owner ? `key:${owner.keyId}` : `team:${owner.teamId}`;
  return `${who}:${periodOf(period, now)}`;
}
