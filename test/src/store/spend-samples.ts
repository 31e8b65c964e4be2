/** Spend rows for the store's tests: a plausible chat call, changed where a test needs. */
import { randomUUID } from 'node:crypto';
import type { SpendInput } from '../../../src/store/spend-writer.js';
import type { SpendEntry } from '../../../src/store/store.js';

export function spendEntry(overrides: Partial<SpendEntry> = {}): SpendEntry {
  return {
    id: randomUUID(),
    at: new Date('2026-03-01T10:00:00.000Z'),
    requestId: randomUUID(),
    keyId: 'key-a',
    teamId: null,
    route: '/v1/chat/completions',
    requestedModel: 'gpt-4o',
    model: 'gpt-4o-2024-08-06',
    provider: 'openai',
    deployment: 'openai/gpt-4o-2024-08-06',
    promptTokens: 100,
    completionTokens: 20,
    reasoningTokens: 0,
    cachedTokens: 10,
    cacheWriteTokens: 0,
    costUsd: 0.5,
    latencyMs: 812.5,
    overheadMs: 1.25,
    status: 200,
    cacheResult: 'miss',
    outcome: 'completed',
    estimated: false,
    ...overrides,
  };
}

/** A row as the gateway hands it to the writer (now, no id yet). */
export function spendInput(keyId: string, overrides: Partial<SpendInput> = {}): SpendInput {
  return {
    at: new Date(),
    requestId: randomUUID(),
    keyId,
    teamId: null,
    route: '/v1/chat/completions',
    requestedModel: 'gpt-4o',
    model: 'gpt-4o',
    provider: 'openai',
    deployment: 'openai/gpt-4o',
    promptTokens: 10,
    completionTokens: 5,
    reasoningTokens: 0,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.001,
    latencyMs: 100,
    overheadMs: 1,
    status: 200,
    cacheResult: null,
    outcome: 'completed',
    estimated: false,
    ...overrides,
  };
}
