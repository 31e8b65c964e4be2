/**
 * The store: the gateway's durable records (client keys, teams, the spend log and its daily
 * rollups), behind one interface with two implementations that pass one test suite: SQLite in a
 * file (src/store/sqlite-store.ts, the default, nothing to install) and PostgreSQL
 * (src/store/postgres-store.ts, for replicas).
 *
 * Keys are held as SHA-256 digests only. The spend log holds what a call cost and how it ended,
 * never what was asked or answered. Nothing here is on a request's critical path: key look-ups go
 * through src/store/key-cache.ts and spend rows through src/store/spend-writer.ts.
 */
import type { BudgetPeriod } from '../usage/usage-store.js';
import type { DurationHistogram } from './duration-histogram.js';

export type { BudgetPeriod };

export type StoreBackend = 'sqlite' | 'postgres';

export interface Budget {
  limitUsd: number;
  period: BudgetPeriod;
}

/** Requests per minute per route class and tokens per minute; absent = the gateway's default. */
export interface RateLimits {
  chat?: number;
  embeddings?: number;
  audio?: number;
  moderations?: number;
  files?: number;
  images?: number;
  tokensPerMinute?: number;
}

export type Metadata = Record<string, unknown>;

export interface Team {
  id: string;
  name: string;
  /** Shared by every key of the team, on top of each key's own. */
  budget: Budget | null;
  /** Model globs the team's keys may call; null = every model. */
  allowedModels: string[] | null;
  /** Limits shared by the team's keys. */
  rateLimits: RateLimits | null;
  metadata: Metadata;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewTeam {
  /** Made from random bytes (`team_<hex>`) when absent. */
  id?: string;
  name: string;
  budget?: Budget | null;
  allowedModels?: string[] | null;
  rateLimits?: RateLimits | null;
  metadata?: Metadata;
}

/** Fields to change; a field set to null is cleared, an absent one kept. */
export type TeamChanges = Partial<Omit<NewTeam, 'id'>>;

/**
 * A client key as the store keeps it. The digests are not part of it: a key is found by digest
 * (`findKeyByHash`) and nothing that lists keys can hand one out.
 */
export interface StoredKey {
  id: string;
  name: string;
  /** The first characters of the key, to recognise it in a list (`gwk_AbCd`). */
  prefix: string;
  teamId: string | null;
  allowedModels: string[] | null;
  rateLimits: RateLimits | null;
  budget: Budget | null;
  /** Whether the client may send its own provider key (x-provider-api-key). */
  byok: boolean;
  expiresAt: Date | null;
  metadata: Metadata;
  createdAt: Date;
  updatedAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
  /** Until when the secret replaced by the last rotation is still accepted; null = not at all. */
  previousSecretValidUntil: Date | null;
}

export interface NewKey {
  /** Made from random bytes (`key_<hex>`) when absent. */
  id?: string;
  name: string;
  /** SHA-256 of the key, 64 lower-case hex digits. */
  hash: string;
  prefix: string;
  teamId?: string | null;
  allowedModels?: string[] | null;
  rateLimits?: RateLimits | null;
  budget?: Budget | null;
  byok?: boolean;
  expiresAt?: Date | null;
  metadata?: Metadata;
}

export type KeyChanges = Partial<Omit<NewKey, 'id' | 'hash' | 'prefix'>>;

export interface KeyRotation {
  /** SHA-256 of the new key. */
  hash: string;
  prefix: string;
  /** Until when the old key keeps working; null ends it at once. */
  previousValidUntil: Date | null;
}

/** What a digest resolves to: the key, its team, and which of its secrets matched. */
export interface KeyMatch {
  key: StoredKey;
  team: Team | null;
  matched: 'current' | 'previous';
}

export type KeyStatus = 'active' | 'revoked' | 'expired' | 'replaced';

/** Whether a matched key may be used at `now`. */
export function statusOfKey(match: KeyMatch, now: Date): KeyStatus {
  const { key } = match;
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (match.matched === 'previous') {
    const until = key.previousSecretValidUntil;
    if (until === null || until.getTime() <= now.getTime()) return 'replaced';
  }
  return 'active';
}

/** What changed, so every cache of key look-ups can forget what it must. */
export type KeyChange =
  | { kind: 'key'; hashes: string[] }
  | { kind: 'team'; teamId: string }
  /** Changes may have been missed (a lost notification connection): forget everything. */
  | { kind: 'all' };

/**
 * How a model call ended; every call is recorded once, however it ended. The column is free text
 * so a later outcome needs no migration.
 */
export const SPEND_OUTCOMES = [
  /** The answer was sent whole. */
  'completed',
  /** The client went away before the end (a stream's stop button). */
  'client_closed',
  /** The provider failed or cut the answer. */
  'upstream_error',
  /** The gateway's deadline passed. */
  'timeout',
  /** The gateway failed on its own side. */
  'gateway_error',
] as const;

/** One model call. Never the prompt or the answer. */
export interface SpendEntry {
  /** Unique per call (a UUID); writing the same entry twice records it once. */
  id: string;
  at: Date;
  requestId: string;
  /** The identity that called: a store key's id, a configured client's id, `key_<hex>`, `local`. */
  keyId: string | null;
  teamId: string | null;
  /** The route called (`/v1/chat/completions`). */
  route: string;
  /** The model name the client sent. */
  requestedModel: string | null;
  /** The model that answered (the catalog id when known). */
  model: string | null;
  provider: string | null;
  deployment: string | null;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  /** From the request's arrival to its last byte. */
  latencyMs: number | null;
  /** The gateway's own share of the latency. */
  overheadMs: number | null;
  /** HTTP status answered. */
  status: number | null;
  /** `hit`, `miss`, `bypass`, or null when the route has no cache. */
  cacheResult: string | null;
  /** One of SPEND_OUTCOMES. */
  outcome: string;
  /** The completion tokens were estimated from the text sent (a stream cut before its usage). */
  estimated: boolean;
}

export type SpendRow = SpendEntry;

export interface PageQuery {
  /** At most this many items (1 to 1000; 100 when absent). */
  limit?: number;
  /** The `nextCursor` of the page before. */
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass it back for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface KeyQuery extends PageQuery {
  teamId?: string;
  /** Revoked keys are left out unless asked for. */
  includeRevoked?: boolean;
}

export interface SpendFilter {
  /** From this time on (inclusive). */
  from?: Date;
  /** Before this time (exclusive). */
  to?: Date;
  keyId?: string;
  teamId?: string;
  /** Matches the model asked for or the model that answered. */
  model?: string;
  provider?: string;
  status?: number;
  outcome?: string;
  requestId?: string;
}

export type SpendQuery = SpendFilter & PageQuery;

export type SpendDimension = 'day' | 'hour' | 'key' | 'team' | 'model' | 'provider';

/** The rollups a summary reads: per UTC day (kept for good), or per hour (kept as long as the log). */
export type SpendGrain = 'day' | 'hour';

export interface SpendSummaryQuery {
  /**
   * The first day (YYYY-MM-DD, UTC, inclusive); at the hourly grain, an instant (ISO 8601), whose
   * hour is the first.
   */
  from: string;
  /** The last day (inclusive); at the hourly grain, an instant whose hour is the last. */
  to: string;
  /** `day` when absent. */
  grain?: SpendGrain;
  /** One row per combination of these; none = one row of totals. `hour` only at the hourly grain. */
  groupBy?: SpendDimension[];
  /**
   * Whether to read the latency and overhead buckets (true when absent). Without them the summary
   * reads a tenth of the columns; the histograms come back empty.
   */
  durations?: boolean;
  keyId?: string;
  teamId?: string;
  model?: string;
  provider?: string;
}

export interface SpendFigures {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  /** Calls answered with a status of 400 or more, or that failed (upstream error, timeout, gateway error). */
  errors: number;
  /** Calls answered from the cache. */
  cacheHits: number;
  /** Latencies counted in buckets (src/store/duration-histogram.ts); calls without one are not in it. */
  latency: DurationHistogram;
  /** The gateway's own share of each latency, in the same buckets. */
  overhead: DurationHistogram;
}

/** Figures for one group; the dimensions not grouped by are absent. */
export interface SpendSummaryRow extends SpendFigures {
  day?: string;
  /** The hour's start (ISO 8601, UTC), when grouped by hour. */
  hour?: string;
  keyId?: string | null;
  teamId?: string | null;
  model?: string | null;
  provider?: string | null;
}

export type BudgetOwner = { keyId: string } | { teamId: string };

export interface Store {
  readonly backend: StoreBackend;
  /** The schema version the database is at (the newest this code knows, once open). */
  readonly schemaVersion: number;

