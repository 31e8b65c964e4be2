/** The standalone server as a process: start-up checks, protected mode, graceful shutdown. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { CHAT_STREAM, startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';

const TSX = join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsx');
const SERVER = join(PACKAGE_ROOT, 'src', 'server.ts');

interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function run(env: Record<string, string>): Running {
  const child = spawn(TSX, [SERVER], {
    cwd: PACKAGE_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) =>
    stdout.push(...chunk.toString('utf8').split('\n').filter(Boolean)),
  );
  child.stderr!.on('data', (chunk: Buffer) =>
    stderr.push(...chunk.toString('utf8').split('\n').filter(Boolean)),
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exited };
}

async function listeningUrl(running: Running): Promise<string> {
  let url: string | undefined;
  await expect
    .poll(
      () => {
        const line = running.stdout.find((text) => text.includes('Server listening at'));
        url = line ? /http:\/\/127\.0\.0\.1:\d+/.exec(line)?.[0] : undefined;
        return url;
      },
      { timeout: 15_000, interval: 50 },
    )
    .toBeTruthy();
  return url!;
}

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeOpenAI();
});
afterAll(() => upstream.close());

describe('standalone server', () => {
  it('refuses to start on a bad variable with one line naming it', async () => {
    const running = run({ GATEWAY_PORT: 'eighty' });
    expect(await running.exited).toBe(1);
    expect(running.stderr).toHaveLength(1);
    expect(running.stderr[0]).toContain('GATEWAY_PORT');
    expect(running.stderr[0]).toContain('eighty');
  });

  it('says on stderr how many log lines stdout did not take, and goes on serving', async () => {
    const running = run({ GATEWAY_API_KEYS: '' });
    const url = await listeningUrl(running);
    // Nobody reads stdout any more: the gateway's writes to it fail (EPIPE).
    running.child.stdout!.destroy();
    await expect
      .poll(
        async () => {
          expect((await fetch(`${url}/health`)).status).toBe(200);
          return running.stderr.join('\n');
        },
        { timeout: 15_000, interval: 200 },
      )
      .toMatch(/\d+ log lines dropped: stdout did not take them/);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });

  it('says loudly that it runs in protected mode without keys', async () => {
    const running = run({ GATEWAY_API_KEYS: '' });
    await listeningUrl(running);
    expect(running.stdout.join('\n')).toContain('PROTECTED MODE');
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });

  it('finishes an in-flight stream on SIGTERM, refuses new work meanwhile, then exits 0', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    upstream.enqueue('POST', '/v1/chat/completions', {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: CHAT_STREAM,
      holdAt: 400,
      release: released,
    });
    const running = run({
      GATEWAY_API_KEYS: 'process-key-123',
      OPENAI_API_KEY: 'sk-process',
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
    });
    const url = await listeningUrl(running);

    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer process-key-123', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('data: ');

    running.child.kill('SIGTERM');
    await expect.poll(() => running.stdout.join('\n'), { timeout: 15_000 }).toContain('shutting down');
    // New work is refused while the stream drains: the connection is refused once the listener is
    // closed, or, in the instant before, answered 503 shutting_down.
    const late = await fetch(`${url}/health`).then(
      async (response) =>
        `${response.status} ${((await response.json()) as { error?: { code?: string } }).error?.code}`,
      () => 'refused',
    );
    expect(['refused', '503 shutting_down']).toContain(late);

    release();
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      text += new TextDecoder().decode(next.value);
    }
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(await running.exited).toBe(0);
  });
});
