/** The gateway registered as a plugin under a prefix, inside a host application with its own routes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway, resolveGatewayOptions } from '../../src/index.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';

let upstream: FakeUpstream;
let host: FastifyInstance;
let url: string;
const dataDir = mkdtempSync(join(tmpdir(), 'llm-gateway-embedded-'));

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  host = Fastify();
  host.get('/', async () => ({ host: true }));
  host.post('/echo', async (request) => ({ received: request.body }));
  host.get(
    '/typed',
    { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } },
    async (request) => request.query,
  );
  await host.register(gateway, {
    prefix: '/llm',
    auth: { apiKeys: ['host-app-key-123'] },
    providers: { openai: { baseUrl: `${upstream.origin}/v1`, apiKey: 'sk-embedded' } },
    // An embedding application chooses where the store's file goes.
    store: { dataDir: dataDir },
  });
  url = await host.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await host.close();
  await upstream.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded under /llm', () => {
  it('serves OpenAI clients under the prefix', async () => {
    const client = new OpenAI({ baseURL: `${url}/llm/v1`, apiKey: 'host-app-key-123', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(upstream.last().headers['authorization']).toBe('Bearer sk-embedded');
    const health = await fetch(`${url}/llm/health`);
    expect(health.status).toBe(200);
  });

  it('leaves the host routes, hooks and error handling as they were', async () => {
    const home = await fetch(`${url}/`);
    expect(await home.json()).toEqual({ host: true });
    expect(home.headers.get('x-request-id')).toBeNull();
    expect(home.headers.get('content-security-policy')).toBeNull();

    // No gateway key needed outside the prefix.
    const echo = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await echo.json()).toEqual({ received: { a: 1 } });

    // The host keeps Fastify's own error format and its coercing validator.
    const bad = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('Bad Request');
    const typed = await fetch(`${url}/typed?n=5`);
    expect(await typed.json()).toEqual({ n: 5 });
    const text = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'plain',
    });
    expect(await text.json()).toEqual({ received: 'plain' });

    // Host 404s stay the host's.
    const missing = await fetch(`${url}/not-here`);
    expect(((await missing.json()) as { error: string }).error).toBe('Not Found');
  });

  it('adds no decorators to the host instance', () => {
    expect(host.hasDecorator('gatewayProviders')).toBe(false);
    expect(host.hasDecorator('gatewayRouter')).toBe(false);
    expect(host.hasRequestDecorator('gateway')).toBe(false);
  });

  it('fails at registration naming a bad option', async () => {
    const another = Fastify();
    await expect(another.register(gateway, { requestTimeout: -5 } as never).ready()).rejects.toThrow(
      /requestTimeout/,
    );
    expect(() => resolveGatewayOptions({ unsupportedParameters: 'maybe' } as never)).toThrow(
      /unsupportedParameters/,
    );
    await another.close();
  });
});
