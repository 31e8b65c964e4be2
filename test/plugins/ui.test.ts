/**
 * The dashboard's files at /ui/ (plugins/ui.ts): served without a key under their own strict
 * content security policy, a clear 404 when they are not built, nothing when UI_ENABLED=false.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_CONTENT_SECURITY_POLICY, uiRoutes } from '../../plugins/ui.js';
import { buildTestApp, type TestApp } from '../helpers/build-app.js';

let folder: string;
let built: FastifyInstance;
let notBuilt: FastifyInstance;
let withoutUi: TestApp;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'gateway-ui-'));
  mkdirSync(join(folder, 'assets'));
  writeFileSync(join(folder, 'index.html'), '<!doctype html><title>dashboard</title>');
  writeFileSync(join(folder, 'assets', 'index-abc123.js'), 'console.log(1)');
  built = Fastify();
  await built.register(uiRoutes, { enabled: true, root: folder });
  notBuilt = Fastify();
  await notBuilt.register(uiRoutes, { enabled: true, root: join(folder, 'missing') });
  withoutUi = await buildTestApp({ env: { UI_ENABLED: 'false' } });
});
afterAll(async () => {
  await built.close();
  await notBuilt.close();
  await withoutUi.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('the dashboard at /ui/', () => {
  it('serves its page with a policy that allows this origin only', async () => {
    const response = await built.inject({ url: '/ui/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('<title>dashboard</title>');
    expect(response.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(UI_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(UI_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('lets the browser keep content-named assets', async () => {
    const response = await built.inject({ url: '/ui/assets/index-abc123.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toContain('immutable');
  });

  it('sends /ui to /ui/ so relative asset paths resolve', async () => {
    const response = await built.inject({ url: '/ui' });
    expect(response.statusCode).toBe(301);
    expect(response.headers['location']).toBe('ui/');
  });

  it('says how to build it when it is not built', async () => {
    const response = await notBuilt.inject({ url: '/ui/' });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('npm run build');
  });

  it('is not served when UI_ENABLED=false', async () => {
    const response = await withoutUi.app.inject({ url: '/ui/' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('unknown_url');
  });
});
