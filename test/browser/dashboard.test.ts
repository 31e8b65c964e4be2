/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a gateway
 * process and a fake provider: sign-in, the playground's streamed chat, keys made, edited, rotated
 * and revoked and a team added, a deployment's circuit opening when its provider fails, protected
 * mode on this machine; every page checked with axe-core
 * and photographed at 1280 and 390 px.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import {
  WIDTHS,
  buildDashboard,
  launchBrowser,
  saveScreenshot,
  seriousAccessibilityViolations,
  startGatewayProcess,
  watchPolicyViolations,
  type GatewayProcess,
} from '../helpers/browser.js';

const CLIENT_KEY = 'gw-dashboard-client-key-0123456789';
const ADMIN_KEY = 'gw-dashboard-admin-key-0123456789';
const PAGES = ['overview', 'keys', 'models', 'requests', 'playground'] as const;

let upstream: FakeUpstream;
let gateway: GatewayProcess;
let protectedGateway: GatewayProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let violations: string[];
let dataDirectory: string;

beforeAll(async () => {
  dataDirectory = mkdtempSync(join(tmpdir(), 'gateway-dashboard-'));
  [upstream] = await Promise.all([startFakeOpenAI(), buildDashboard()]);
  const provider = { OPENAI_API_KEY: 'sk-dashboard-upstream', OPENAI_BASE_URL: `${upstream.origin}/v1` };
  [gateway, protectedGateway, browser] = await Promise.all([
    startGatewayProcess({
      ...provider,
      GATEWAY_API_KEYS: CLIENT_KEY,
      GATEWAY_ADMIN_KEYS: ADMIN_KEY,
      // The admin API's data: a SQLite store of this run's own.
      STORE_ENABLED: 'true',
      DATA_DIR: dataDirectory,
    }),
    // No key at all: protected mode, which lets this machine in.
    startGatewayProcess({ ...provider, GATEWAY_API_KEYS: '' }),
    launchBrowser(),
  ]);
  context = await browser.newContext({ viewport: WIDTHS[0], locale: 'en-US' });
  page = await context.newPage();
  violations = watchPolicyViolations(page);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await Promise.all([gateway?.stop(), protectedGateway?.stop()]);
  await upstream?.close();
  if (dataDirectory) rmSync(dataDirectory, { recursive: true, force: true });
});

