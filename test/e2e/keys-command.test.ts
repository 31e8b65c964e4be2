/**
 * `npm run keys`: the operator's command, run as a process, and its output used as configuration.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { KeyRing, formatKeyHash } from '../../src/identity.js';
import { decryptSecret, parseMasterKey } from '../../src/secrets.js';
import { runKeysCommand } from '../../scripts/keys.js';
import { hashKeySecret } from '../../src/store/key-secret.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { statusOfKey } from '../../src/store/store.js';

function runScript(args: string[], input = '', env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(PACKAGE_ROOT, 'scripts', 'keys.ts'), ...args],
      {
        cwd: PACKAGE_ROOT,
        env: { PATH: process.env['PATH'] ?? '', ...env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('npm run keys', () => {
  it('create: prints the key once and a config entry holding only its hash, which the gateway accepts', async () => {
    const { code, stdout } = await runScript([
      'create',
      '--name',
      'Team A',
      '--models',
      'gpt-4o*, text-embedding-*',
    ]);
    expect(code).toBe(0);
    const key = /\n {2}(gwk_[A-Za-z0-9_-]{43})\n/.exec(stdout)?.[1];
    expect(key).toBeDefined();
    expect(stdout.split(key!).length).toBe(2);
    const snippet = parseYaml(stdout.slice(stdout.indexOf('auth:'))) as {
      auth: { clients: Record<string, unknown>[] };
    };
    const entry = snippet.auth.clients[0]!;
    expect(entry).toEqual({
      id: 'team-a',
      name: 'Team A',
      keyHash: formatKeyHash(key!),
      allowedModels: ['gpt-4o*', 'text-embedding-*'],
    });
    const ring = new KeyRing();
    ring.addClient(entry as never);
    expect(ring.identify(key!)?.id).toBe('team-a');
  });

  it('encrypt: reads the secret on stdin and prints an enc: value for GATEWAY_MASTER_KEY', async () => {
    const master = await runScript(['master-key']);
    const masterKey = master.stdout.trim();
    const { code, stdout } = await runScript(['encrypt'], 'sk-provider-secret\n', {
      GATEWAY_MASTER_KEY: masterKey,
    });
    expect(code).toBe(0);
    expect(stdout).not.toContain('sk-provider-secret');
    expect(decryptSecret(stdout.trim(), parseMasterKey(masterKey))).toBe('sk-provider-secret');
  });

  it('fails with the usage for a wrong command or a missing master key', async () => {
    const unknown = await runScript(['nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown command nope');
    expect(unknown.stderr).toContain('Usage: npm run keys');
    const noMaster = await runScript(['encrypt'], 'secret');
    expect(noMaster.code).toBe(1);
    expect(noMaster.stderr).toContain('GATEWAY_MASTER_KEY');
  });

  it('hash: the sha256 form of a key read on stdin', async () => {
    let written = '';
    await runKeysCommand(['hash'], {
      env: {},
      readStdin: async () => 'existing-key-123\n',
      write: (text) => (written += text),
    });
    expect(written).toBe(`${formatKeyHash('existing-key-123')}\n`);
  });
});

describe('npm run keys -- store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'llm-gateway-keys-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<string> {
    let output = '';
    await runKeysCommand(args, {
      env: { DATA_DIR: dataDir },
      readStdin: () => Promise.resolve(''),
      write: (text) => (output += text),
    });
    return output;
  }

  async function matchOf(secret: string) {
    const store = await openSqliteStore({ dataDir });
    try {
      const match = await store.findKeyByHash(hashKeySecret(secret));
      return match && { id: match.key.id, status: statusOfKey(match, new Date()) };
    } finally {
      await store.close();
    }
  }

  it('creates, lists, rotates and revokes keys in the store the gateway reads', async () => {
    const created = await runScript(
      ['store', 'create', '--name', 'Batch jobs', '--models', 'gpt-4o-mini'],
      '',
      {
        DATA_DIR: dataDir,
      },
    );
    expect(created.code).toBe(0);
    const secret = /\n {2}(gwk_[A-Za-z0-9_-]{43})\n/.exec(created.stdout)?.[1];
    expect(secret).toBeDefined();
    const id = /^Key (key_[0-9a-f]+) /.exec(created.stdout)?.[1];
    expect(await matchOf(secret!)).toEqual({ id, status: 'active' });

    expect(await run(['store', 'list'])).toMatch(
      new RegExp(`^${id}  ${secret!.slice(0, 8)}…  active  Batch jobs$`, 'm'),
    );

    const rotated = await run(['store', 'rotate', id!, '--grace', '0']);
    const next = /\n {2}(gwk_[A-Za-z0-9_-]{43})\n/.exec(rotated)?.[1];
    expect(rotated).toContain('The old key no longer works.');
    expect(await matchOf(secret!)).toEqual({ id, status: 'replaced' });
    expect(await matchOf(next!)).toEqual({ id, status: 'active' });

    expect(await run(['store', 'revoke', id!])).toContain(`Revoked ${id}`);
    expect(await matchOf(next!)).toEqual({ id, status: 'revoked' });
    expect(await run(['store', 'list'])).not.toContain(id);
    expect(await run(['store', 'list', '--all'])).toContain(`${id}  ${next!.slice(0, 8)}…  revoked`);
    await expect(run(['store', 'revoke', 'key_nope'])).rejects.toThrow(/key_nope/);
  });
});
