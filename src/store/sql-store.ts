/**
 * The store over SQL, once for both databases: the drivers (src/store/sqlite-store.ts,
 * src/store/postgres-store.ts) differ in how they connect, lock and convert values, not in what
 * they ask. The statements stay within what SQLite 3.35+ and PostgreSQL 13+ both accept
 * (`ON CONFLICT … DO UPDATE`, `RETURNING`, row-value comparisons).
 * @see https://www.sqlite.org/lang_upsert.html
 * @see https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT
 */
import { randomBytes } from 'node:crypto';
import { dayOf } from '../usage/usage-store.js';
import { LATEST_VERSION, MIGRATIONS, MIGRATIONS_TABLE } from './migrations.js';
import { decodePageCursor, encodePageCursor, pageSizeOf, type PageCursor } from './page-cursor.js';
import type { SqlConnection, SqlDriver, SqlRow, SqlValue } from './sql-driver.js';
import {
  FIGURE_COLUMNS,
  LATENCY_COLUMNS,
  OVERHEAD_COLUMNS,
  ROLLUP_COUNT_COLUMNS,
  ROLLUP_TABLES,
  writeSpendEntries,
} from './spend-batch.js';
import {
  StoreError,
  StoreVersionError,
  type Budget,
  type BudgetOwner,
  type BudgetPeriod,
  type KeyChange,
  type KeyChanges,
  type KeyMatch,
  type KeyQuery,
  type KeyRotation,
  type NewKey,
  type NewTeam,
  type Page,
  type PageQuery,
  type SpendDimension,
  type SpendEntry,
  type SpendFigures,
  type SpendFilter,
  type SpendQuery,
  type SpendRow,
  type SpendSummaryQuery,
  type SpendSummaryRow,
  type Store,
  type StoredKey,
  type Team,
  type TeamChanges,
} from './store.js';

export interface SqlStoreOptions {
  /** The clock for created/updated/revoked times (tests set it). */
  now?: () => Date;
}

const HASH = /^[0-9a-f]{64}$/;
const HOUR_MS = 3_600_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Rows deleted per statement by retention, so no delete holds locks for long. */
const ROWS_PER_DELETE = 5000;

const DIMENSION_COLUMNS: Record<SpendDimension, string> = {
  day: 'day',
  hour: 'hour',
  key: 'key_id',
  team: 'team_id',
  model: 'model',
  provider: 'provider',
};

const DIMENSION_FIELDS: Record<SpendDimension, keyof SpendSummaryRow> = {
  day: 'day',
  hour: 'hour',
  key: 'keyId',
  team: 'teamId',
  model: 'model',
  provider: 'provider',
};

/** Applies the migrations the database lacks, or refuses a database newer than this code. */
export async function migrate(driver: SqlDriver, now: Date): Promise<number> {
  return driver.exclusiveTransaction(async (connection) => {
    await connection.query(MIGRATIONS_TABLE[driver.backend]);
    const [row] = await connection.query('SELECT max(version) AS version FROM schema_migrations');
    const current = Number(row?.['version'] ?? 0);
    if (current > LATEST_VERSION) throw new StoreVersionError(driver.where, current, LATEST_VERSION);
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements[driver.backend]) await connection.query(statement);
      await connection.query(
        'INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)',
        [migration.version, migration.description, now],
      );
    }
    return LATEST_VERSION;
  });
}

/** Migrates the database, then returns the store over it. */
export async function openSqlStore(driver: SqlDriver, options: SqlStoreOptions = {}): Promise<SqlStore> {
  const now = options.now ?? (() => new Date());
  const version = await migrate(driver, now());
  const store = new SqlStore(driver, version, now);
  await driver.watch((change) => store.emitKeyChange(change));
  return store;
}

export class SqlStore implements Store {
  readonly #driver: SqlDriver;
  readonly #now: () => Date;
  readonly #listeners = new Set<(change: KeyChange) => void>();
  #closing: Promise<void> | null = null;

