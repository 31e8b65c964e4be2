/**
 * The admin API in protected mode: with no client, gateway or admin key configured, the caller on
 * this machine calling directly may use it (so the dashboard of a fresh `npm start` works from the
 * same machine); a proxied caller may not, and neither may anyone once admin keys or client keys
 * are set and none is presented.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../helpers/build-app.js';

const folder = mkdtempSync(join(tmpdir(), 'llm-gateway-admin-protected-'));
const apps: TestApp[] = [];

async function gatewayWith(env: Record<string, string>): Promise<TestApp> {
  const app = await buildTestApp({ env: { STORE_ENABLED: 'true', DATA_DIR: folder, ...env } });
  apps.push(app);
  return app;
}

let unprotected: TestApp;
beforeAll(async () => {
  unprotected = await gatewayWith({ GATEWAY_API_KEYS: '' });
}, 60_000);
afterAll(async () => {
  for (const app of apps) await app.app.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('the admin API in protected mode', () => {
  it('answers the caller on this machine without a key', async () => {
    const created = await unprotected.app.inject({
      method: 'POST',
      url: '/admin/keys',
      payload: { name: 'made-locally' },
    });
    expect(created.statusCode).toBe(201);
    const listed = await unprotected.app.inject({ url: '/admin/keys' });
    expect(listed.statusCode).toBe(200);
    expect(JSON.stringify(listed.json())).toContain('made-locally');
  });

  it('refuses a caller on this machine that came through a proxy', async () => {
    const proxied = await unprotected.app.inject({
      url: '/admin/keys',
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(proxied.statusCode).toBe(403);
    expect(proxied.json().error.code).toBe('admin_key_required');
  });

  it('refuses a remote caller', async () => {
    const remote = await unprotected.app.inject({ url: '/admin/keys', remoteAddress: '203.0.113.7' });
    expect(remote.statusCode).toBe(403);
  });

  it('is over once gateway keys are configured, even from this machine', async () => {
    const keyed = await gatewayWith({ GATEWAY_API_KEYS: 'a-gateway-key-for-this-test-1' });
    const local = await keyed.app.inject({ url: '/admin/keys' });
    expect(local.statusCode).toBe(403);
  });
});
