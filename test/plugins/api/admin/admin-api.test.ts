/**
 * The admin API over real HTTP, on both stores (a SQLite file in a temporary folder; the shared
 * PostgreSQL in a schema of this file's own): keys and teams made at run time, a model called with
 * such a key (fake OpenAI upstream), its spend row and rollup, CSV exports, budgets, rotation and
 * revocation, and everything still there after the gateway restarts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../../helpers/fake-openai.js';
import type { FakeUpstream } from '../../../helpers/fake-upstream.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../../../helpers/build-app.js';
import {
  SHARED_POSTGRES_URL,
  dropPostgresSchema,
  uniquePostgresSchema,
} from '../../../helpers/shared-postgres.js';
import { identityIdOf, hashKey } from '../../../../src/identity.js';

const ADMIN_KEY = 'admin-key-for-admin-api-01';
// One gpt-4o call of the fixture: 19 prompt + 11 completion tokens at $2.50 / $10 per 1M.
const UNARY_COST = (19 * 2.5 + 11 * 10) / 1e6;

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeOpenAI();
});
afterAll(() => upstream.close());

interface Backend {
  name: string;
  env(): Record<string, string>;
  cleanUp(): Promise<void>;
}

function sqliteBackend(): Backend {
  const folder = mkdtempSync(join(tmpdir(), 'llm-gateway-admin-'));
  return {
    name: 'sqlite',
    env: () => ({ DATA_DIR: folder }),
    cleanUp: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

function postgresBackend(): Backend {
  const schema = uniquePostgresSchema('admin_api');
  return {
    name: 'postgres',
    env: () => ({ DATABASE_URL: SHARED_POSTGRES_URL, DATABASE_SCHEMA: schema }),
    cleanUp: () => dropPostgresSchema(schema),
  };
}

async function startGateway(backend: Backend): Promise<TestApp> {
  const gateway = await buildTestApp({
    env: {
      STORE_ENABLED: 'true',
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_ADMIN_KEYS: ADMIN_KEY,
      ...backend.env(),
    },
  });
  await gateway.listen();
  return gateway;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each([sqliteBackend, postgresBackend])('the admin API (%o)', (makeBackend) => {
  const backend = makeBackend();
  let gateway: TestApp;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    key = ADMIN_KEY,
  ): Promise<{ status: number; json: Json; text: string; headers: Headers }> {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      // CSV answers are read as text.
    }
    return { status: response.status, json, text, headers: response.headers };
  }

  const chat = (key: string, model = 'gpt-4o') =>
    call('POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Hi' }] }, key);

  beforeAll(async () => {
    gateway = await startGateway(backend);
  });
  afterAll(async () => {
    await gateway?.close();
    await backend.cleanUp();
  });

  it('answers only an admin key, in the OpenAI envelope', async () => {
    const none = await fetch(`${gateway.url}/admin/keys`);
    expect(none.status).toBe(403);
    expect(((await none.json()) as Json)['error'].code).toBe('admin_key_required');
    const client = await call('GET', '/admin/keys', undefined, TEST_KEY);
    expect(client.status).toBe(403);
    expect(client.headers.get('x-gateway-error-code')).toBe('GW_ERR_AUTH_ADMIN_REQUIRED');
  });

  it('makes a key that calls a model, and shows its spend row, rollup and CSV exports', async () => {
    const team = await call('POST', '/admin/teams', { name: `Research ${backend.name}` });
    expect(team.status).toBe(201);
    expect(team.json).toMatchObject({ object: 'admin.team', source: 'store', budget: null });

    const created = await call('POST', '/admin/keys', {
      name: 'notebook',
      team_id: team.json['id'],
      metadata: { owner: 'ana' },
    });
    expect(created.status).toBe(201);
    const secret = created.json['key'] as string;
    expect(secret).toMatch(/^gwk_[A-Za-z0-9_-]{43}$/);
    expect(created.json).toMatchObject({
      object: 'admin.key',
      source: 'store',
      status: 'active',
      name: 'notebook',
      team_id: team.json['id'],
      prefix: secret.slice(0, 8),
      metadata: { owner: 'ana' },
    });
    const keyId = created.json['id'] as string;

    // The secret is answered once: reading or listing the key never shows it.
    const read = await call('GET', `/admin/keys/${keyId}`);
    expect(read.status).toBe(200);
    expect(read.text).not.toContain(secret);
    expect(read.json['key']).toBeUndefined();
    const list = await call('GET', '/admin/keys');
    expect(list.text).not.toContain(secret);
    const ids = (list.json['data'] as Json[]).map((key) => [key['id'], key['source']]);
    expect(ids).toContainEqual([keyId, 'store']);
    expect(ids).toContainEqual([identityIdOf(hashKey(TEST_KEY)), 'config']);

    const answer = await chat(secret);
    expect(answer.status).toBe(200);
    const requestId = answer.headers.get('x-request-id');

    await expect
      .poll(async () => (await call('GET', `/admin/spend/requests?key_id=${keyId}`)).json['data']?.length)
      .toBe(1);
    const rows = await call('GET', `/admin/spend/requests?key_id=${keyId}`);
    expect(rows.json['data'][0]).toMatchObject({
      request_id: requestId,
      key_id: keyId,
      team_id: team.json['id'],
      route: '/v1/chat/completions',
      requested_model: 'gpt-4o',
      model: 'gpt-4o',
      provider: 'openai',
      prompt_tokens: 19,
      completion_tokens: 11,
      status: 200,
      outcome: 'completed',
      estimated: false,
    });
    expect(rows.json['data'][0]['cost_usd']).toBeCloseTo(UNARY_COST, 12);
    const byRequest = await call('GET', `/admin/spend/requests?request_id=${requestId}`);
    expect(byRequest.json['data'].map((row: Json) => row['key_id'])).toEqual([keyId]);

    const summary = await call('GET', `/admin/spend/summary?group_by=day,model&team_id=${team.json['id']}`);
    expect(summary.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(summary.json).toMatchObject({
      object: 'admin.spend.summary',
      to: today,
      group_by: ['day', 'model'],
      totals: { requests: 1, prompt_tokens: 19, completion_tokens: 11 },
      data: [{ day: today, model: 'gpt-4o', requests: 1 }],
    });
    expect(summary.json['totals']['cost_usd']).toBeCloseTo(UNARY_COST, 12);
    expect(summary.json).toMatchObject({ grain: 'day', totals: { errors: 0, cache_hits: 0 } });
    for (const figure of ['latency_p50_ms', 'latency_p95_ms', 'overhead_p50_ms', 'overhead_p95_ms']) {
      expect(summary.json['totals'][figure]).toBeGreaterThan(0);
    }
    expect(summary.json['totals']['latency_p50_ms']).toBeLessThanOrEqual(
      Math.SQRT2 * (rows.json['data'][0]['latency_ms'] as number),
    );

    // The same call in the hourly rollups: the last 24 hours by default, the hour of the call.
    const hourOfCall = `${(rows.json['data'][0]['at'] as string).slice(0, 13)}:00:00.000Z`;
    const hourly = await call('GET', `/admin/spend/summary?grain=hour&group_by=hour,model&key_id=${keyId}`);
    expect(hourly.status).toBe(200);
    expect(hourly.json).toMatchObject({
      grain: 'hour',
      group_by: ['hour', 'model'],
      totals: { requests: 1, errors: 0, cache_hits: 0 },
      data: [{ hour: hourOfCall, model: 'gpt-4o', requests: 1, errors: 0 }],
    });
    expect(Date.parse(hourly.json['to']) - Date.parse(hourly.json['from'])).toBe(23 * 3_600_000);
    expect(hourly.json['totals']['latency_p95_ms']).toBe(summary.json['totals']['latency_p95_ms']);
    const oneHour = await call(
      'GET',
      `/admin/spend/summary?grain=hour&from=${hourOfCall}&to=${encodeURIComponent(hourOfCall.replace(':00:00.000Z', ':59:59+00:00'))}&key_id=${keyId}`,
    );
    expect(oneHour.json).toMatchObject({ from: hourOfCall, to: hourOfCall, totals: { requests: 1 } });
    const hourlyCsv = await call('GET', `/admin/spend/summary.csv?grain=hour&group_by=hour&key_id=${keyId}`);
    expect(hourlyCsv.text.split('\r\n')[1]).toMatch(
      new RegExp(`^${hourOfCall},1,19,11,0,0,0,[^,]+,0,0,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+$`),
    );
    expect(hourlyCsv.headers.get('content-disposition')).toMatch(/filename="spend-\d{4}-\d{2}-\d{2}T\d{2}-/);
    const withoutPercentiles = await call(
      'GET',
      `/admin/spend/summary?group_by=model&percentiles=false&key_id=${keyId}`,
    );
    expect(withoutPercentiles.json['data']).toMatchObject([
      { model: 'gpt-4o', requests: 1, errors: 0, latency_p50_ms: null, overhead_p95_ms: null },
    ]);
    const byKey = await call('GET', `/admin/spend/summary?group_by=key&key_id=${keyId}`);
    expect(byKey.json['data']).toMatchObject([{ key_id: keyId, requests: 1 }]);

    const summaryCsv = await call('GET', `/admin/spend/summary.csv?group_by=model&key_id=${keyId}`);
    expect(summaryCsv.headers.get('content-type')).toContain('text/csv');
    expect(summaryCsv.text.split('\r\n')[0]).toBe(
      'model,requests,prompt_tokens,completion_tokens,reasoning_tokens,cached_tokens,cache_write_tokens,cost_usd,' +
        'errors,cache_hits,latency_p50_ms,latency_p95_ms,overhead_p50_ms,overhead_p95_ms',
    );
    expect(summaryCsv.text.split('\r\n')[1]).toMatch(/^gpt-4o,1,19,11,0,0,0,/);
    const requestsCsv = await call('GET', `/admin/spend/requests.csv?key_id=${keyId}`);
    const lines = requestsCsv.text.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^time,request_id,key_id,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,${requestId},${keyId},`);
  });

  it('applies the team allow-list, rotates with and without grace, and revokes', async () => {
    const team = await call('POST', '/admin/teams', {
      name: `Mini only ${backend.name}`,
      allowed_models: ['gpt-4o-mini'],
    });
    const created = await call('POST', '/admin/keys', { name: 'limited', team_id: team.json['id'] });
    const keyId = created.json['id'] as string;
    const first = created.json['key'] as string;
    const refused = await chat(first, 'gpt-4o');
    expect(refused.status).toBe(403);
    expect(refused.json['error'].code).toBe('model_not_allowed');
    expect((await chat(first, 'gpt-4o-mini')).status).toBe(200);

    // A team with a live key is not deleted.
    const kept = await call('DELETE', `/admin/teams/${team.json['id']}`);
    expect(kept.status).toBe(409);
    expect(kept.headers.get('x-gateway-error-code')).toBe('GW_ERR_ADMIN_CONFLICT');

    const rotated = await call('POST', `/admin/keys/${keyId}/rotate`, { grace_period_seconds: 600 });
    expect(rotated.status).toBe(200);
    const second = rotated.json['key'] as string;
    expect(second).not.toBe(first);
    expect(rotated.json['previous_key_valid_until']).not.toBeNull();
    expect((await chat(first, 'gpt-4o-mini')).status).toBe(200);
    expect((await chat(second, 'gpt-4o-mini')).status).toBe(200);

    const again = await call('POST', `/admin/keys/${keyId}/rotate`, { grace_period_seconds: 0 });
    const third = again.json['key'] as string;
    expect((await chat(second, 'gpt-4o-mini')).status).toBe(401);
    expect((await chat(third, 'gpt-4o-mini')).status).toBe(200);

    const revoked = await call('POST', `/admin/keys/${keyId}/revoke`);
    expect(revoked.json).toMatchObject({ status: 'revoked' });
    expect((await chat(third, 'gpt-4o-mini')).status).toBe(401);
    expect((await call('GET', '/admin/keys')).json['data'].map((key: Json) => key['id'])).not.toContain(
      keyId,
    );
    expect(
      (await call('GET', '/admin/keys?include_revoked=true')).json['data'].map((key: Json) => key['id']),
    ).toContain(keyId);

    // With its only key revoked, the team can go.
    const deleted = await call('DELETE', `/admin/teams/${team.json['id']}`);
    expect(deleted.json).toEqual({ id: team.json['id'], object: 'admin.team', deleted: true });
    expect((await call('GET', `/admin/teams/${team.json['id']}`)).status).toBe(404);
  });

  it("refuses a store key's calls once its budget is spent, from the store's figures", async () => {
    const created = await call('POST', '/admin/keys', {
      name: 'tight',
      budget: { limit_usd: UNARY_COST * 1.5, period: 'daily' },
    });
    const secret = created.json['key'] as string;
    expect((await chat(secret)).status).toBe(200);
    // The second call may still pass while the first one's row is on its way; then it stops.
    await expect.poll(async () => (await chat(secret)).status, { timeout: 15_000, interval: 300 }).toBe(429);
    const refused = await chat(secret);
    expect(refused.json['error'].code).toBe('budget_exceeded');
  });

  it('answers bad requests with clear errors', async () => {
    const unknownField = await call('POST', '/admin/keys', { name: 'x', colour: 'blue' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.json['error'].message).toContain('colour');
    const badTeam = await call('POST', '/admin/keys', { name: 'x', team_id: 'team_nope' });
    expect(badTeam.status).toBe(400);
    expect(badTeam.json['error'].param).toBe('team_id');
    const missing = await call('GET', '/admin/keys/key_nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-gateway-error-code')).toBe('GW_ERR_ADMIN_NOT_FOUND');
    const configured = await call('PATCH', `/admin/keys/${identityIdOf(hashKey(TEST_KEY))}`, { name: 'x' });
    expect(configured.status).toBe(409);
    expect(configured.json['error'].code).toBe('read_only');
    const emptyChange = await call('PATCH', '/admin/teams/team_nope', {});
    expect(emptyChange.status).toBe(400);
    const badRange = await call('GET', '/admin/spend/summary?from=2026-02-01&to=2026-01-01');
    expect(badRange.status).toBe(400);
    expect(badRange.json['error'].param).toBe('from');
    const badDay = await call('GET', '/admin/spend/summary?from=2026-02-30');
    expect(badDay.status).toBe(400);
    const badGroup = await call('GET', '/admin/spend/summary?group_by=colour');
    expect(badGroup.status).toBe(400);
    for (const [query, param] of [
      ['grain=hour&group_by=day', 'group_by'],
      ['group_by=hour', 'group_by'],
      ['grain=minute', 'grain'],
      ['grain=hour&from=2026-01-01&to=2026-03-01', 'from'],
      ['grain=hour&from=2026-01-02T10:00:00Z&to=2026-01-02T09:00:00Z', 'from'],
      ['from=2026-01-02T10:00:00Z', 'from'],
    ] as const) {
      const refused = await call('GET', `/admin/spend/summary?${query}`);
      expect(refused.status, query).toBe(400);
      if (param === 'grain') continue;
      expect(refused.headers.get('x-gateway-error-code'), query).toBe('GW_ERR_ADMIN_INVALID');
      expect(refused.json['error'].param, query).toBe(param);
    }
    const badCursor = await call('GET', '/admin/spend/requests?cursor=nonsense');
    expect(badCursor.status).toBe(400);
  });

  it('keeps keys, teams and spend across a restart', async () => {
    const created = await call('POST', '/admin/keys', { name: 'survivor' });
    const secret = created.json['key'] as string;
    const keyId = created.json['id'] as string;
    expect((await chat(secret)).status).toBe(200);
    // A budget smaller than one call: the call passes, and the budget is then spent.
    const spender = await call('POST', '/admin/keys', {
      name: 'spender',
      budget: { limit_usd: UNARY_COST / 2, period: 'monthly' },
    });
    expect((await chat(spender.json['key'] as string)).status).toBe(200);
    // Closing writes the queued spend rows.
    await gateway.close();
    gateway = await startGateway(backend);
    expect((await chat(secret)).status).toBe(200);
    // The new process knows what the key spent from the store alone.
    const refused = await chat(spender.json['key'] as string);
    expect(refused.status).toBe(429);
    expect(refused.json['error'].code).toBe('budget_exceeded');
    expect((await call('GET', `/admin/keys/${keyId}`)).json).toMatchObject({
      name: 'survivor',
      status: 'active',
    });
    await expect
      .poll(async () => (await call('GET', `/admin/spend/summary?key_id=${keyId}`)).json['totals']?.requests)
      .toBe(2);
  });
});
