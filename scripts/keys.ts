/**
 * Key management for operators (`npm run keys -- <command>`):
 *
 *   create --name <name> [--id <id>] [--models <glob,glob>]
 *       Mints a client key, prints it once, and the auth.clients entry (with only its SHA-256) to
 *       paste into the configuration.
 *   hash
 *       Reads a key on standard input and prints its `sha256:` form (to move an existing key to
 *       auth.clients).
 *   encrypt
 *       Reads a secret (a provider key) on standard input and prints its `enc:` form, encrypted with
 *       GATEWAY_MASTER_KEY, for provider settings in configuration files.
 *   master-key
 *       Prints a new random master key for GATEWAY_MASTER_KEY.
 *
 *   store create --name <name> [--team <team id>] [--models <glob,glob>]
 *   store list [--team <team id>] [--all]
 *   store rotate <key id> [--grace <seconds>]
 *   store revoke <key id>
 *       Manages keys in the gateway's store (the same code as the admin API, docs/admin.md): the
 *       SQLite file under DATA_DIR, or PostgreSQL when DATABASE_URL is set, as the gateway reads
 *       them. A key made or rotated is printed once; running gateways see changes within seconds.
 *
 * Secrets are read from standard input, never from arguments, so they stay out of shell history
 * and process listings. Like src/server.ts, this is a shell around the library and reads the
 * environment itself.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { formatKeyHash } from '../src/identity.js';
import { SecretError, encryptSecret, generateMasterKey, parseMasterKey } from '../src/secrets.js';
import { DEFAULT_ROTATION_GRACE_SECONDS, createStoreKey, rotateStoreKey } from '../src/store/manage-keys.js';
import { openStore } from '../src/store/open-store.js';
import { StoreError, type Store, type StoredKey } from '../src/store/store.js';

export const USAGE = `Usage: npm run keys -- <command>
  create --name <name> [--id <id>] [--models <glob,glob>]   mint a client key
  hash                                                      stdin key -> sha256:<hex>
  encrypt                                                   stdin secret -> enc:v1:... (needs GATEWAY_MASTER_KEY)
  master-key                                                print a new master key
  store create --name <name> [--team <id>] [--models <g,g>] make a key in the store (DATA_DIR / DATABASE_URL)
  store list [--team <id>] [--all]                          list the store's keys (--all: revoked too)
  store rotate <key id> [--grace <seconds>]                 a new secret; the old one works for the grace
  store revoke <key id>                                     revoke a key in the store
`;

/** `gwk_` and 32 random bytes: 256 bits, URL-safe, recognisable in a leak scanner. */
export function mintKey(): string {
  return `gwk_${randomBytes(32).toString('base64url')}`;
}

/** A configuration id from a name: lower case letters, digits, `.`, `_` and `-`. */
export function idFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64);
  return slug || `client-${randomBytes(4).toString('hex')}`;
}

export interface CommandIo {
  env: Record<string, string | undefined>;
  readStdin(): Promise<string>;
  write(text: string): void;
}

export class CommandError extends Error {
  override name = 'CommandError';
}

export async function runKeysCommand(argv: string[], io: CommandIo): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      id: { type: 'string' },
      models: { type: 'string' },
      team: { type: 'string' },
      grace: { type: 'string' },
      all: { type: 'boolean' },
    },
  });
  const command = positionals[0];
  if (command === 'store') {
    await runStoreCommand(positionals.slice(1), values, io);
    return;
  }
  switch (command) {
    case 'create': {
      if (!values.name) throw new CommandError('create needs --name <name>');
      const key = mintKey();
      const entry: Record<string, unknown> = {
        id: values.id ?? idFromName(values.name),
        name: values.name,
        keyHash: formatKeyHash(key),
      };
      if (values.models) {
        entry['allowedModels'] = values.models
          .split(',')
          .map((model) => model.trim())
          .filter(Boolean);
      }
      io.write(
        `Key for ${values.name} (shown once; give it to the client and keep no copy):\n\n  ${key}\n\n` +
          `Add this to your configuration file (auth.mode client or hybrid):\n\n` +
          toYaml({ auth: { clients: [entry] } }),
      );
      return;
    }
    case 'hash': {
      const key = (await io.readStdin()).trim();
      if (!key) throw new CommandError('hash reads the key on standard input');
      io.write(`${formatKeyHash(key)}\n`);
      return;
    }
    case 'encrypt': {
      const masterKeyText = io.env['GATEWAY_MASTER_KEY'];
      if (!masterKeyText) throw new CommandError('encrypt needs GATEWAY_MASTER_KEY in the environment');
      const secret = (await io.readStdin()).trim();
      if (!secret) throw new CommandError('encrypt reads the secret on standard input');
      io.write(`${encryptSecret(secret, parseMasterKey(masterKeyText))}\n`);
      return;
    }
    case 'master-key':
      io.write(`${generateMasterKey()}\n`);
      return;
    default:
      throw new CommandError(command ? `unknown command ${command}` : 'no command given');
  }
}

