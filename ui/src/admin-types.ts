/**
 * The admin API's answers as the dashboard reads them (schemas/admin.ts is their source; only the
 * fields shown are named here).
 */

export interface Budget {
  limit_usd: number;
  period: 'daily' | 'monthly';
}

export interface RateLimits {
  chat?: number;
  embeddings?: number;
  audio?: number;
  tokens_per_minute?: number;
}

export interface AdminKey {
  id: string;
  name: string | null;
  source: 'store' | 'config';
  status: 'active' | 'revoked' | 'expired';
  prefix: string | null;
  team_id: string | null;
  allowed_models: string[] | null;
  rate_limits: RateLimits | null;
  budget: Budget | null;
  byok: boolean;
  expires_at: string | null;
  created_at: string | null;
  revoked_at: string | null;
  previous_key_valid_until: string | null;
}

export interface AdminKeyWithSecret extends AdminKey {
  key: string;
}

export interface AdminTeam {
  id: string;
  name: string;
  source: 'store' | 'config';
  budget: Budget | null;
  allowed_models: string[] | null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface SpendFigures {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens?: number;
  cached_tokens: number;
  cost_usd: number;
  errors?: number | null;
  cache_hits?: number | null;
  latency_p50_ms?: number | null;
  latency_p95_ms?: number | null;
  overhead_p50_ms?: number | null;
  overhead_p95_ms?: number | null;
}

export interface SpendSummaryRow extends SpendFigures {
  day?: string;
  /** The hour's start (ISO 8601), at the hourly grain. */
  hour?: string;
  key_id?: string | null;
  team_id?: string | null;
  model?: string | null;
  provider?: string | null;
}

export interface SpendSummary {
  grain: 'day' | 'hour';
  from: string;
  to: string;
  totals: SpendFigures;
  data: SpendSummaryRow[];
}

export interface SpendRow {
  id: string;
  at: string;
  request_id: string;
  key_id: string | null;
  team_id: string | null;
  route: string;
  requested_model: string | null;
  model: string | null;
  provider: string | null;
  deployment: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  cost_usd: number;
  latency_ms: number | null;
  overhead_ms: number | null;
  status: number | null;
  cache_result: string | null;
  outcome: string;
  estimated: boolean;
}
