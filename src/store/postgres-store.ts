/**
 * The store in PostgreSQL, for gateways with replicas: one database every replica reads and writes,
 * through a bounded pool of connections (`pg`).
 *
 * - Migrations run in one transaction holding a transaction-level advisory lock, so replicas that
 *   start together migrate once: the others wait, then find the schema current.
 * - A change to keys or teams is announced with NOTIFY in the transaction that makes it (delivered
 *   on commit); every store LISTENs on a connection of its own and tells its key caches at once.
 *   When that connection is lost, the store connects again, and tells its caches to forget
 *   everything, since announcements may have been missed meanwhile.
 * - The tables live in one schema (`public` unless told), so several gateways, or test runs, can
 *   share a database.
 * @see https://node-postgres.com/apis/pool
 * @see https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 * @see https://www.postgresql.org/docs/current/sql-notify.html
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { LRUCache } from 'lru-cache';
import type { SqlConnection, SqlDriver, SqlRow, SqlValue } from './sql-driver.js';
import { openSqlStore, type SqlStore, type SqlStoreOptions } from './sql-store.js';
import { StoreError, type KeyChange } from './store.js';

/** Where the store reports trouble with its connections (a pino logger fits). */
export interface StoreLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface PostgresStoreOptions extends SqlStoreOptions {
  /** `postgresql://user:password@host:port/database` */
  url: string;
  /** The schema of the store's tables, created when missing. */
  schema?: string;
  /** Connections the pool may open at most. */
  maxConnections?: number;
  /** How long a query waits for a connection before failing. */
  connectionTimeoutMs?: number;
  /** How long the server lets one statement run (migrations excepted). */
  statementTimeoutMs?: number;
  /** How long to wait before connecting the notification listener again. */
  listenRetryMs?: number;
  log?: StoreLog;
}

export const DEFAULT_POSTGRES_SCHEMA = 'public';

const CHANNEL = 'llm_gateway_key_changes';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const UNIQUE_VIOLATION = '23505';

// BIGINT and NUMERIC (what SUM of BIGINT returns) as numbers: token counts stay far below 2^53.
// DATE as its text, `YYYY-MM-DD`, rather than a Date at local midnight.
const TYPE_PARSERS: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    if (oid === pg.types.builtins.DATE) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export async function openPostgresStore(options: PostgresStoreOptions): Promise<SqlStore> {
  const driver = new PostgresDriver(options);
  try {
    return await openSqlStore(driver, options);
  } catch (error) {
    await driver.close();
    throw error;
  }
}

