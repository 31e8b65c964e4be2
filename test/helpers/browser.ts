/**
 * The browser tests' parts: the dashboard built by Vite, a gateway process started from the
 * sources, Debian's Chromium driven by playwright-core (never a downloaded browser), axe-core's
 * accessibility checks and screenshots at the two widths the dashboard is made for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { PACKAGE_ROOT } from '../../src/package-root.js';

/** Debian's package; .ci/run installs it when missing. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Where a run leaves its screenshots (docs/ui/ holds the current ones, copied from here). */
export const SCREENSHOTS = join(PACKAGE_ROOT, 'test-results', 'ui');

export const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'mobile', width: 390, height: 844 },
] as const;

/** Builds the dashboard into dist/ui, where the gateway serves it from. */
export async function buildDashboard(): Promise<void> {
  await build({ configFile: join(PACKAGE_ROOT, 'ui', 'vite.config.ts'), logLevel: 'warn' });
}

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** The standalone server (src/server.ts) in a process of its own, on a free port. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(
    join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsx'),
    [join(PACKAGE_ROOT, 'src', 'server.ts')],
    {
      cwd: PACKAGE_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        // The browser's keep-alive connections would hold a graceful close for the default 25 s.
        SHUTDOWN_TIMEOUT: '500',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      const found = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (found) resolve(found[1]!);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`the gateway exited (${code}): ${output.join('')}`)));
  });
  return {
    url,
    child,
    output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  // As root (CI) Chromium needs its sandbox off; the pages are our own.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** The page's content security policy violations, gathered as they happen. */
export function watchPolicyViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) violations.push(message.text());
  });
  return violations;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is. The engine is evaluated over
 * the DevTools protocol, which the page's policy does not govern, so the policy stays in force.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  // Strings, evaluated in the page: this file is compiled without the DOM's types.
  const loaded = await page.evaluate<boolean>("typeof window.axe === 'object'");
  if (!loaded) await page.evaluate(axe.source);
  const violations = await page.evaluate<AxeViolation[]>(
    'window.axe.run(document).then((result) => result.violations)',
  );
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`,
    );
}

export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
