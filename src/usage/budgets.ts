/**
 * Budgets of client keys: what a key has spent in its budget period, read from the usage store.
 * The store being unreachable gives null: budgets are then not enforced rather than every request
 * refused (fail open, as the cache and, by default, rate limits).
 */
import type { Identity } from '../identity.js';
import type { UsageStore } from './usage-store.js';

export interface BudgetState {
  budget: NonNullable<Identity['budget']>;
  spent: number;
}

export async function readBudget(
  store: UsageStore,
  identity: Identity,
  now: Date,
): Promise<BudgetState | null> {
  const budget = identity.budget!;
  const spent = await store.spent(identity.id, budget.period, now).catch(() => null);
  return spent === null ? null : { budget, spent };
}