  createTeam(team: NewTeam): Promise<Team>;
  getTeam(id: string): Promise<Team | null>;
  /** Oldest first. */
  listTeams(query?: PageQuery): Promise<Page<Team>>;
  updateTeam(id: string, changes: TeamChanges): Promise<Team>;
  /** Refused (`conflict`) while a key that is not revoked belongs to the team. */
  deleteTeam(id: string): Promise<void>;

  createKey(key: NewKey): Promise<StoredKey>;
  getKey(id: string): Promise<StoredKey | null>;
  /** Newest first. */
  listKeys(query?: KeyQuery): Promise<Page<StoredKey>>;
  updateKey(id: string, changes: KeyChanges): Promise<StoredKey>;
  /** A new secret; the old one stays valid until `previousValidUntil`. */
  rotateKey(id: string, rotation: KeyRotation): Promise<StoredKey>;
  /** Idempotent: revoking a revoked key returns it unchanged. */
  revokeKey(id: string): Promise<StoredKey>;
  /** The key whose current or previous secret has this SHA-256 (hex), revoked or not. */
  findKeyByHash(hash: string): Promise<KeyMatch | null>;
  /**
   * Called after each change to keys or teams made through any store on the same database: at once
   * for this one, through LISTEN/NOTIFY for other PostgreSQL processes. Returns the unsubscribe.
   */
  onKeyChange(listener: (change: KeyChange) => void): () => void;

