import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import {
  SecretError,
  decryptSecret,
  encryptSecret,
  generateMasterKey,
  parseMasterKey,
} from '../../src/secrets.js';

const MASTER = generateMasterKey();
const OTHER = generateMasterKey();

describe('encrypted secrets', () => {
  it('round-trips with the same master key, with a fresh IV each time', () => {
    const key = parseMasterKey(MASTER);
    const first = encryptSecret('sk-live-secret', key);
    const second = encryptSecret('sk-live-secret', key);
    expect(first).toMatch(/^enc:v1:[A-Za-z0-9_-]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('sk-live-secret');
    expect(decryptSecret(first, key)).toBe('sk-live-secret');
  });

  it('fails clearly with a wrong master key or an altered value', () => {
    const value = encryptSecret('sk-live-secret', parseMasterKey(MASTER));
    expect(() => decryptSecret(value, parseMasterKey(OTHER))).toThrow(SecretError);
    const altered = value.slice(0, -2) + (value.endsWith('A') ? 'BB' : 'AA');
    expect(() => decryptSecret(altered, parseMasterKey(MASTER))).toThrow(/does not decrypt/);
    expect(() => decryptSecret('enc:v2:abc', parseMasterKey(MASTER))).toThrow(/format/);
  });

  it('takes a master key as 64 hex digits or base64 of 32 bytes, nothing else', () => {
    expect(parseMasterKey('a'.repeat(64))).toHaveLength(32);
    expect(parseMasterKey(MASTER)).toHaveLength(32);
    expect(() => parseMasterKey('too-short')).toThrow(/32 bytes/);
  });
});

function configWith(yaml: string, env: Record<string, string> = {}) {
  const folder = mkdtempSync(join(tmpdir(), 'gateway-config-'));
  const file = join(folder, 'gateway.yaml');
  writeFileSync(file, yaml);
  return loadConfig({
    env: { NODE_ENV: 'test', GATEWAY_CONFIG: file, ...env },
    configDirectory: join(PACKAGE_ROOT, 'config'),
  });
}

describe('enc: values in configuration files', () => {
  const encrypted = encryptSecret('sk-from-file', parseMasterKey(MASTER));

  it('are decrypted at load with GATEWAY_MASTER_KEY', () => {
    const config = configWith(`providers:\n  openai:\n    apiKey: ${encrypted}\n`, {
      GATEWAY_MASTER_KEY: MASTER,
    });
    expect(config.gateway.providers['openai']?.apiKey).toBe('sk-from-file');
  });

  it('stop the start with a clear message when the master key is wrong or missing', () => {
    expect(() =>
      configWith(`providers:\n  openai:\n    apiKey: ${encrypted}\n`, { GATEWAY_MASTER_KEY: OTHER }),
    ).toThrow(/providers\.openai\.apiKey cannot be decrypted with GATEWAY_MASTER_KEY/);
    expect(() => configWith(`providers:\n  openai:\n    apiKey: ${encrypted}\n`)).toThrow(
      /providers\.openai\.apiKey is encrypted \(enc:\) but GATEWAY_MASTER_KEY is not set/,
    );
    expect(() =>
      configWith(`providers:\n  openai:\n    apiKey: ${encrypted}\n`, { GATEWAY_MASTER_KEY: 'nope' }),
    ).toThrow(ConfigError);
  });

  it('work for any provider instance, and never end up in an error message', () => {
    let message = '';
    try {
      configWith(
        `providers:\n  second:\n    type: openai\n    baseUrl: http://127.0.0.1:1/v1\n    apiKey: ${encrypted}\n`,
        {
          GATEWAY_MASTER_KEY: OTHER,
        },
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('providers.second.apiKey');
    expect(message).not.toContain(encrypted);
    const config = configWith(
      `providers:\n  second:\n    type: openai\n    baseUrl: http://127.0.0.1:1/v1\n    apiKey: ${encrypted}\n`,
      { GATEWAY_MASTER_KEY: MASTER },
    );
    expect(config.gateway.providers['second']?.apiKey).toBe('sk-from-file');
  });
});

describe('auth settings in configuration files', () => {
  it('reads clients (by hash) and AUTH_MODE', () => {
    const hash = `sha256:${'ab'.repeat(32)}`;
    const config = configWith(
      `auth:\n  clients:\n    - id: team-a\n      name: Team A\n      keyHash: ${hash}\n      allowedModels: ['gpt-4o*']\n`,
      { AUTH_MODE: 'client', GATEWAY_API_KEYS: '' },
    );
    expect(config.gateway.auth.mode).toBe('client');
    expect(config.gateway.auth.clients).toEqual([
      { id: 'team-a', name: 'Team A', keyHash: hash, allowedModels: ['gpt-4o*'] },
    ]);
    expect(() => configWith('', { AUTH_MODE: 'everyone' })).toThrow(/AUTH_MODE \(auth.mode\)/);
  });
});
