/**
 * What the compiled gateway leaves unloaded until a request needs it: started as its own process,
 * with a module hook that writes down every file it loads, it has loaded neither the MP3 encoder,
 * the audio duration parser nor the Redis client after start and a /health; the first MP3 speech
 * loads the encoder, the first verbose transcription the parser, and a Redis URL the client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { NODE, compileApp } from '../helpers/compile-app.js';
import { GEMINI_KEY, startFakeGemini } from '../helpers/fake-gemini.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { audioBytes } from '../helpers/multipart.js';
import { SHARED_REDIS_URL, deleteRedisKeys, uniqueRedisPrefix } from '../helpers/redis-server.js';

const KEY = 'lazy-modules-test-key-1';

const LAZY = {
  mp3Encoder: '/node_modules/@breezystack/lamejs/',
  durationParser: '/node_modules/music-metadata/',
  redisClient: '/node_modules/ioredis/',
  redisPlugin: '/node_modules/@fastify/redis/',
};

// Registered before the gateway's first import: every file loaded, ES module or CommonJS, one a line.
const RECORD_MODULES = `
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
const log = process.env.MODULE_LOG;
registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (url.startsWith('file:')) appendFileSync(log, url + '\\n');
    return result;
  },
});
`;

let appFolder: string;
let upstream: FakeUpstream;

beforeAll(async () => {
  appFolder = mkdtempSync(join(tmpdir(), 'llm-gateway-lazy-'));
  const { compiled, copied } = await compileApp(appFolder);
  expect(compiled).toEqual({ code: 0, output: '' });
  expect(copied.code).toBe(0);
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(appFolder, 'node_modules'), 'dir');
  writeFileSync(join(appFolder, 'record-modules.mjs'), RECORD_MODULES);
  upstream = await startFakeGemini();
}, 180_000);

afterAll(async () => {
  await upstream?.close();
  if (appFolder) rmSync(appFolder, { recursive: true, force: true });
});

interface Gateway {
  origin: string;
  loaded(part: string): boolean;
  stop(): Promise<void>;
}

async function startGateway(name: string, environment: Record<string, string> = {}): Promise<Gateway> {
  const moduleLog = join(appFolder, `${name}-modules.txt`);
  writeFileSync(moduleLog, '');
  const child: ChildProcess = spawn(
    NODE,
    ['--import', join(appFolder, 'record-modules.mjs'), join(appFolder, 'dist', 'src', 'server.js')],
    {
      cwd: appFolder,
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        GATEWAY_API_KEYS: KEY,
        GEMINI_API_KEY: GEMINI_KEY,
        GEMINI_BASE_URL: upstream.origin,
        DATA_DIR: join(appFolder, `${name}-data`),
        MODULE_LOG: moduleLog,
        ...environment,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const origin = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const found = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found) resolve(found[1]!);
    });
    void exited.then(([code]) => reject(new Error(`the gateway exited with ${code} at start: ${stderr}`)));
  });
  return {
    origin,
    loaded: (part) => readFileSync(moduleLog, 'utf8').includes(part),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('modules loaded on first use', () => {
  it('loads the MP3 encoder and the duration parser with the first request that needs them', async () => {
    const gateway = await startGateway('memory');
    try {
      const health = await fetch(`${gateway.origin}/health`);
      expect(health.status).toBe(200);
      // The recording works: the gateway's own files are in it.
      expect(gateway.loaded('/dist/src/server.js')).toBe(true);
      for (const part of Object.values(LAZY)) expect(gateway.loaded(part), part).toBe(false);

      const speech = await fetch(`${gateway.origin}/v1/audio/speech`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gemini-2.5-flash-preview-tts',
          voice: 'alloy',
          input: 'The quick brown fox.',
          response_format: 'mp3',
        }),
      });
      expect(speech.status).toBe(200);
      expect(speech.headers.get('content-type')).toBe('audio/mpeg');
      expect((await speech.arrayBuffer()).byteLength).toBeGreaterThan(0);
      expect(gateway.loaded(LAZY.mp3Encoder)).toBe(true);
      expect(gateway.loaded(LAZY.durationParser)).toBe(false);

      const form = new FormData();
      form.append('model', 'gemini-2.5-flash');
      form.append('response_format', 'verbose_json');
      form.append('file', new Blob([audioBytes(20_000, 11)], { type: 'audio/mpeg' }), 'meeting.mp3');
      const transcription = await fetch(`${gateway.origin}/v1/audio/transcriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
        body: form,
      });
      expect(transcription.status).toBe(200);
      expect(await transcription.json()).toMatchObject({ task: 'transcribe' });
      expect(gateway.loaded(LAZY.durationParser)).toBe(true);
      expect(gateway.loaded(LAZY.redisClient)).toBe(false);
    } finally {
      await gateway.stop();
    }
  }, 60_000);

  it('loads the Redis client when a Redis URL is set', async () => {
    const prefix = uniqueRedisPrefix('lazy-modules');
    const gateway = await startGateway('redis', { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix });
    try {
      expect((await fetch(`${gateway.origin}/health`)).status).toBe(200);
      expect(gateway.loaded(LAZY.redisClient)).toBe(true);
      expect(gateway.loaded(LAZY.redisPlugin)).toBe(true);
    } finally {
      await gateway.stop();
      await deleteRedisKeys(prefix);
    }
  }, 60_000);
});
