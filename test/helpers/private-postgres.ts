/**
 * A PostgreSQL server of the test's own, in a temporary folder on a free port, that the test can
 * stop and start again (same data, same port) to play an outage, and that removes everything at
 * the end. Never the machine's shared server, which other test runs are using.
 *
 * initdb refuses to run as root, so as root the server's programs run as the `postgres` user
 * (runuser), and the folder is handed to that user.
 * @see https://www.postgresql.org/docs/current/app-initdb.html
 * @see https://www.postgresql.org/docs/current/app-pg-ctl.html
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest installed server's programs (Debian keeps them out of PATH). */
function binaryFolder(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return '';
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : '';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class PrivatePostgresServer {
  readonly #folder: string;
  readonly #binaries = binaryFolder();
  readonly #asRoot = process.getuid?.() === 0;
  #running = false;

  private constructor(
    folder: string,
    readonly port: number,
  ) {
    this.#folder = folder;
  }

  /** A new server, initialised and started. */
  static async start(): Promise<PrivatePostgresServer> {
    const folder = await mkdtemp(join(tmpdir(), 'llm-gateway-postgres-'));
    const server = new PrivatePostgresServer(folder, await freePort());
    try {
      if (server.#asRoot) await run('chown', ['postgres:', folder]);
      await server.#program('initdb', [
        '--pgdata',
        server.#dataFolder,
        '--username',
        'postgres',
        '--auth',
        'trust',
        '--no-sync',
        '--no-locale',
        '--encoding',
        'UTF8',
      ]);
      await server.restart();
    } catch (error) {
      await server.remove();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get #dataFolder(): string {
    return join(this.#folder, 'data');
  }

  /** Starts the stopped server again, on the same port with the same data. */
  async restart(): Promise<void> {
    const settings = [
      `-p ${this.port}`,
      `-k ${this.#folder}`,
      '-c listen_addresses=127.0.0.1',
      // No waiting for the disk: the machine does not crash under a test. A commit is still in
      // the server's log before it is acknowledged (synchronous_commit stays on), so a stop in
      // `immediate` mode, a crash of the server alone, loses nothing that was acknowledged.
      '-c fsync=off',
      '-c full_page_writes=off',
    ].join(' ');
    await this.#program('pg_ctl', [
      '--pgdata',
      this.#dataFolder,
      '--log',
      join(this.#folder, 'server.log'),
      '--options',
      settings,
      '--wait',
      '--timeout',
      '30',
      'start',
    ]);
    this.#running = true;
  }

  /** Stops the server: `fast` closes connections cleanly, `immediate` is a crash. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.#running) return;
    await this.#program('pg_ctl', ['--pgdata', this.#dataFolder, '--mode', mode, '--wait', 'stop']);
    this.#running = false;
  }

  /** Stops the server and deletes its folder. */
  async remove(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    await rm(this.#folder, { recursive: true, force: true });
  }

  async #program(name: string, args: string[]): Promise<void> {
    const path = this.#binaries ? join(this.#binaries, name) : name;
    const [file, fileArgs] = this.#asRoot
      ? ['runuser', ['-u', 'postgres', '--', path, ...args]]
      : [path, args];
    try {
      await run(file, fileArgs, { cwd: this.#folder, timeout: 60_000 });
    } catch (error) {
      const { stderr, stdout } = error as { stderr?: string; stdout?: string };
      throw new Error(`${name} failed: ${stderr || stdout || (error as Error).message}`, { cause: error });
    }
  }
}
