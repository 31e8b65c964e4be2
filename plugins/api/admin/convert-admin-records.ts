/**
 * The store's records as the admin API shows them (schemas/admin.ts, snake_case), and the API's
 * request bodies as the store's changes. Pure functions.
 */
import type {
  AdminBudget,
  AdminKey,
  AdminKeyWithSecret,
  AdminRateLimits,
  AdminSpendRow,
  AdminSpendSummaryRowType,
  AdminTeam,
} from '../../../schemas/admin.js';
import type { ClientKeyOptions } from '../../../schemas/options.js';
import type { Static } from '@sinclair/typebox';
import {
  addHistogram,
  emptyHistogram,
  percentileOfHistogram,
} from '../../../src/store/duration-histogram.js';
import type {
  Budget,
  RateLimits,
  SpendFigures,
  SpendRow,
  SpendSummaryRow,
  StoredKey,
  Team,
} from '../../../src/store/store.js';

type WireBudget = Static<typeof AdminBudget>;
type WireRateLimits = Static<typeof AdminRateLimits>;

function isoOf(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

export function convertBudgetToWire(budget: Budget | null | undefined): WireBudget | null {
  return budget ? { limit_usd: budget.limitUsd, period: budget.period } : null;
}

export function convertBudgetFromWire(budget: WireBudget | null): Budget | null {
  return budget === null ? null : { limitUsd: budget.limit_usd, period: budget.period };
}

export function convertRateLimitsToWire(limits: RateLimits | null | undefined): WireRateLimits | null {
  if (!limits) return null;
  const wire: WireRateLimits = {};
  if (limits.chat !== undefined) wire.chat = limits.chat;
  if (limits.embeddings !== undefined) wire.embeddings = limits.embeddings;
  if (limits.audio !== undefined) wire.audio = limits.audio;
  if (limits.tokensPerMinute !== undefined) wire.tokens_per_minute = limits.tokensPerMinute;
  return wire;
}

export function convertRateLimitsFromWire(limits: WireRateLimits | null): RateLimits | null {
  if (limits === null) return null;
  const converted: RateLimits = {};
  if (limits.chat !== undefined) converted.chat = limits.chat;
  if (limits.embeddings !== undefined) converted.embeddings = limits.embeddings;
  if (limits.audio !== undefined) converted.audio = limits.audio;
  if (limits.tokens_per_minute !== undefined) converted.tokensPerMinute = limits.tokens_per_minute;
  return converted;
}

export function convertStoredKeyToWire(key: StoredKey, now: Date): AdminKey {
  const status =
    key.revokedAt !== null
      ? 'revoked'
      : key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()
        ? 'expired'
        : 'active';
  const graceOver =
    key.previousSecretValidUntil === null || key.previousSecretValidUntil.getTime() <= now.getTime();
  return {
    object: 'admin.key',
    id: key.id,
    name: key.name,
    source: 'store',
    status,
    prefix: key.prefix,
    team_id: key.teamId,
    allowed_models: key.allowedModels,
    rate_limits: convertRateLimitsToWire(key.rateLimits),
    budget: convertBudgetToWire(key.budget),
    byok: key.byok,
    expires_at: isoOf(key.expiresAt),
    metadata: key.metadata,
    created_at: isoOf(key.createdAt),
    updated_at: isoOf(key.updatedAt),
    rotated_at: isoOf(key.rotatedAt),
    revoked_at: isoOf(key.revokedAt),
    previous_key_valid_until: graceOver ? null : isoOf(key.previousSecretValidUntil),
  };
}

export function convertStoredKeyWithSecretToWire(
  key: StoredKey,
  secret: string,
  now: Date,
): AdminKeyWithSecret {
  return { ...convertStoredKeyToWire(key, now), key: secret };
}

/** A key from the configuration: what it may do, never its secret or digest. */
export function convertConfigKeyToWire(key: ConfigKey): AdminKey {
  return {
    object: 'admin.key',
    id: key.id,
    name: key.name,
    source: 'config',
    status: 'active',
    prefix: null,
    team_id: null,
    allowed_models: key.allowedModels ?? null,
    rate_limits: convertRateLimitsToWire(key.rateLimits),
    budget: convertBudgetToWire(key.budget),
    byok: key.byok === true,
    expires_at: null,
    metadata: {},
    created_at: null,
    updated_at: null,
    rotated_at: null,
    revoked_at: null,
    previous_key_valid_until: null,
  };
}

/** A key the configuration declares: an `auth.clients` entry, or a GATEWAY_API_KEYS key by its id. */
export type ConfigKey = Pick<ClientKeyOptions, 'id' | 'allowedModels' | 'rateLimits' | 'budget' | 'byok'> & {
  name: string | null;
};

export function convertTeamToWire(team: Team): AdminTeam {
  return {
    object: 'admin.team',
    id: team.id,
    name: team.name,
    source: 'store',
    budget: convertBudgetToWire(team.budget),
    allowed_models: team.allowedModels,
    rate_limits: convertRateLimitsToWire(team.rateLimits),
    metadata: team.metadata,
    created_at: isoOf(team.createdAt),
    updated_at: isoOf(team.updatedAt),
  };
}

export function convertSpendRowToWire(row: SpendRow): AdminSpendRow {
  return {
    id: row.id,
    at: row.at.toISOString(),
    request_id: row.requestId,
    key_id: row.keyId,
    team_id: row.teamId,
    route: row.route,
    requested_model: row.requestedModel,
    model: row.model,
    provider: row.provider,
    deployment: row.deployment,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    reasoning_tokens: row.reasoningTokens,
    cached_tokens: row.cachedTokens,
    cache_write_tokens: row.cacheWriteTokens,
    cost_usd: row.costUsd,
    latency_ms: row.latencyMs,
    overhead_ms: row.overheadMs,
    status: row.status,
    cache_result: row.cacheResult,
    outcome: row.outcome,
    estimated: row.estimated,
  };
}

export function convertSpendFiguresToWire(figures: SpendFigures) {
  return {
    requests: figures.requests,
    prompt_tokens: figures.promptTokens,
    completion_tokens: figures.completionTokens,
    reasoning_tokens: figures.reasoningTokens,
    cached_tokens: figures.cachedTokens,
    cache_write_tokens: figures.cacheWriteTokens,
    cost_usd: figures.costUsd,
    errors: figures.errors,
    cache_hits: figures.cacheHits,
    latency_p50_ms: percentileOfHistogram(figures.latency, 0.5),
    latency_p95_ms: percentileOfHistogram(figures.latency, 0.95),
    overhead_p50_ms: percentileOfHistogram(figures.overhead, 0.5),
    overhead_p95_ms: percentileOfHistogram(figures.overhead, 0.95),
  };
}

export function convertSpendSummaryRowToWire(row: SpendSummaryRow): AdminSpendSummaryRowType {
  const wire: AdminSpendSummaryRowType = convertSpendFiguresToWire(row);
  if (row.day !== undefined) wire.day = row.day;
  if (row.hour !== undefined) wire.hour = row.hour;
  if (row.keyId !== undefined) wire.key_id = row.keyId;
  if (row.teamId !== undefined) wire.team_id = row.teamId;
  if (row.model !== undefined) wire.model = row.model;
  if (row.provider !== undefined) wire.provider = row.provider;
  return wire;
}

/** The figures of every row added up, their buckets merged. */
export function addSpendFigures(rows: readonly SpendFigures[]): SpendFigures {
  const total: SpendFigures = {
    requests: 0,
    promptTokens: 0,
    completionTokens: 0,
    reasoningTokens: 0,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
    errors: 0,
    cacheHits: 0,
    latency: emptyHistogram(),
    overhead: emptyHistogram(),
  };
  for (const row of rows) {
    total.requests += row.requests;
    total.promptTokens += row.promptTokens;
    total.completionTokens += row.completionTokens;
    total.reasoningTokens += row.reasoningTokens;
    total.cachedTokens += row.cachedTokens;
    total.cacheWriteTokens += row.cacheWriteTokens;
    total.costUsd += row.costUsd;
    total.errors += row.errors;
    total.cacheHits += row.cacheHits;
    addHistogram(total.latency, row.latency);
    addHistogram(total.overhead, row.overhead);
  }
  return total;
}
