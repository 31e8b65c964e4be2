/**
 * Realtime sessions through the gateway with the official openai SDK's WebSocket client
 * (`OpenAIRealtimeWS`), against a loopback fake of OpenAI's Realtime API: events relayed both ways,
 * usage from `response.done` priced at the catalog's text and audio prices and recorded, close codes
 * passed on in both directions, refusals before the upgrade (key, model, session limit, provider) in
 * the HTTP error envelope, the maximum session length and shutdown, metrics, no key in any log line,
 * and client secrets passed through for the keys allowed to mint them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/config.js';
import { formatKeyHash } from '../../src/identity.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  REALTIME_USAGE,
  startFakeOpenAIRealtime,
  type FakeRealtime,
} from '../helpers/fake-openai-realtime.js';
import { parsePrometheus } from '../helpers/prometheus.js';

const MINTER_KEY = 'rt-minter-key-000000000001';
const LIMITED_KEY = 'rt-limited-key-00000000002';
const PLAIN_KEY = 'rt-plain-key-0000000000003';
const ADMIN_KEY = 'rt-admin-key-0000000000004';
const BUDGET_KEY = 'rt-budget-key-000000000005';

// One response.done of the fake at gpt-realtime's prices (USD per 1M): text in 4, cached 0.4, out 16;
// audio in 32, cached 0.4, out 64. 400 input tokens: 150 text (64 cached), 250 audio (64 cached);
// 800 output tokens: 200 text, 600 audio.
const RESPONSE_COST = (86 * 4 + 64 * 0.4 + 64 * 0.4 + 186 * 32 + 200 * 16 + 600 * 64) / 1e6;

let fake: FakeRealtime;
let gateway: TestApp;
let folder: string;

function clients(config: LoadedConfig): void {
  config.gateway.auth.clients = [
    { id: 'minter', name: 'Minter', keyHash: formatKeyHash(MINTER_KEY) },
    { id: 'limited', name: 'Limited', keyHash: formatKeyHash(LIMITED_KEY), allowedModels: ['gpt-4o-mini'] },
    { id: 'plain', name: 'Plain', keyHash: formatKeyHash(PLAIN_KEY) },
    {
      id: 'budgeted',
      name: 'Budgeted',
      keyHash: formatKeyHash(BUDGET_KEY),
      budget: { limitUsd: 0.04, period: 'daily' },
    },
  ];
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: `${fake.origin}/v1`,
    REALTIME_MAX_SESSIONS_PER_KEY: '2',
    REALTIME_CLIENT_SECRET_KEYS: 'minter',
    ...extra,
  };
}

/** The gateway's host and port: the SDK always builds a wss:// URL, and the test gateway has no TLS. */
function plainConnection(app: TestApp) {
  const { hostname, port } = new URL(app.url);
  return () => connect(Number(port), hostname);
}

/** A realtime client of the SDK, open (its socket's `open` seen). */
async function openSession(
  app: TestApp,
  key = TEST_KEY,
  model = 'gpt-realtime',
): Promise<{
  rt: OpenAIRealtimeWS;
  events: { type: string; [key: string]: unknown }[];
  closed: Promise<{ code: number; reason: string }>;
}> {
  const client = new OpenAI({ baseURL: `${app.url}/v1`, apiKey: key, maxRetries: 0 });
  const rt = new OpenAIRealtimeWS({ model, options: { createConnection: plainConnection(app) } }, client);
  const events: { type: string; [key: string]: unknown }[] = [];
  rt.on('event', (event) => events.push(event as { type: string }));
  rt.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    rt.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  await new Promise<void>((resolve, reject) => {
    rt.socket.once('open', () => resolve());
    rt.socket.once('error', reject);
  });
  return { rt, events, closed };
}

