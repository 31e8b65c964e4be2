/**
 * Two gateways on one PostgreSQL (a server of the test's own, started in a temporary folder, so it
 * can be stopped): a key made on one works on the other, and a key revoked on one is refused by
 * the other; with the database stopped mid-load no request fails, and the spend rows buffered
 * meanwhile arrive once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../../helpers/fake-openai.js';
import type { FakeUpstream } from '../../../helpers/fake-upstream.js';
import { OPENAI_KEY, buildTestApp, type TestApp } from '../../../helpers/build-app.js';
import { PrivatePostgresServer } from '../../../helpers/private-postgres.js';

const ADMIN_KEY = 'admin-key-for-replicas-01';
const CALLS_DURING_OUTAGE = 20;

let upstream: FakeUpstream;
let server: PrivatePostgresServer;
let first: TestApp;
let second: TestApp;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function startGateway(): Promise<TestApp> {
  const gateway = await buildTestApp({
    env: {
      STORE_ENABLED: 'true',
      DATABASE_URL: server.url,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_ADMIN_KEYS: ADMIN_KEY,
    },
  });
  await gateway.listen();
  return gateway;
}

async function call(gateway: TestApp, method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

const chat = (gateway: TestApp, key: string) =>
  call(gateway, 'POST', '/v1/chat/completions', key, {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'Hi' }],
  });

async function requestsOf(gateway: TestApp, keyId: string): Promise<number | undefined> {
  const answer = await call(gateway, 'GET', `/admin/spend/summary?key_id=${keyId}`, ADMIN_KEY);
  return answer.status === 200 ? (answer.json['totals']['requests'] as number) : undefined;
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  server = await PrivatePostgresServer.start();
  first = await startGateway();
  second = await startGateway();
}, 90_000);

afterAll(async () => {
  await first?.close();
  await second?.close();
  await server?.remove();
  await upstream?.close();
});

describe('two gateways on one PostgreSQL', () => {
  it('refuses on one a key revoked on the other', async () => {
    const created = await call(first, 'POST', '/admin/keys', ADMIN_KEY, { name: 'shared' });
    expect(created.status).toBe(201);
    const secret = created.json['key'] as string;
    expect((await chat(second, secret)).status).toBe(200);
    expect((await call(first, 'POST', `/admin/keys/${created.json['id']}/revoke`, ADMIN_KEY)).status).toBe(
      200,
    );
    await expect
      .poll(async () => (await chat(second, secret)).status, { timeout: 15_000, interval: 100 })
      .toBe(401);
  });

  it('serves every request while the database is down, and writes the buffered rows once it is back', async () => {
    const created = await call(first, 'POST', '/admin/keys', ADMIN_KEY, { name: 'through the outage' });
    const secret = created.json['key'] as string;
    const keyId = created.json['id'] as string;
    expect((await chat(first, secret)).status).toBe(200);
    await expect.poll(() => requestsOf(first, keyId), { timeout: 15_000 }).toBe(1);

    await server.stop();
    const statuses: number[] = [];
    for (let index = 0; index < CALLS_DURING_OUTAGE; index++)
      statuses.push((await chat(first, secret)).status);
    expect(statuses).toEqual(Array(CALLS_DURING_OUTAGE).fill(200));
    // Meanwhile the admin API says the store is away, in the envelope.
    const away = await call(first, 'GET', `/admin/keys/${keyId}`, ADMIN_KEY);
    expect(away.status).toBe(503);
    expect(away.json['error'].code).toBe('store_unavailable');

    await server.restart();
    await expect
      .poll(() => requestsOf(first, keyId), { timeout: 30_000, interval: 250 })
      .toBe(CALLS_DURING_OUTAGE + 1);
    const rows = await call(first, 'GET', `/admin/spend/requests?key_id=${keyId}&limit=1000`, ADMIN_KEY);
    expect(rows.json['data']).toHaveLength(CALLS_DURING_OUTAGE + 1);
  });
});