  constructor(
    driver: SqlDriver,
    readonly schemaVersion: number,
    now: () => Date,
  ) {
    this.#driver = driver;
    this.#now = now;
  }

  get backend() {
    return this.#driver.backend;
  }

  // ----- teams -----

  async createTeam(team: NewTeam): Promise<Team> {
    const now = this.#now();
    const id = team.id ?? `team_${randomBytes(8).toString('hex')}`;
    const [row] = await this.#refuseDuplicates(
      `A team with the id ${id} or the name ${team.name} exists.`,
      () =>
        this.#driver.query(
          `INSERT INTO teams (id, name, budget_usd, budget_period, allowed_models, rate_limits, metadata,
           created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          [
            id,
            team.name,
            team.budget?.limitUsd ?? null,
            team.budget?.period ?? null,
            jsonOrNull(team.allowedModels),
            jsonOrNull(team.rateLimits),
            JSON.stringify(team.metadata ?? {}),
            now,
            now,
          ],
        ),
    );
    return teamFromRow(row!);
  }

  async getTeam(id: string): Promise<Team | null> {
    const [row] = await this.#driver.query('SELECT * FROM teams WHERE id = ?', [id]);
    return row ? teamFromRow(row) : null;
  }

  async listTeams(query: PageQuery = {}): Promise<Page<Team>> {
    const limit = pageSizeOf(query.limit);
    const parameters: SqlValue[] = [];
    let where = '';
    if (query.cursor) {
      const cursor = decodePageCursor(query.cursor);
      where = 'WHERE (created_at, id) > (?, ?)';
      parameters.push(cursor.at, cursor.id);
    }
    const rows = await this.#driver.query(`SELECT * FROM teams ${where} ORDER BY created_at, id LIMIT ?`, [
      ...parameters,
      limit + 1,
    ]);
    return pageOf(rows.map(teamFromRow), limit, (team) => ({ at: team.createdAt, id: team.id }));
  }

  async updateTeam(id: string, changes: TeamChanges): Promise<Team> {
    const assignments: string[] = [];
    const parameters: SqlValue[] = [];
    const set = (column: string, value: SqlValue) => {
      assignments.push(`${column} = ?`);
      parameters.push(value);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.budget !== undefined) {
      set('budget_usd', changes.budget?.limitUsd ?? null);
      set('budget_period', changes.budget?.period ?? null);
    }
    if (changes.allowedModels !== undefined) set('allowed_models', jsonOrNull(changes.allowedModels));
    if (changes.rateLimits !== undefined) set('rate_limits', jsonOrNull(changes.rateLimits));
    if (changes.metadata !== undefined) set('metadata', JSON.stringify(changes.metadata ?? {}));
    set('updated_at', this.#now());
    const change: KeyChange = { kind: 'team', teamId: id };
    const row = await this.#refuseDuplicates(`A team named ${changes.name} exists.`, () =>
      this.#driver.transaction(async (connection) => {
        const [updated] = await connection.query(
          `UPDATE teams SET ${assignments.join(', ')} WHERE id = ? RETURNING *`,
          [...parameters, id],
        );
        if (!updated) throw new StoreError('not_found', `No team has the id ${id}.`);
        await this.#driver.announce(connection, change);
        return updated;
      }),
    );
    this.emitKeyChange(change);
    return teamFromRow(row);
  }

  async deleteTeam(id: string): Promise<void> {
    const change: KeyChange = { kind: 'team', teamId: id };
    await this.#driver.transaction(async (connection) => {
      const [row] = await connection.query(
        'SELECT count(*) AS live FROM api_keys WHERE team_id = ? AND revoked_at IS NULL',
        [id],
      );
      const keys = Number(row?.['live'] ?? 0);
      if (keys > 0) {
        throw new StoreError(
          'conflict',
          `The team ${id} still has ${keys} key${keys === 1 ? '' : 's'} that ${keys === 1 ? 'is' : 'are'} ` +
            'not revoked: move or revoke them first.',
        );
      }
      // Revoked keys keep their history in the spend log; they lose their link to the team.
      await connection.query('UPDATE api_keys SET team_id = NULL WHERE team_id = ?', [id]);
      const deleted = await connection.query('DELETE FROM teams WHERE id = ? RETURNING id', [id]);
      if (deleted.length === 0) throw new StoreError('not_found', `No team has the id ${id}.`);
      await this.#driver.announce(connection, change);
    });
    this.emitKeyChange(change);
  }

  // ----- keys -----

  async createKey(key: NewKey): Promise<StoredKey> {
    checkHash(key.hash);
    const now = this.#now();
    const id = key.id ?? `key_${randomBytes(8).toString('hex')}`;
    const change: KeyChange = { kind: 'key', hashes: [key.hash] };
    const row = await this.#refuseDuplicates(`A key with the id ${id} or the same secret exists.`, () =>
      this.#driver.transaction(async (connection) => {
        if (key.teamId) await requireTeam(connection, key.teamId);
        const [inserted] = await connection.query(
          `INSERT INTO api_keys (id, name, hash, prefix, team_id, allowed_models, rate_limits, budget_usd,
             budget_period, byok, expires_at, metadata, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          [
            id,
            key.name,
            key.hash,
            key.prefix,
            key.teamId ?? null,
            jsonOrNull(key.allowedModels),
            jsonOrNull(key.rateLimits),
            key.budget?.limitUsd ?? null,
            key.budget?.period ?? null,
            key.byok === true,
            key.expiresAt ?? null,
            JSON.stringify(key.metadata ?? {}),
            now,
            now,
          ],
        );
        // A look-up of this secret just before may have been remembered as unknown.
        await this.#driver.announce(connection, change);
        return inserted!;
      }),
    );
    this.emitKeyChange(change);
    return keyFromRow(row);
  }

  async getKey(id: string): Promise<StoredKey | null> {
    const [row] = await this.#driver.query('SELECT * FROM api_keys WHERE id = ?', [id]);
    return row ? keyFromRow(row) : null;
  }

  async listKeys(query: KeyQuery = {}): Promise<Page<StoredKey>> {
    const limit = pageSizeOf(query.limit);
    const conditions: string[] = [];
    const parameters: SqlValue[] = [];
    if (query.teamId !== undefined) {
      conditions.push('team_id = ?');
      parameters.push(query.teamId);
    }
    if (!query.includeRevoked) conditions.push('revoked_at IS NULL');
    if (query.cursor) {
      const cursor = decodePageCursor(query.cursor);
      conditions.push('(created_at, id) < (?, ?)');
      parameters.push(cursor.at, cursor.id);
    }
    const rows = await this.#driver.query(
      `SELECT * FROM api_keys ${whereOf(conditions)} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...parameters, limit + 1],
    );
    return pageOf(rows.map(keyFromRow), limit, (key) => ({ at: key.createdAt, id: key.id }));
  }

  async updateKey(id: string, changes: KeyChanges): Promise<StoredKey> {
    const assignments: string[] = [];
    const parameters: SqlValue[] = [];
    const set = (column: string, value: SqlValue) => {
      assignments.push(`${column} = ?`);
      parameters.push(value);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.teamId !== undefined) set('team_id', changes.teamId);
    if (changes.allowedModels !== undefined) set('allowed_models', jsonOrNull(changes.allowedModels));
    if (changes.rateLimits !== undefined) set('rate_limits', jsonOrNull(changes.rateLimits));
    if (changes.budget !== undefined) {
      set('budget_usd', changes.budget?.limitUsd ?? null);
      set('budget_period', changes.budget?.period ?? null);
    }
    if (changes.byok !== undefined) set('byok', changes.byok === true);
    if (changes.expiresAt !== undefined) set('expires_at', changes.expiresAt);
    if (changes.metadata !== undefined) set('metadata', JSON.stringify(changes.metadata ?? {}));
    set('updated_at', this.#now());
    const { row, change } = await this.#driver.transaction(async (connection) => {
      const current = await requireLiveKey(connection, id);
      if (changes.teamId) await requireTeam(connection, changes.teamId);
      const [updated] = await connection.query(
        `UPDATE api_keys SET ${assignments.join(', ')} WHERE id = ? RETURNING *`,
        [...parameters, id],
      );
      const change = changeOfKeyRows(current, updated!);
      await this.#driver.announce(connection, change);
      return { row: updated!, change };
    });
    this.emitKeyChange(change);
    return keyFromRow(row);
  }

  async rotateKey(id: string, rotation: KeyRotation): Promise<StoredKey> {
    checkHash(rotation.hash);
    const now = this.#now();
    const { row, change } = await this.#refuseDuplicates('Another key has the same secret.', () =>
      this.#driver.transaction(async (connection) => {
        const current = await requireLiveKey(connection, id);
        const [updated] = await connection.query(
          `UPDATE api_keys SET previous_hash = hash, previous_valid_until = ?, hash = ?, prefix = ?,
             rotated_at = ?, updated_at = ?
           WHERE id = ? RETURNING *`,
          [rotation.previousValidUntil, rotation.hash, rotation.prefix, now, now, id],
        );
        const change = changeOfKeyRows(current, updated!);
        await this.#driver.announce(connection, change);
        return { row: updated!, change };
      }),
    );
    this.emitKeyChange(change);
    return keyFromRow(row);
  }

  async revokeKey(id: string): Promise<StoredKey> {
    const { row, change } = await this.#driver.transaction(async (connection) => {
      const [current] = await connection.query('SELECT * FROM api_keys WHERE id = ?', [id]);
      if (!current) throw new StoreError('not_found', `No key has the id ${id}.`);
      if (current['revoked_at'] !== null) return { row: current, change: null };
      const now = this.#now();
      const [updated] = await connection.query(
        'UPDATE api_keys SET revoked_at = ?, updated_at = ? WHERE id = ? RETURNING *',
        [now, now, id],
      );
      const change = changeOfKeyRows(current, updated!);
      await this.#driver.announce(connection, change);
      return { row: updated!, change };
    });
    if (change) this.emitKeyChange(change);
    return keyFromRow(row);
  }

  async findKeyByHash(hash: string): Promise<KeyMatch | null> {
    if (!HASH.test(hash)) return null;
    const rows = await this.#driver.query('SELECT * FROM api_keys WHERE hash = ? OR previous_hash = ?', [
      hash,
      hash,
    ]);
    const row = rows.find((candidate) => candidate['hash'] === hash) ?? rows[0];
    if (!row) return null;
    const teamId = row['team_id'];
    const [teamRow] =
      typeof teamId === 'string'
        ? await this.#driver.query('SELECT * FROM teams WHERE id = ?', [teamId])
        : [];
    return {
      key: keyFromRow(row),
      team: teamRow ? teamFromRow(teamRow) : null,
      matched: row['hash'] === hash ? 'current' : 'previous',
    };
  }

  onKeyChange(listener: (change: KeyChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells this process's listeners; a listener that throws does not stop the others. */
  emitKeyChange(change: KeyChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A cache that fails to forget will expire by its TTL; the change itself is committed.
      }
    }
  }

  // ----- spend -----

  writeSpend(entries: readonly SpendEntry[]): Promise<number> {
    if (this.#driver.writeSpend) return this.#driver.writeSpend(entries);
    return writeSpendEntries((work) => this.#driver.transaction(work), entries);
  }

  async listSpend(query: SpendQuery = {}): Promise<Page<SpendRow>> {
    const limit = pageSizeOf(query.limit);
    const { conditions, parameters } = conditionsOfSpendFilter(query);
    if (query.cursor) {
      const cursor = decodePageCursor(query.cursor);
      conditions.push('(at, id) < (?, ?)');
      parameters.push(cursor.at, cursor.id);
    }
    const rows = await this.#driver.query(
      `SELECT * FROM spend_log ${whereOf(conditions)} ORDER BY at DESC, id DESC LIMIT ?`,
      [...parameters, limit + 1],
    );
    return pageOf(rows.map(spendFromRow), limit, (row) => ({ at: row.at, id: row.id }));
  }

  async *iterateSpend(filter: SpendFilter = {}): AsyncIterable<SpendRow> {
    let cursor: string | null = null;
    do {
      const page: Page<SpendRow> = await this.listSpend({ ...filter, cursor, limit: 1000 });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  async summarizeSpend(query: SpendSummaryQuery): Promise<SpendSummaryRow[]> {
    const grain = query.grain ?? 'day';
    if (!(grain in ROLLUP_TABLES))
      throw new StoreError('invalid', `${String(grain)} is not a grain (day or hour).`);
    const bounds: SqlValue[] =
      grain === 'day' ? [query.from, query.to].map(checkDay) : [query.from, query.to].map(startOfHour);
    const dimensions = [...new Set(query.groupBy ?? [])];
    for (const dimension of dimensions) {
      if (!(dimension in DIMENSION_COLUMNS)) {
        throw new StoreError('invalid', `Spend cannot be grouped by ${String(dimension)}.`);
      }
      if ((dimension === 'day' || dimension === 'hour') && dimension !== grain) {
        throw new StoreError(
          'invalid',
          `Spend at the ${grain}ly grain is grouped by ${grain}, not by ${dimension}.`,
        );
      }
    }
    const { table, period } = ROLLUP_TABLES[grain];
    const conditions = [`${period} >= ?`, `${period} <= ?`];
    const parameters: SqlValue[] = [...bounds];
    const filters: [string | undefined, string][] = [
      [query.keyId, 'key_id'],
      [query.teamId, 'team_id'],
      [query.model, 'model'],
      [query.provider, 'provider'],
    ];
    for (const [value, column] of filters) {
      if (value === undefined) continue;
      conditions.push(`${column} = ?`);
      parameters.push(value);
    }
    const groups = dimensions.map((dimension) => DIMENSION_COLUMNS[dimension]);
    const summed =
      query.durations === false ? FIGURE_COLUMNS.map(([, column]) => column) : ROLLUP_COUNT_COLUMNS;
    const sums = summed.map((column) => `coalesce(sum(${column}), 0) AS ${column}`);
    const grouping = groups.length > 0 ? `GROUP BY ${groups.join(', ')} ORDER BY ${groups.join(', ')}` : '';
    const rows = await this.#driver.query(
      `SELECT ${[...groups, ...sums].join(', ')} FROM ${table} ${whereOf(conditions)} ${grouping}`,
      parameters,
    );
    return rows.map((row) => {
      const summary = figuresFromRow(row) as SpendSummaryRow;
      for (const dimension of dimensions) {
        const value = row[DIMENSION_COLUMNS[dimension]];
        const field = DIMENSION_FIELDS[dimension];
        (summary as unknown as Record<string, unknown>)[field] =
          dimension === 'day'
            ? String(value)
            : dimension === 'hour'
              ? asDate(value).toISOString()
              : value === '' || value === null
                ? null
                : String(value);
      }
      return summary;
    });
  }

  async spentInPeriod(owner: BudgetOwner, period: BudgetPeriod, now: Date): Promise<number> {
    const today = dayOf(now);
    const first = period === 'daily' ? today : `${today.slice(0, 7)}-01`;
    const [column, id] = 'keyId' in owner ? ['key_id', owner.keyId] : ['team_id', owner.teamId];
    const [row] = await this.#driver.query(
      `SELECT coalesce(sum(cost_usd), 0) AS spent FROM spend_daily WHERE ${column} = ? AND day >= ? AND day <= ?`,
      [id, first, today],
    );
    return Number(row?.['spent'] ?? 0);
  }

  async deleteSpendBefore(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const rows = await this.#driver.query(
        `DELETE FROM spend_log WHERE id IN (SELECT id FROM spend_log WHERE at < ? LIMIT ${ROWS_PER_DELETE})
         RETURNING id`,
        [cutoff],
      );
      deleted += rows.length;
      if (rows.length < ROWS_PER_DELETE) break;
    }
    await this.#driver.query('DELETE FROM spend_hourly WHERE hour < ?', [startOfHour(cutoff.toISOString())]);
    return deleted;
  }

  async ping(): Promise<void> {
    await this.#driver.query('SELECT 1 AS ok');
  }

  /** Closes the connections; closing again does nothing. */
  close(): Promise<void> {
    this.#listeners.clear();
    this.#closing ??= this.#driver.close();
    return this.#closing;
  }

  async #refuseDuplicates<T>(message: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (this.#driver.isUniqueViolation(error)) throw new StoreError('conflict', message);
      throw error;
    }
  }
}

// ----- rows to records and back -----

function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function asDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : asDate(value);
}

/** JSON columns: text in SQLite, already parsed (JSONB) in PostgreSQL. */
function asJson<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function asTextOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function budgetFromRow(row: SqlRow): Budget | null {
  if (row['budget_usd'] === null || row['budget_usd'] === undefined) return null;
  return { limitUsd: Number(row['budget_usd']), period: row['budget_period'] as Budget['period'] };
}

function teamFromRow(row: SqlRow): Team {
  return {
    id: String(row['id']),
    name: String(row['name']),
    budget: budgetFromRow(row),
    allowedModels: asJson<string[]>(row['allowed_models']),
    rateLimits: asJson(row['rate_limits']),
    metadata: asJson(row['metadata']) ?? {},
    createdAt: asDate(row['created_at']),
    updatedAt: asDate(row['updated_at']),
  };
}

function keyFromRow(row: SqlRow): StoredKey {
  return {
    id: String(row['id']),
    name: String(row['name']),
    prefix: String(row['prefix']),
    teamId: asTextOrNull(row['team_id']),
    allowedModels: asJson<string[]>(row['allowed_models']),
    rateLimits: asJson(row['rate_limits']),
    budget: budgetFromRow(row),
    byok: Boolean(row['byok']),
    expiresAt: asDateOrNull(row['expires_at']),
    metadata: asJson(row['metadata']) ?? {},
    createdAt: asDate(row['created_at']),
    updatedAt: asDate(row['updated_at']),
    rotatedAt: asDateOrNull(row['rotated_at']),
    revokedAt: asDateOrNull(row['revoked_at']),
    previousSecretValidUntil:
      row['previous_hash'] === null ? null : asDateOrNull(row['previous_valid_until']),
  };
}

function spendFromRow(row: SqlRow): SpendRow {
  const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    id: String(row['id']),
    at: asDate(row['at']),
    requestId: String(row['request_id']),
    keyId: asTextOrNull(row['key_id']),
    teamId: asTextOrNull(row['team_id']),
    route: String(row['route']),
    requestedModel: asTextOrNull(row['requested_model']),
    model: asTextOrNull(row['model']),
    provider: asTextOrNull(row['provider']),
    deployment: asTextOrNull(row['deployment']),
    promptTokens: Number(row['prompt_tokens']),
    completionTokens: Number(row['completion_tokens']),
    reasoningTokens: Number(row['reasoning_tokens']),
    cachedTokens: Number(row['cached_tokens']),
    cacheWriteTokens: Number(row['cache_write_tokens']),
    costUsd: Number(row['cost_usd']),
    latencyMs: numberOrNull(row['latency_ms']),
    overheadMs: numberOrNull(row['overhead_ms']),
    status: numberOrNull(row['status']),
    cacheResult: asTextOrNull(row['cache_result']),
    outcome: String(row['outcome']),
    estimated: Boolean(row['estimated']),
  };
}

function figuresFromRow(row: SqlRow): SpendFigures {
  const figures = {} as Record<keyof SpendFigures, unknown>;
  for (const [field, column] of FIGURE_COLUMNS) figures[field] = Number(row[column] ?? 0);
  figures.latency = LATENCY_COLUMNS.map((column) => Number(row[column] ?? 0));
  figures.overhead = OVERHEAD_COLUMNS.map((column) => Number(row[column] ?? 0));
  return figures as SpendFigures;
}

function checkDay(day: string): string {
  if (!DAY.test(day)) throw new StoreError('invalid', `${day} is not a day (YYYY-MM-DD).`);
  return day;
}

/** The start of the UTC hour an instant falls in. */
function startOfHour(instant: string): Date {
  const time = Date.parse(instant);
  if (Number.isNaN(time)) throw new StoreError('invalid', `${instant} is not an instant (ISO 8601).`);
  return new Date(time - (((time % HOUR_MS) + HOUR_MS) % HOUR_MS));
}

function conditionsOfSpendFilter(filter: SpendFilter): { conditions: string[]; parameters: SqlValue[] } {
  const conditions: string[] = [];
  const parameters: SqlValue[] = [];
  const add = (condition: string, ...values: SqlValue[]) => {
    conditions.push(condition);
    parameters.push(...values);
  };
  if (filter.from !== undefined) add('at >= ?', filter.from);
  if (filter.to !== undefined) add('at < ?', filter.to);
  if (filter.keyId !== undefined) add('key_id = ?', filter.keyId);
  if (filter.teamId !== undefined) add('team_id = ?', filter.teamId);
  if (filter.model !== undefined) add('(model = ? OR requested_model = ?)', filter.model, filter.model);
  if (filter.provider !== undefined) add('provider = ?', filter.provider);
  if (filter.status !== undefined) add('status = ?', filter.status);
  if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
  if (filter.requestId !== undefined) add('request_id = ?', filter.requestId);
  return { conditions, parameters };
}

// ----- small SQL pieces -----

function whereOf(conditions: readonly string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

function pageOf<T>(items: T[], limit: number, cursorOf: (item: T) => PageCursor): Page<T> {
  if (items.length <= limit) return { items, nextCursor: null };
  const page = items.slice(0, limit);
  return { items: page, nextCursor: encodePageCursor(cursorOf(page[page.length - 1]!)) };
}

function checkHash(hash: string): void {
  if (!HASH.test(hash)) throw new StoreError('invalid', 'A key hash is 64 lower-case hex digits (SHA-256).');
}

async function requireTeam(connection: SqlConnection, id: string): Promise<void> {
  const [row] = await connection.query('SELECT id FROM teams WHERE id = ?', [id]);
  if (!row) throw new StoreError('not_found', `No team has the id ${id}.`);
}

async function requireLiveKey(connection: SqlConnection, id: string): Promise<SqlRow> {
  const [row] = await connection.query('SELECT * FROM api_keys WHERE id = ?', [id]);
  if (!row) throw new StoreError('not_found', `No key has the id ${id}.`);
  if (row['revoked_at'] !== null) throw new StoreError('conflict', `The key ${id} is revoked.`);
  return row;
}

/** Every secret a key had before or has after a change: caches forget all of them. */
function changeOfKeyRows(before: SqlRow, after: SqlRow): KeyChange {
  const hashes = [before['hash'], before['previous_hash'], after['hash'], after['previous_hash']].filter(
    (hash): hash is string => typeof hash === 'string',
  );
  return { kind: 'key', hashes: [...new Set(hashes)] };
}
