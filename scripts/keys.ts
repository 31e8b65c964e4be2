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

export const USAGE = `Usage: npm run keys -- <command>
  create --name <name> [--id <id>] [--models <glob,glob>]   mint a client key
  hash                                                      stdin key -> sha256:<hex>
  encrypt                                                   stdin secret -> enc:v1:... (needs GATEWAY_MASTER_KEY)
  master-key                                                print a new master key
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
    options: { name: { type: 'string' }, id: { type: 'string' }, models: { type: 'string' } },
  });
  const command = positionals[0];
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