/** An upgrade the gateway refuses: the HTTP status and the error envelope the client reads. */
function refusedUpgrade(
  app: TestApp,
  path: string,
  headers: Record<string, string>,
  protocols?: string[],
): Promise<{ status: number; body: { error: { code: string; type: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${app.url.replace('http', 'ws')}${path}`, protocols, { headers });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => {});
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
  });
}

function until(events: { type: string }[], type: string, count = 1): Promise<void> {
  return expect
    .poll(() => events.filter((event) => event.type === type).length)
    .toBeGreaterThanOrEqual(count);
}

async function metricsOf(app: TestApp) {
  const response = await app.app.inject({
    url: '/metrics',
    headers: { authorization: `Bearer ${TEST_KEY}` },
  });
  return parsePrometheus(response.body);
}

const sessionLines = (app: TestApp) =>
  app.logs.accessLines().filter((line) => line['route'] === '/v1/realtime' && line['status'] === 101);

beforeAll(async () => {
  fake = await startFakeOpenAIRealtime();
  folder = mkdtempSync(join(tmpdir(), 'gateway-realtime-'));
  gateway = await buildTestApp({
    env: env({ STORE_ENABLED: 'true', DATA_DIR: folder, GATEWAY_ADMIN_KEYS: ADMIN_KEY }),
    configure: clients,
  });
  await gateway.listen();
});

afterAll(async () => {
  await gateway.close();
  await fake.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('a realtime session through the gateway', () => {
  it('relays session.update, a text turn and audio both ways, and closes the provider with the client code', async () => {
    const { rt, events, closed } = await openSession(gateway);
    await until(events, 'session.created');
    const upstream = fake.connections.at(-1)!;
    // The provider's key, added by the gateway; the client's own key never reaches it.
    expect(upstream.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(upstream.url).toBe('/v1/realtime?model=gpt-realtime');
    expect(upstream.headers['openai-beta']).toBeUndefined();

    rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.' } });
    await until(events, 'session.updated');
    expect(events.find((event) => event.type === 'session.updated')).toMatchObject({
      session: { instructions: 'Be brief.', model: 'gpt-realtime' },
    });

    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
    });
    await until(events, 'conversation.item.created');
    const audio = Buffer.alloc(3200, 7).toString('base64');
    rt.send({ type: 'input_audio_buffer.append', audio });
    rt.send({ type: 'input_audio_buffer.commit' });
    await until(events, 'input_audio_buffer.committed');
    rt.send({ type: 'response.create' });
    await until(events, 'response.done');

    expect(events.map((event) => event.type)).toEqual([
      'session.created',
      'session.updated',
      'conversation.item.created',
      'input_audio_buffer.committed',
      'response.created',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.done',
    ]);
    const deltas = events.filter((event) => event.type === 'response.output_text.delta');
    expect(deltas.map((event) => event['delta']).join('')).toBe('Hello there');
    // What the provider received is what the client sent, event for event.
    expect(upstream.events.map((event) => event['type'])).toEqual([
      'session.update',
      'conversation.item.create',
      'input_audio_buffer.append',
      'input_audio_buffer.commit',
      'response.create',
    ]);
    expect(upstream.events[2]).toEqual({ type: 'input_audio_buffer.append', audio });
    expect((events.at(-1)!['response'] as { usage: unknown }).usage).toEqual(REALTIME_USAGE);

    rt.close({ code: 4001, reason: 'done here' });
    expect(await closed).toEqual({ code: 4001, reason: 'done here' });
    await expect.poll(() => upstream.closed).toEqual({ code: 4001, reason: 'done here' });

    // One access-log line for the session, at its end.
    await expect.poll(() => sessionLines(gateway).length).toBe(1);
    const line = sessionLines(gateway)[0]!;
    expect(line).toMatchObject({
      method: 'GET',
      outcome: 'completed',
      key: expect.stringMatching(/^key_/),
      model: 'gpt-realtime',
      provider: 'openai',
      promptTokens: 400,
      completionTokens: 800,
      audioPromptTokens: 250,
      audioCompletionTokens: 600,
      cachedTokens: 128,
      realtime: {
        endReason: 'client_closed',
        eventsFromClient: 5,
        eventsFromUpstream: 9,
        closeCodeClient: 4001,
        closeCodeUpstream: 4001,
        responses: 1,
      },
    });
    expect(line['costUsd']).toBeCloseTo(RESPONSE_COST, 12);
  });

  it('records the usage of each response.done to the key, priced at the text and audio prices, in the store too', async () => {
    const { rt, events, closed } = await openSession(gateway, PLAIN_KEY);
    rt.send({ type: 'response.create' });
    await until(events, 'response.done');
    rt.send({ type: 'response.create' });
    await until(events, 'response.done', 2);
    rt.close();
    await closed;

    await expect
      .poll(async () => {
        const response = await gateway.app.inject({
          url: '/v1/usage',
          headers: { authorization: `Bearer ${PLAIN_KEY}` },
        });
        return response.json().total.requests;
      })
      .toBe(2);
    const usage = (
      await gateway.app.inject({ url: '/v1/usage', headers: { authorization: `Bearer ${PLAIN_KEY}` } })
    ).json();
    expect(usage.total).toMatchObject({ prompt_tokens: 800, completion_tokens: 1600, cached_tokens: 256 });
    expect(usage.total.cost_usd).toBeCloseTo(2 * RESPONSE_COST, 9);
    expect(Object.keys(usage.by_model)).toEqual(['gpt-realtime']);

    // One spend row per response.done in the store's request log.
    const spendRows = async () =>
      (
        await gateway.app.inject({
          url: '/admin/spend/requests?key_id=plain',
          headers: { authorization: `Bearer ${ADMIN_KEY}` },
        })
      ).json().data as Record<string, unknown>[];
    await expect.poll(async () => (await spendRows()).length).toBe(2);
    for (const row of await spendRows()) {
      expect(row).toMatchObject({
        route: '/v1/realtime',
        requested_model: 'gpt-realtime',
        model: 'gpt-realtime',
        provider: 'openai',
        prompt_tokens: 400,
        completion_tokens: 800,
        cached_tokens: 128,
        status: 101,
      });
      expect(row['cost_usd']).toBeCloseTo(RESPONSE_COST, 9);
    }
  });

  it('closes the client with the provider code and reason when the provider closes', async () => {
    const { events, closed } = await openSession(gateway);
    await until(events, 'session.created');
    const upstream = fake.connections.at(-1)!;
    upstream.socket.close(4100, 'session expired upstream');
    expect(await closed).toEqual({ code: 4100, reason: 'session expired upstream' });
    await expect
      .poll(() => sessionLines(gateway).at(-1)?.['realtime'])
      .toMatchObject({ endReason: 'upstream_closed', closeCodeUpstream: 4100, closeCodeClient: 4100 });
  });

  it('closes the client with 1014 when the provider connection is lost', async () => {
    const { events, closed } = await openSession(gateway);
    await until(events, 'session.created');
    fake.connections.at(-1)!.socket.terminate();
    expect(await closed).toEqual({ code: 1014, reason: 'upstream connection lost' });
  });

  it('sends OpenAI-Beta to the provider only when the client sent it', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
    const rt = new OpenAIRealtimeWS(
      {
        model: 'gpt-4o-realtime-preview',
        options: { createConnection: plainConnection(gateway), headers: { 'OpenAI-Beta': 'realtime=v1' } },
      },
      client,
    );
    rt.on('error', () => {});
    await new Promise((resolve) => rt.socket.once('open', resolve));
    const upstream = fake.connections.at(-1)!;
    expect(upstream.headers['openai-beta']).toBe('realtime=v1');
    expect(upstream.url).toBe('/v1/realtime?model=gpt-4o-realtime-preview');
    const closed = new Promise((resolve) => rt.socket.once('close', resolve));
    rt.close();
    await closed;
  });
});

describe('refusals before the upgrade', () => {
  it('answers a bad or missing key with 401 in the envelope, seen by the SDK as the HTTP status', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'not-a-key-000000', maxRetries: 0 });
    const rt = new OpenAIRealtimeWS(
      { model: 'gpt-realtime', options: { createConnection: plainConnection(gateway) } },
      client,
    );
    const error = await new Promise<Error>((resolve) => rt.on('error', resolve));
    expect(error.message).toContain('Unexpected server response: 401');

    const bad = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-realtime', {
      authorization: 'Bearer wrong-key-0000',
    });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('invalid_api_key');
    const missing = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-realtime', {});
    expect(missing.status).toBe(401);
  });

  it('takes the key from the browser subprotocol, and never answers with it', async () => {
    const protocols = ['realtime', `openai-insecure-api-key.${PLAIN_KEY}`, 'openai-beta.realtime-v1'];
    const socket = new WebSocket(
      `${gateway.url.replace('http', 'ws')}/v1/realtime?model=gpt-realtime`,
      protocols,
    );
    const first = new Promise<string>((resolve) =>
      socket.once('message', (data) => resolve(data.toString())),
    );
    const upgraded = new Promise<Record<string, unknown>>((resolve) =>
      socket.once('upgrade', (response) => resolve(response.headers)),
    );
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    expect(socket.protocol).toBe('realtime');
    // The 101 names the request, as the session's access-log line does.
    const requestId = (await upgraded)['x-request-id'];
    expect(requestId).toEqual(expect.any(String));
    expect(JSON.parse(await first)).toMatchObject({ type: 'session.created' });
    expect(fake.connections.at(-1)!.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(fake.connections.at(-1)!.headers['sec-websocket-protocol']).toBeUndefined();
    // The beta protocol a browser asks for by subprotocol is asked of the provider by its header.
    expect(fake.connections.at(-1)!.headers['openai-beta']).toBe('realtime=v1');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.close(1000);
    await closed;
    await expect
      .poll(() => sessionLines(gateway).find((line) => line['reqId'] === requestId)?.['key'])
      .toBe('plain');

    const wrong = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-realtime', {}, [
      'realtime',
      'openai-insecure-api-key.not-a-key-0000',
    ]);
    expect(wrong.status).toBe(401);
  });

  it('answers 403 for a model the key may not call and 404 for an unknown one', async () => {
    const forbidden = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-realtime', {
      authorization: `Bearer ${LIMITED_KEY}`,
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('model_not_allowed');
    const unknown = await refusedUpgrade(gateway, '/v1/realtime?model=no-such-realtime-model', {
      authorization: `Bearer ${TEST_KEY}`,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
    const chatModel = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-4o', {
      authorization: `Bearer ${TEST_KEY}`,
    });
    expect(chatModel.status).toBe(400);
  });

  it('refuses a session past REALTIME_MAX_SESSIONS_PER_KEY with 429, and takes one again after a close', async () => {
    const first = await openSession(gateway, MINTER_KEY);
    const second = await openSession(gateway, MINTER_KEY);
    const connectionsBefore = fake.connections.length;
    const third = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-realtime', {
      authorization: `Bearer ${MINTER_KEY}`,
    });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('too_many_sessions');
    // Refused before the provider was called.
    expect(fake.connections.length).toBe(connectionsBefore);
    // Another key is not held back by this one's sessions.
    const other = await openSession(gateway, PLAIN_KEY);
    other.rt.close();
    await other.closed;

    first.rt.close();
    await first.closed;
    await expect
      .poll(async () => {
        const again = await openSession(gateway, MINTER_KEY).catch(() => null);
        if (again) {
          again.rt.close();
          await again.closed;
        }
        return again !== null;
      })
      .toBe(true);
    second.rt.close();
    await second.closed;
  });

  it('refuses a key whose budget a session spent with 429 before the upgrade', async () => {
    const { rt, events, closed } = await openSession(gateway, BUDGET_KEY);
    rt.send({ type: 'response.create' });
    await until(events, 'response.done');
    rt.close();
    await closed;
    // One response costs more than the key's $0.04 a day.
    await expect
      .poll(async () => {
        const refused = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-realtime', {
          authorization: `Bearer ${BUDGET_KEY}`,
        }).catch(() => null);
        return refused?.status;
      })
      .toBe(429);
    const refused = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-realtime', {
      authorization: `Bearer ${BUDGET_KEY}`,
    });
    expect(refused.body.error.code).toBe('budget_exceeded');
  });

  it('answers the provider refusing the session with 502 in the envelope, before the upgrade', async () => {
    fake.refuseNext(403, {
      error: { message: 'Project does not have access to this model', type: 'invalid_request_error' },
    });
    const refused = await refusedUpgrade(gateway, '/v1/realtime?model=gpt-realtime', {
      authorization: `Bearer ${TEST_KEY}`,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('Project does not have access to this model');
    expect(refused.body.error.type).toBe('provider_error');
  });

  it('answers 426 to a plain GET without an upgrade', async () => {
    const response = await fetch(`${gateway.url}/v1/realtime?model=gpt-realtime`, {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    expect(response.status).toBe(426);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upgrade_required');
  });
});

describe('client secrets', () => {
  it('passes POST /v1/realtime/client_secrets through for a key allowed to mint them, and 403s another', async () => {
    const minter = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MINTER_KEY, maxRetries: 0 });
    const secret = await minter.realtime.clientSecrets.create({
      session: { type: 'realtime', model: 'gpt-realtime', instructions: 'Be brief.' },
      expires_after: { anchor: 'created_at', seconds: 600 },
    });
    expect(secret.value).toBe('ek_fake_secret_value');
    const sent = fake.minted.at(-1)!;
    expect(sent.path).toBe('/v1/realtime/client_secrets');
    expect(sent.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(sent.body).toEqual({
      session: { type: 'realtime', model: 'gpt-realtime', instructions: 'Be brief.' },
      expires_after: { anchor: 'created_at', seconds: 600 },
    });

    const plain = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: PLAIN_KEY, maxRetries: 0 });
    const error = await plain.realtime.clientSecrets
      .create({ session: { type: 'realtime', model: 'gpt-realtime' } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe(
      'client_secrets_not_allowed',
    );
    expect(fake.minted).toHaveLength(1);
  });

  it('passes the beta POST /v1/realtime/sessions through the same way', async () => {
    const response = await fetch(`${gateway.url}/v1/realtime/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MINTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-realtime-preview', voice: 'alloy' }),
    });
    expect(response.status).toBe(200);
    expect(fake.minted.at(-1)).toMatchObject({
      path: '/v1/realtime/sessions',
      body: { model: 'gpt-4o-realtime-preview', voice: 'alloy' },
    });
  });
});

