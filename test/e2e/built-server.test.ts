/**
 * The container's start command, run without a container: the TypeScript compiled as the
 * Dockerfile's build stage compiles it, into a folder laid out like the image's /app (dist, config,
 * package.json and the production dependencies only), started with the Dockerfile's CMD and
 * environment, probed on its health paths and with the Dockerfile's own HEALTHCHECK command, then
 * stopped with its STOPSIGNAL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { findInstructions, readDockerStages, readExecForm } from '../deploy/read-deployment-files.js';
import { NODE, compileApp, runToEnd } from '../helpers/compile-app.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

/** The project's Node 24, standing in for the image's `node`. */

const runtime = readDockerStages().at(-1)!;
const [command, ...commandArguments] = readExecForm(findInstructions(runtime, 'CMD').at(-1)!);
const healthcheck = readExecForm(findInstructions(runtime, 'HEALTHCHECK').at(-1)!);
const stopSignal = findInstructions(runtime, 'STOPSIGNAL').at(-1)!.getArgumentsContent() as NodeJS.Signals;
const imageEnvironment = Object.fromEntries(
  findInstructions(runtime, 'ENV').map((instruction) =>
    (instruction.getArgumentsContent() ?? '').split('=', 2),
  ),
) as Record<string, string>;

function exitCodeOf(child: ChildProcess): Promise<number | null> {
  return once(child, 'exit').then(([code]) => code as number | null);
}

/** Top-level packages of the production dependency tree, from the lockfile (what `npm ci --omit=dev` installs). */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path]) => path.startsWith('node_modules/') && !path.slice(13).includes('node_modules/'))
    .filter(([, entry]) => entry.dev !== true)
    .map(([path]) => path.slice('node_modules/'.length));
}

let appFolder: string;

beforeAll(async () => {
  appFolder = mkdtempSync(join(tmpdir(), 'llm-gateway-app-'));
  const { compiled, copied } = await compileApp(appFolder);
  expect(compiled.output).toBe('');
  expect(compiled.code).toBe(0);
  expect(copied.code).toBe(0);
  for (const name of productionPackages()) {
    const link = join(appFolder, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(PACKAGE_ROOT, 'node_modules', name), link, 'dir');
  }
}, 180_000);

afterAll(() => {
  if (appFolder) rmSync(appFolder, { recursive: true, force: true });
});

interface RunningServer {
  child: ChildProcess;
  origin: string;
  port: string;
  lines: string[];
  exited: Promise<number | null>;
}

/** Starts the image's CMD in the app folder and resolves once it says where it listens. */
async function startServer(environment: Record<string, string> = {}): Promise<RunningServer> {
  expect(command).toBe('node');
  const child = spawn(NODE, commandArguments, {
    cwd: appFolder,
    env: {
      PATH: process.env['PATH'] ?? '',
      ...imageEnvironment,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      // The image's DATA_DIR (/data) is a volume in a container; here, the app folder's own.
      DATA_DIR: join(appFolder, 'data'),
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = exitCodeOf(child);
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const origin = await new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) {
        lines.push(line);
        const found = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (found) resolve(found[1]!);
      }
    });
    void exited.then((code) =>
      reject(new Error(`the server exited with ${code} before listening: ${stderr}`)),
    );
  });
  return { child, origin, port: new URL(origin).port, lines, exited };
}

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeOpenAI();
});
afterAll(() => upstream.close());

describe('the image start command, run directly', () => {
  it('uses the production settings of the image', () => {
    expect(imageEnvironment['NODE_ENV']).toBe('production');
    expect(stopSignal).toBe('SIGTERM');
  });

  it('refuses to start without a key, saying how to set one', async () => {
    const refused = await runToEnd(NODE, commandArguments, {
      cwd: appFolder,
      env: { ...imageEnvironment, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0' },
    });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('GATEWAY_API_KEYS');
    expect(refused.output).toContain('ALLOW_UNAUTHENTICATED=true');
  });

  it('answers the health paths, passes the HEALTHCHECK, and exits 0 on SIGTERM', async () => {
    const server = await startServer({ GATEWAY_API_KEYS: 'image-test-key-1' });

    const health = await fetch(`${server.origin}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const live = await fetch(`${server.origin}/v1/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    // No provider key: not ready, so Kubernetes sends it no traffic.
    const ready = await fetch(`${server.origin}/v1/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready' });

    const [checker, ...checkArguments] = healthcheck;
    expect(checker).toBe('node');
    const check = await runToEnd(NODE, checkArguments, {
      cwd: appFolder,
      env: { GATEWAY_PORT: server.port },
    });
    expect(check).toEqual({ code: 0, output: '' });

    server.child.kill(stopSignal);
    expect(await server.exited).toBe(0);
    // The production logger writes one JSON object per line.
    expect(server.lines.length).toBeGreaterThan(0);
    for (const line of server.lines.filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();

    // And the HEALTHCHECK fails once nothing answers.
    const stopped = await runToEnd(NODE, checkArguments, {
      cwd: appFolder,
      env: { GATEWAY_PORT: server.port },
    });
    expect(stopped.code).toBe(1);
  });

  it('is ready with a provider key and serves a model call with production dependencies only', async () => {
    const server = await startServer({
      GATEWAY_API_KEYS: 'image-test-key-1',
      OPENAI_API_KEY: 'sk-image-test',
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
    });
    const ready = await fetch(`${server.origin}/v1/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });

    const completion = await fetch(`${server.origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer image-test-key-1', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(completion.status).toBe(200);
    assertOpenAISchema('CreateChatCompletionResponse', await completion.json());

    server.child.kill(stopSignal);
    expect(await server.exited).toBe(0);
  });
});