function modelListOf(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  return text
    .split(',')
    .map((model) => model.trim())
    .filter(Boolean);
}

/** The store the gateway would open with this environment (its variables and defaults). */
function openStoreOf(env: Record<string, string | undefined>): Promise<Store> {
  return openStore({
    databaseUrl: env['DATABASE_URL'] || undefined,
    dataDir: env['DATA_DIR'] || './data',
    postgres: { schema: env['DATABASE_SCHEMA'] || 'public', maxConnections: 1 },
  });
}

function describeKey(key: StoredKey): string {
  const state = key.revokedAt
    ? 'revoked'
    : key.expiresAt && key.expiresAt <= new Date()
      ? 'expired'
      : 'active';
  return `${key.id}  ${key.prefix}…  ${state}  ${key.name}${key.teamId ? `  team ${key.teamId}` : ''}`;
}

async function runStoreCommand(
  positionals: string[],
  values: { name?: string; models?: string; team?: string; grace?: string; all?: boolean },
  io: CommandIo,
): Promise<void> {
  const [command, id] = positionals;
  if (command !== 'create' && command !== 'list' && command !== 'rotate' && command !== 'revoke') {
    throw new CommandError(command ? `unknown store command ${command}` : 'store needs a command');
  }
  if (command === 'create' && !values.name) throw new CommandError('store create needs --name <name>');
  if ((command === 'rotate' || command === 'revoke') && !id) {
    throw new CommandError(`store ${command} needs the key's id`);
  }
  const grace = values.grace === undefined ? DEFAULT_ROTATION_GRACE_SECONDS : Number(values.grace);
  if (!Number.isInteger(grace) || grace < 0) throw new CommandError('--grace takes a number of seconds');
  const store = await openStoreOf(io.env);
  try {
    switch (command) {
      case 'create': {
        const allowedModels = modelListOf(values.models);
        const { key, secret } = await createStoreKey(store, {
          name: values.name!,
          teamId: values.team ?? null,
          ...(allowedModels ? { allowedModels } : {}),
        });
        io.write(
          `Key ${key.id} for ${key.name} (shown once; give it to the client and keep no copy):\n\n  ${secret}\n`,
        );
        return;
      }
      case 'list': {
        let cursor: string | null = null;
        do {
          const page = await store.listKeys({
            ...(values.team ? { teamId: values.team } : {}),
            includeRevoked: values.all === true,
            cursor,
          });
          for (const key of page.items) io.write(`${describeKey(key)}\n`);
          cursor = page.nextCursor;
        } while (cursor !== null);
        return;
      }
      case 'rotate': {
        const { key, secret } = await rotateStoreKey(store, id!, grace, new Date());
        const until = key.previousSecretValidUntil;
        io.write(
          `New key for ${key.id} (shown once):\n\n  ${secret}\n\n` +
            (until ? `The old key works until ${until.toISOString()}.\n` : 'The old key no longer works.\n'),
        );
        return;
      }
      case 'revoke': {
        const key = await store.revokeKey(id!);
        io.write(`Revoked ${key.id} (${key.name}).\n`);
        return;
      }
    }
  } catch (error) {
    if (error instanceof StoreError) throw new CommandError(error.message);
    throw error;
  } finally {
    await store.close();
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  runKeysCommand(process.argv.slice(2), {
    env: process.env,
    readStdin: () => readAll(process.stdin),
    write: (text) => process.stdout.write(text),
  }).catch((error: unknown) => {
    const known = error instanceof CommandError || error instanceof SecretError || error instanceof TypeError;
    process.stderr.write(`keys: ${(error as Error).message}\n${known ? USAGE : ''}`);
    process.exitCode = 1;
  });
}