/** The database's address for messages, without credentials. */
function describeDatabase(url: string, schema: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname} (schema ${schema})`;
  } catch {
    return `PostgreSQL (schema ${schema})`;
  }
}

/**
 * Dates as ISO-8601 text, which TIMESTAMPTZ reads as it is: `pg` would otherwise write each one
 * out field by field in the local time zone, a cost paid per spend row.
 */
function encodeParameters(parameters: readonly SqlValue[]): unknown[] {
  const encoded = new Array<unknown>(parameters.length);
  for (let index = 0; index < parameters.length; index++) {
    const value = parameters[index];
    encoded[index] = value instanceof Date ? value.toISOString() : value;
  }
  return encoded;
}

function connectionOf(client: pg.PoolClient | pg.Pool, sqlOf: (sql: string) => string): SqlConnection {
  return {
    async query(sql, parameters = []) {
      const result = await client.query(sqlOf(sql), encodeParameters(parameters));
      return result.rows as SqlRow[];
    },
    async execute(sql, parameters = []) {
      const result = await client.query(sqlOf(sql), encodeParameters(parameters));
      return result.rowCount ?? 0;
    },
  };
}

class PostgresDriver implements SqlDriver {
  readonly backend = 'postgres' as const;
  readonly where: string;
  readonly #schema: string;
  readonly #clientConfig: pg.ClientConfig;
  readonly #pool: pg.Pool;
  readonly #pooled: SqlConnection;
  readonly #numbered = new LRUCache<string, string>({ max: 200 });
  readonly #listenRetryMs: number;
  readonly #log: StoreLog | undefined;
  // This store's own announcements come back to it too; it has told its listeners already.
  readonly #origin = randomUUID();
  #listener: ((change: KeyChange) => void) | null = null;
  #listenClient: pg.Client | null = null;
  #listenTimer: NodeJS.Timeout | null = null;
  #listenLost = false;
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    if (!SCHEMA_NAME.test(schema)) {
      throw new StoreError('invalid', `The schema name ${schema} must be lower-case letters, digits and _.`);
    }
    this.#schema = schema;
    this.where = describeDatabase(options.url, schema);
    this.#listenRetryMs = options.listenRetryMs ?? 1000;
    this.#log = options.log;
    this.#clientConfig = {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 2000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      options: `-c search_path=${schema}`,
      application_name: 'llm-gateway',
      types: TYPE_PARSERS,
    };
    this.#pool = new pg.Pool({
      ...this.#clientConfig,
      max: options.maxConnections ?? 10,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection the server closed (a restart) is reported here; without a listener the
    // error would end the process. The pool replaces the connection on the next query.
    this.#pool.on('error', (error) => {
      this.#log?.warn({ error: error.message, database: this.where }, 'store: an idle connection was closed');
    });
    this.#pooled = connectionOf(this.#pool, (sql) => this.#sqlOf(sql));
  }

  query(sql: string, parameters: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.#pooled.query(sql, parameters);
  }

  execute(sql: string, parameters: readonly SqlValue[] = []): Promise<number> {
    return this.#pooled.execute(sql, parameters);
  }

  async transaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    // A connection lent by the pool reports its loss (a server restart) as an 'error' event, which
    // would end the process unheard; the query in flight fails on its own.
    const onError = () => undefined;
    client.on('error', onError);
    let result: T;
    try {
      await client.query('BEGIN');
      result = await work(connectionOf(client, (sql) => this.#sqlOf(sql)));
      await client.query('COMMIT');
    } catch (error) {
      try {
        await client.query('ROLLBACK');
        client.off('error', onError);
        client.release();
      } catch (rollbackError) {
        // The connection is broken: the pool drops it instead of lending it again.
        client.off('error', onError);
        client.release(rollbackError as Error);
      }
      throw error;
    }
    client.off('error', onError);
    client.release();
    return result;
  }

  exclusiveTransaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    return this.transaction(async (connection) => {
      await connection.query('SET LOCAL statement_timeout = 0');
      await connection.query('SELECT pg_advisory_xact_lock(hashtext(?))', [
        `llm-gateway:migrations:${this.#schema}`,
      ]);
      const [exists] = await connection.query('SELECT 1 AS found FROM pg_namespace WHERE nspname = ?', [
        this.#schema,
      ]);
      if (!exists) await connection.query(`CREATE SCHEMA "${this.#schema}"`);
      return work(connection);
    });
  }

  async announce(connection: SqlConnection, change: KeyChange): Promise<void> {
    await connection.query('SELECT pg_notify(?, ?)', [
      CHANNEL,
      JSON.stringify({ schema: this.#schema, origin: this.#origin, change }),
    ]);
  }

  async watch(listener: (change: KeyChange) => void): Promise<void> {
    this.#listener = listener;
    await this.#listen();
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: string } | null)?.code === UNIQUE_VIOLATION;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#listenTimer) clearTimeout(this.#listenTimer);
    const client = this.#listenClient;
    this.#listenClient = null;
    await client?.end().catch(() => undefined);
    await this.#pool.end();
  }

  #sqlOf(sql: string): string {
    let numbered = this.#numbered.get(sql);
    if (numbered === undefined) {
      let index = 0;
      numbered = sql.replace(/\?/g, () => `$${++index}`);
      this.#numbered.set(sql, numbered);
    }
    return numbered;
  }

  async #listen(): Promise<void> {
    const client = new pg.Client(this.#clientConfig);
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      let announced: { schema?: unknown; origin?: unknown; change?: KeyChange };
      try {
        announced = JSON.parse(message.payload) as typeof announced;
      } catch {
        return;
      }
      if (announced.schema !== this.#schema || announced.origin === this.#origin || !announced.change) return;
      this.#listener?.(announced.change);
    });
    client.on('error', () => this.#lose(client));
    client.on('end', () => this.#lose(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#listenClient = client;
  }

  #lose(client: pg.Client): void {
    if (this.#closed || this.#listenClient !== client) return;
    this.#listenClient = null;
    client.end().catch(() => undefined);
    if (!this.#listenLost) {
      this.#listenLost = true;
      this.#log?.warn(
        { database: this.where },
        'store: the connection listening for key changes was lost; reconnecting (keys are re-read meanwhile)',
      );
    }
    this.#scheduleListen();
  }

  #scheduleListen(): void {
    if (this.#closed || this.#listenTimer) return;
    this.#listenTimer = setTimeout(() => {
      this.#listenTimer = null;
      this.#listen().then(
        () => {
          if (this.#closed) return;
          this.#listenLost = false;
          this.#log?.info({ database: this.where }, 'store: listening for key changes again');
          // Announcements sent while nobody listened are lost: forget every cached look-up.
          this.#listener?.({ kind: 'all' });
        },
        () => this.#scheduleListen(),
      );
    }, this.#listenRetryMs);
    this.#listenTimer.unref();
  }
}