async function open(path: string): Promise<void> {
  await page.goto(`${gateway.url}/ui/#/${path}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

function chat(key: string) {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('the dashboard in a browser', () => {
  it('asks for keys, refuses a wrong one and keeps the right ones out of the URL', async () => {
    await page.goto(`${gateway.url}/ui/`);
    await page.getByLabel('Admin key').fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Admin key');
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByLabel('Gateway key (optional)').fill(CLIENT_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    expect(page.url()).not.toContain(ADMIN_KEY);
    const stored = await page.evaluate(() => Object.values(sessionStorage));
    expect(stored).toEqual(expect.arrayContaining([ADMIN_KEY, CLIENT_KEY]));
    expect(await page.evaluate(() => Object.values(localStorage))).toEqual([]);
  });

  it('streams a chat from the playground and shows what the gateway did', async () => {
    await open('playground');
    await page.getByLabel('Model').selectOption('gpt-4o-mini');
    await page.getByLabel('Message', { exact: true }).fill('What is the answer?');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.locator('[data-answer]').textContent()).toMatch(/^The answer/);
    await expect.poll(() => page.locator('[data-fact="provider"]').textContent()).toBe('openai');
    expect(await page.locator('[data-fact="attempts"]').textContent()).toBe('1');
    expect(await page.locator('[data-fact="overhead"]').textContent()).toMatch(/\d.*ms/);
    const sent = upstream.requests.at(-1)!.json as { stream?: boolean; model?: string };
    expect(sent).toMatchObject({ stream: true });
    const curl = await page.getByLabel('curl', { exact: true }).textContent();
    expect(curl).toContain('"model":"gpt-4o-mini"');
    expect(curl).toContain('$GATEWAY_API_KEY');
    expect(curl).not.toContain(CLIENT_KEY);
  });

  it('creates a key that works, shows its spend, and revokes it', async () => {
    await open('keys');
    await page.getByRole('button', { name: 'Create key' }).click();
    const form = page.getByRole('form', { name: 'New key' });
    await form.getByLabel('Name', { exact: true }).fill('browser-key');
    await form.getByLabel('Budget in USD (blank for none)').fill('5');
    await form.getByRole('button', { name: 'Create' }).click();
    const secret = (await page.locator('[data-secret]').textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    expect(await page.getByLabel('Try it with curl').textContent()).toContain(secret);
    await page.getByRole('button', { name: 'Copy key' }).waitFor();
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.locator('[data-secret]').count()).toBe(0);

    // The new key calls a model, and its spend reaches the page from the store.
    expect((await chat(secret)).status).toBe(200);
    const row = page.locator('tr', { hasText: 'browser-key' });
    await expect
      .poll(
        async () => {
          // A new load reads the spend now (going to the page it shows only changes the hash).
          await page.reload();
          await page.getByRole('heading', { level: 1 }).first().waitFor();
          return row.locator('[data-spend]').textContent();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toMatch(/^\$0\.0*[1-9]/);
    expect(await row.locator('[data-spend]').textContent()).toContain('$5.00');

    await row.getByRole('button', { name: 'Revoke browser-key' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(async () => (await chat(secret)).status, { timeout: 20_000, interval: 250 }).toBe(401);
    await expect.poll(() => page.locator('tr', { hasText: 'browser-key' }).count()).toBe(0);
  });

  it('adds a team, edits a key’s team, models, budget and limit, and rotates it with a grace period', async () => {
    await open('keys');
    await page.getByLabel('New team name').fill('browser-team');
    await page.getByRole('button', { name: 'Add team' }).click();
    const teams = page.getByRole('region', { name: 'Teams' });
    await teams.getByRole('rowheader', { name: /browser-team/ }).waitFor();
    const teamId = (await teams
      .getByRole('rowheader', { name: /browser-team/ })
      .locator('.hint')
      .textContent())!;

    const made = await fetch(`${gateway.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'edited-key' }),
    });
    const { id: keyId, key: oldSecret } = (await made.json()) as { id: string; key: string };
    // The page is open already: a new load reads the key made behind its back.
    await page.reload();
    const row = page.locator('tr', { hasText: 'edited-key' });
    await row.getByRole('button', { name: 'Edit edited-key' }).click();
    const form = page.getByRole('form', { name: `Edit key ${keyId}` });
    await form.getByLabel('Team').selectOption(teamId);
    await form.getByLabel(/^Allowed models/).fill('gpt-4o-mini, gpt-4o');
    await form.getByLabel('Budget in USD (blank for none)').fill('2.5');
    await form.getByLabel('Budget period').selectOption('daily');
    await form.getByLabel(/^Chat requests per minute/).fill('30');
    expect(await seriousAccessibilityViolations(page), 'the edit form').toEqual([]);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => form.count()).toBe(0);
    await expect.poll(() => row.textContent()).toContain('30 chat requests/min');
    expect(await row.textContent()).toContain('gpt-4o-mini, gpt-4o');
    expect(await row.textContent()).toContain(teamId);
    expect(await row.locator('[data-spend]').textContent()).toContain('$2.50 daily');
    const stored = (await (
      await fetch(`${gateway.url}/admin/keys/${keyId}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).json()) as Record<string, unknown>;
    expect(stored).toMatchObject({
      team_id: teamId,
      allowed_models: ['gpt-4o-mini', 'gpt-4o'],
      budget: { limit_usd: 2.5, period: 'daily' },
      rate_limits: { chat: 30 },
    });

    await row.getByRole('button', { name: 'Rotate edited-key' }).click();
    const dialog = page.getByRole('alertdialog');
    expect(await seriousAccessibilityViolations(page), 'the rotate dialog').toEqual([]);
    await dialog.getByRole('button', { name: 'Yes, rotate' }).click();
    const newSecret = (await page.locator('[data-secret]').textContent())!;
    expect(newSecret).not.toBe(oldSecret);
    expect(newSecret.length).toBeGreaterThan(20);
    expect(await seriousAccessibilityViolations(page), 'the new secret').toEqual([]);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.locator('[data-secret]').count()).toBe(0);
    // Both secrets work during the grace period (an hour), and the page says until when.
    expect((await chat(newSecret)).status).toBe(200);
    expect((await chat(oldSecret)).status).toBe(200);
    await expect.poll(() => row.textContent()).toContain('Old secret valid until');
  });

  it('shows the traffic the test sent on the overview and in the request log', async () => {
    await open('overview');
    const requests = page.locator('.figure', { hasText: 'Requests' }).locator('.figure-detail');
    await expect
      .poll(async () => Number((await requests.textContent())?.replace(/\D/g, '')), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);
    const byKey = page.getByRole('region', { name: 'By key' });
    expect(await byKey.textContent()).toMatch(/key_|browser/);
    await page.locator('.chart canvas').first().waitFor();

    await open('requests');
    const first = page.getByRole('region', { name: 'Request log' }).getByRole('button').first();
    const requestId = (await first.textContent())!;
    await first.click();
    const detail = page.getByRole('region', { name: `Request ${requestId}` });
    await expect.poll(() => detail.textContent()).toContain('gpt-4o-mini');
    expect(await detail.textContent()).toContain('/v1/chat/completions');
  });

  it('shows a deployment’s circuit opening when its provider fails', async () => {
    await open('models');
    const row = page.locator('tr[data-deployment="openai/gpt-4o-mini"]');
    await expect.poll(() => row.locator('[data-circuit]').getAttribute('data-circuit')).toBe('closed');
    upstream.route('POST', '/v1/chat/completions', () => ({
      status: 503,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: null } }),
    }));
    // Each failing request tries the deployment again; the circuit opens after a few failures.
    await expect
      .poll(
        async () => {
          await chat(CLIENT_KEY);
          return row.locator('[data-circuit]').getAttribute('data-circuit');
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('open');
    expect(await row.textContent()).toContain('Open (skipped)');
  });

  it('passes axe-core on every page at both widths, within its content security policy', async () => {
    for (const width of WIDTHS) {
      await page.setViewportSize(width);
      for (const name of PAGES) {
        await open(name);
        // Every section has its data (the page polls, so the network is never idle for long).
        await expect.poll(() => page.locator('.loading').count()).toBe(0);
        expect(await seriousAccessibilityViolations(page), `${name} at ${width.width} px`).toEqual([]);
        await saveScreenshot(page, `${name}-${width.width}`);
      }
    }
    expect(violations).toEqual([]);
  });
});

describe('protected mode', () => {
  it('lets this machine in without a key', async () => {
    const local = await (await browser.newContext()).newPage();
    try {
      await local.goto(`${protectedGateway.url}/ui/#/models`);
      await local.getByText('Protected mode').waitFor();
      await local.getByRole('heading', { name: 'Models and routing' }).waitFor();
      expect(await local.getByLabel('Admin key').count()).toBe(0);
      expect(await local.getByRole('button', { name: 'Sign in with a key' }).count()).toBe(1);
    } finally {
      await local.context().close();
    }
  });
});
