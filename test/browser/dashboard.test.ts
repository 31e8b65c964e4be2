/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a gateway
 * process and a fake provider: sign-in, the playground's streamed chat, a deployment's circuit
 * opening when its provider fails, protected mode on this machine; every page checked with axe-core
 * and photographed at 1280 and 390 px.
 */
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

beforeAll(async () => {
  [upstream] = await Promise.all([startFakeOpenAI(), buildDashboard()]);
  const provider = { OPENAI_API_KEY: 'sk-dashboard-upstream', OPENAI_BASE_URL: `${upstream.origin}/v1` };
  [gateway, protectedGateway, browser] = await Promise.all([
    startGatewayProcess({ ...provider, GATEWAY_API_KEYS: CLIENT_KEY, GATEWAY_ADMIN_KEYS: ADMIN_KEY }),
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
});

async function open(path: string): Promise<void> {
  await page.goto(`${gateway.url}/ui/#/${path}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

describe('the dashboard in a browser', () => {
  it('asks for a key, refuses a wrong one and keeps the right one out of the URL', async () => {
    await page.goto(`${gateway.url}/ui/`);
    const key = page.getByLabel('Admin key');
    await key.fill('not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await key.fill(CLIENT_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    expect(page.url()).not.toContain(CLIENT_KEY);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(CLIENT_KEY);
    expect(await page.evaluate(() => Object.values(localStorage))).not.toContain(CLIENT_KEY);
    expect(gateway.output.join('')).not.toContain(CLIENT_KEY);
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
          await fetch(`${gateway.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
          });
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
        await page.waitForLoadState('networkidle');
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
    } finally {
      await local.context().close();
    }
  });
});
