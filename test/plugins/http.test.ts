/** HTTP-level behaviour: body parsing, limits, unknown routes, request ids, headers, CORS, docs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { CHAT_STREAM, startFakeOpenAI, streamChat } from '../helpers/fake-openai.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

let gateway: TestApp;
let withCors: TestApp;
let withoutDocs: TestApp;

beforeAll(async () => {
  const env = { OPENAI_API_KEY: 'sk-http', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', BODY_LIMIT: '2048' };
  gateway = await buildTestApp({ env });
  withCors = await buildTestApp({
    env: { ...env, CORS_ENABLED: 'true', CORS_ORIGINS: 'https://app.example.com' },
  });
  withoutDocs = await buildTestApp({ env: { ...env, DOCS_ENABLED: 'false' } });
});
afterAll(async () => {
  await gateway.close();
  await withCors.close();
  await withoutDocs.close();
});

function chat(payload: string, contentType = 'application/json') {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(), 'content-type': contentType },
    payload,
  });
}

describe('request bodies', () => {
  it.each([
    ['malformed JSON', '{"model": "gpt-4o",', 'application/json', 400, 'invalid_json'],
    ['an empty body', '', 'application/json', 400, 'missing_body'],
    ['a JSON array', '[1,2]', 'application/json', 400, 'invalid_type'],
    ['a text body', 'hello', 'text/plain', 415, 'unsupported_media_type'],
    ['a form body', 'model=gpt-4o', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
    [
      'a body over the limit',
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(4096) }] }),
      'application/json',
      413,
      'request_too_large',
    ],
    [
      'a prototype-polluting body',
      '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"__proto__":{"admin":true}}',
      'application/json',
      400,
      'invalid_json',
    ],
  ])('answers %s with a clear 4xx in the envelope', async (_label, payload, contentType, status, code) => {
    const response = await chat(payload, contentType);
    expect(response.statusCode).toBe(status);
    const body = response.json();
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error.code).toBe(code);
    expect(response.headers['x-gateway-error-code']).toMatch(/^GW_ERR_/);
  });
});

describe('routes and ids', () => {
  it('answers an unknown route with 404 in the envelope', async () => {
    const response = await gateway.app.inject({ url: '/v1/nope?key=secret', headers: authHeaders() });
    expect(response.statusCode).toBe(404);
    const body = response.json();
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error.type).toBe('not_found');
    expect(body.error.message).toContain('/v1/nope');
    expect(body.error.message).not.toContain('secret');
  });

  it('answers an unknown method on a known path with 404 in the envelope', async () => {
    const response = await gateway.app.inject({
      method: 'DELETE',
      url: '/v1/chat/completions',
      headers: authHeaders(),
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.type).toBe('not_found');
  });

  it('echoes a sane x-request-id and replaces an unsafe one', async () => {
    const echoed = await gateway.app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123.XYZ' } });
    expect(echoed.headers['x-request-id']).toBe('abc-123.XYZ');
    const replaced = await gateway.app.inject({
      url: '/health',
      headers: { 'x-request-id': 'bad id\twith spaces' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await gateway.app.inject({ url: '/health' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('describes itself at / and /v1/', async () => {
    for (const url of ['/', '/v1/', '/v1']) {
      const response = await gateway.app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        name: 'llm-gateway',
        endpoints: expect.arrayContaining(['POST /v1/chat/completions']),
      });
    }
  });
});

describe('security headers and CORS', () => {
  it('sends secure headers on API answers', async () => {
    const response = await gateway.app.inject({ url: '/health' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers CORS preflights for allowed origins only, when enabled', async () => {
    const allowed = await withCors.app.inject({
      method: 'OPTIONS',
      url: '/v1/chat/completions',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(allowed.headers['access-control-allow-headers'])).toContain('authorization');
    const other = await withCors.app.inject({
      url: '/health',
      headers: { origin: 'https://evil.example.com' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const exposed = await withCors.app.inject({
      url: '/health',
      headers: { origin: 'https://app.example.com' },
    });
    expect(String(exposed.headers['access-control-expose-headers'])).toContain('x-gateway-provider');
  });
});

describe('OpenAPI and Swagger UI', () => {
  it('serves an OpenAPI 3 document generated from the schemas', async () => {
    const response = await gateway.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/chat/completions', '/v1/embeddings', '/v1/models', '/health']),
    );
    const chat = document.paths['/v1/chat/completions'].post;
    expect(chat.requestBody.content['application/json'].schema.properties.messages).toBeTruthy();
    expect(Object.keys(chat.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '404', '429', '502', '504']),
    );
    expect(document.components.schemas.ErrorResponse).toBeTruthy();
  });

  it('serves Swagger UI with a policy that lets it run', async () => {
    const page = await gateway.app.inject({ url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('can be turned off', async () => {
    expect((await withoutDocs.app.inject({ url: '/openapi.json' })).statusCode).toBe(404);
    expect((await withoutDocs.app.inject({ url: '/docs/' })).statusCode).toBe(404);
  });
});

describe('shutdown', () => {
  it('answers a request still arriving during the drain with 503 shutting_down and Connection: close', async () => {
    const upstream = await startFakeOpenAI();
    let release!: () => void;
    upstream.enqueue('POST', '/v1/chat/completions', {
      ...streamChat(CHAT_STREAM),
      holdAt: 400,
      release: new Promise<void>((resolve) => (release = resolve)),
    });
    const draining = await buildTestApp({
      env: { OPENAI_API_KEY: 'sk-drain', OPENAI_BASE_URL: `${upstream.origin}/v1` },
    });
    const url = new URL(await draining.listen());
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    const body = JSON.stringify({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await expect.poll(() => received).toContain('data: ');
    const closing = draining.app.close();
    // close() runs its preClose hooks on the next turn; the busy connection stays open meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    socket.write(`GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEY}\r\n\r\n`);
    release();
    await ended;
    await closing;
    await upstream.close();
    expect(received).toContain('data: [DONE]');
    const second = received.slice(received.indexOf('HTTP/1.1', 10));
    expect(second).toMatch(/^HTTP\/1\.1 503/);
    expect(second.toLowerCase()).toContain('connection: close');
    expect(second).toContain('"code":"shutting_down"');
  });
});