  /**
   * Writes a batch of spend rows and adds them to the daily and hourly rollups, in one transaction. An entry
   * whose id is already stored is skipped, so a batch retried after an unclear failure counts
   * once. Returns the number of rows added.
   */
  writeSpend(entries: readonly SpendEntry[]): Promise<number>;
  /** The request log, newest first. */
  listSpend(query?: SpendQuery): Promise<Page<SpendRow>>;
  /** Every row of the request log that matches, newest first, read a page at a time (for exports). */
  iterateSpend(filter?: SpendFilter): AsyncIterable<SpendRow>;
  /**
   * Totals or series over whole UTC days or hours, from the rollups (the daily ones are kept after
   * the rows are deleted).
   */
  summarizeSpend(query: SpendSummaryQuery): Promise<SpendSummaryRow[]>;
  /** USD spent by a key or a team in the budget period (UTC day or month) that contains `now`. */
  spentInPeriod(owner: BudgetOwner, period: BudgetPeriod, now: Date): Promise<number>;
  /**
   * Deletes spend rows older than `cutoff`, and the hourly rollups of the hours before it (the daily
   * rollups are kept); returns how many rows.
   */
  deleteSpendBefore(cutoff: Date): Promise<number>;

  /** Resolves when the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type StoreErrorReason = 'not_found' | 'conflict' | 'invalid';

/** A request the store refuses: what is missing or in the way, for the caller to answer 404/409/400. */
export class StoreError extends Error {
  override name = 'StoreError';

  constructor(
    readonly reason: StoreErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** The database is at a schema version newer than this code: opening it would be unsafe. */
export class StoreVersionError extends Error {
  override name = 'StoreVersionError';

  constructor(
    readonly where: string,
    readonly databaseVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      `The store at ${where} is at schema version ${databaseVersion}, but this gateway knows versions ` +
        `up to ${codeVersion}: a newer gateway has migrated it. Run that version or a newer one, or ` +
        `point the gateway at another database.`,
    );
  }
}

/** The database did not answer (down, unreachable, or too slow). */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