describe('metrics and logs', () => {
  it('counts sessions opened, active and closed by reason, events by direction and session lengths', async () => {
    const samples = await metricsOf(gateway);
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter(
          (sample) =>
            sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v),
        )
        .reduce((total, sample) => total + sample.value, 0);
    expect(
      value('llm_gateway_realtime_sessions_opened_total', { model: 'gpt-realtime' }),
    ).toBeGreaterThanOrEqual(5);
    expect(value('llm_gateway_realtime_sessions_active')).toBe(0);
    expect(
      value('llm_gateway_realtime_sessions_closed_total', { reason: 'client_closed' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      value('llm_gateway_realtime_sessions_closed_total', { reason: 'upstream_closed' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      value('llm_gateway_realtime_events_total', { direction: 'client_to_upstream' }),
    ).toBeGreaterThanOrEqual(7);
    expect(
      value('llm_gateway_realtime_events_total', { direction: 'upstream_to_client' }),
    ).toBeGreaterThanOrEqual(9);
    expect(value('llm_gateway_realtime_session_duration_seconds_count')).toBe(
      value('llm_gateway_realtime_sessions_closed_total'),
    );
  });

  it('writes no key into any log line, the subprotocol that carried one included', () => {
    const text = gateway.logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const key of [
      TEST_KEY,
      MINTER_KEY,
      LIMITED_KEY,
      PLAIN_KEY,
      ADMIN_KEY,
      BUDGET_KEY,
      OPENAI_KEY,
      'not-a-key-0000',
      'wrong-key-0000',
    ]) {
      expect(text).not.toContain(key);
    }
  });
});

describe('session limits', () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await buildTestApp({ env: env({ REALTIME_MAX_SESSION_SECONDS: '1' }), configure: clients });
    await short.listen();
  });
  afterAll(() => short.close());

  it('closes both sides with 1008 when a session reaches REALTIME_MAX_SESSION_SECONDS', async () => {
    const { events, closed } = await openSession(short);
    await until(events, 'session.created');
    const upstream = fake.connections.at(-1)!;
    const close = await closed;
    expect(close.code).toBe(1008);
    expect(close.reason).toBe('session reached its maximum length (1 s)');
    await expect.poll(() => upstream.closed?.code).toBe(1008);
    await expect
      .poll(() => sessionLines(short).at(-1)?.['realtime'])
      .toMatchObject({ endReason: 'max_duration', closeCodeClient: 1008, closeCodeUpstream: 1008 });
  });

  it('closes open sessions with 1001 when the gateway shuts down', async () => {
    const closing = await buildTestApp({ env: env(), configure: clients });
    await closing.listen();
    const { events, closed } = await openSession(closing);
    await until(events, 'session.created');
    const upstream = fake.connections.at(-1)!;
    await closing.close();
    expect((await closed).code).toBe(1001);
    await expect.poll(() => upstream.closed?.code).toBe(1001);
    await expect
      .poll(() => sessionLines(closing).at(-1)?.['realtime'])
      .toMatchObject({ endReason: 'shutdown' });
  });
});

describe('rate limit', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await buildTestApp({
      env: env({ RATE_LIMITING_ENABLED: 'true', RATE_LIMIT_REALTIME_RPM: '1' }),
      configure: clients,
    });
    await limited.listen();
  });
  afterAll(() => limited.close());

  it('counts sessions opened in the realtime class, and refuses one over it with 429 before the upgrade', async () => {
    const { rt, closed } = await openSession(limited, PLAIN_KEY);
    rt.close();
    await closed;
    const refused = await refusedUpgrade(limited, '/v1/realtime?model=gpt-realtime', {
      authorization: `Bearer ${PLAIN_KEY}`,
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limit_exceeded');
    expect(refused.body.error.message).toContain('1 realtime requests per minute');
  });
});

describe('Azure OpenAI', () => {
  const AZURE_KEY = 'azure-resource-key-0123456789abcdef';
  let azure: TestApp;
  beforeAll(async () => {
    azure = await buildTestApp({
      env: { AZURE_OPENAI_API_KEY: AZURE_KEY, AZURE_OPENAI_ENDPOINT: fake.origin, AZURE_OPENAI_PATHS: 'v1' },
    });
    await azure.listen();
  });
  afterAll(() => azure.close());

  it("opens the session at the resource's /openai/v1/realtime with its api-key", async () => {
    const { rt, events, closed } = await openSession(azure, TEST_KEY, 'azure-openai/my-realtime');
    await until(events, 'session.created');
    const upstream = fake.connections.at(-1)!;
    expect(upstream.url).toBe('/openai/v1/realtime?model=my-realtime');
    expect(upstream.headers['api-key']).toBe(AZURE_KEY);
    expect(upstream.headers['authorization']).toBeUndefined();
    rt.send({ type: 'response.create' });
    await until(events, 'response.done');
    rt.close();
    await closed;
    expect(azure.logs.text()).not.toContain(AZURE_KEY);
  });
});
