/**
 * OpenTelemetry traces, as a collector receives them (an OTLP/HTTP receiver on loopback): one
 * server span per request and one client span per upstream attempt with the GenAI attributes, the
 * caller's trace joined and passed on upstream, streams ended however they end, cache hits without
 * an attempt, the ids in the access log, no prompt unless asked, and nothing at all when no
 * endpoint is set.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAT_STREAM,
  CHAT_STREAM_USAGE,
  openaiError,
  startFakeOpenAI,
  streamChat,
} from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  OtlpReceiver,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
  STATUS_ERROR,
  type ReceivedSpan,
} from '../helpers/otlp-receiver.js';

const PROMPT = 'a confidential prompt about the quarterly numbers';

let primary: FakeUpstream;
let secondary: FakeUpstream;
let receiver: OtlpReceiver;
let gateway: TestApp;
let capturing: TestApp;
let untraced: TestApp;
let requestCounter = 0;

function providersOf(config: TestApp['config']): void {
  config.gateway.providers['openai-eu'] = {
    type: 'openai',
    baseUrl: `${secondary.origin}/v1`,
    apiKey: 'sk-secondary-upstream-0000',
  };
  config.gateway.routing.retries.maxRetries = 0;
  config.gateway.routing.models = {
    'failover-model': {
      deployments: [
        { provider: 'openai', model: 'gpt-4o', priority: 0 },
        { provider: 'openai-eu', model: 'gpt-4o', priority: 1 },
      ],
    },
  };
}

beforeAll(async () => {
  primary = await startFakeOpenAI();
  secondary = await startFakeOpenAI();
  receiver = await new OtlpReceiver().listen();
  const env = {
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: `${primary.origin}/v1`,
    CACHE_ENABLED: 'true',
  };
  const tracing = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=token%20value',
    OTEL_SERVICE_NAME: 'gateway-under-test',
    OTEL_BSP_SCHEDULE_DELAY: '20',
  };
  gateway = await buildTestApp({ env: { ...env, ...tracing }, configure: providersOf });
  await gateway.listen();
  capturing = await buildTestApp({
    env: {
      ...env,
      ...tracing,
      OTEL_SERVICE_NAME: 'capturing-gateway',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
    },
  });
  untraced = await buildTestApp({ env });
  // Three gateways, each built in seconds, or more on a loaded machine.
}, 120_000);
afterAll(async () => {
  await gateway.close();
  await capturing.close();
  await untraced.close();
  await receiver.close();
  await primary.close();
  await secondary.close();
});

function chat(app: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const requestId = `trace-test-${++requestCounter}`;
  return app.app
    .inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: {
        ...authHeaders(),
        'content-type': 'application/json',
        'x-request-id': requestId,
        ...headers,
      },
      payload: JSON.stringify({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: `${PROMPT} #${requestCounter}` }],
        ...body,
      }),
    })
    .then((response) => ({ response, requestId }));
}

/** The access-log line of a request, once written. */
async function accessLineOf(app: TestApp, requestId: string): Promise<Record<string, unknown>> {
  await expect
    .poll(() => app.logs.accessLines().find((line) => line['reqId'] === requestId), { timeout: 10_000 })
    .toBeDefined();
  return app.logs.accessLines().find((line) => line['reqId'] === requestId)!;
}

/** The spans of a trace once `count` have arrived. */
async function spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
  await expect.poll(() => receiver.trace(traceId).length, { timeout: 10_000 }).toBe(count);
  return receiver.trace(traceId);
}

function serverSpan(spans: ReceivedSpan[]): ReceivedSpan {
  const servers = spans.filter((span) => span.kind === SPAN_KIND_SERVER);
  expect(servers).toHaveLength(1);
  return servers[0]!;
}

function attemptSpans(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans
    .filter((span) => span.kind === SPAN_KIND_CLIENT)
    .sort((a, b) => Number(a.attributes['gateway.attempt']) - Number(b.attributes['gateway.attempt']));
}

/** `traceparent` = version-traceid-parentid-flags. @see https://www.w3.org/TR/trace-context/#traceparent-header */
function parseTraceparent(value: unknown): { traceId: string; spanId: string; flags: string } {
  const [, traceId, spanId, flags] = String(value).split('-');
  return { traceId: traceId!, spanId: spanId!, flags: flags! };
}

describe('a unary call', () => {
  it('is a server span with one chat client span under it, attributed by the conventions', async () => {
    primary.reset();
    const { response, requestId } = await chat(gateway, { temperature: 0.2, max_tokens: 64, top_p: 0.9 });
    expect(response.statusCode).toBe(200);
    const line = await accessLineOf(gateway, requestId);
    const traceId = String(line['trace_id']);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await spansOf(traceId, 2);

    const server = serverSpan(spans);
    expect(server.spanId).toBe(line['span_id']);
    expect(server.parentSpanId).toBeUndefined();
    expect(server.name).toBe('POST /v1/chat/completions');
    expect(server.serviceName).toBe('gateway-under-test');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
      'url.path': '/v1/chat/completions',
      'gateway.request.id': requestId,
      'gateway.key.id': line['key'],
      'gateway.outcome': 'completed',
      'gateway.cache.result': 'MISS',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 19,
      'gen_ai.usage.output_tokens': 11,
      'gateway.cost_usd': line['costUsd'],
    });

    const [attempt, ...others] = attemptSpans(spans);
    expect(others).toHaveLength(0);
    expect(attempt!.parentSpanId).toBe(server.spanId);
    expect(attempt!.name).toBe('chat gpt-4o');
    expect(attempt!.statusCode).not.toBe(STATUS_ERROR);
    expect(attempt!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': line['answeredModel'],
      'gen_ai.response.id': 'chatcmpl-CZ7xqEBmT4wYhQd1pG3sVb2nK8fLa',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.usage.input_tokens': 19,
      'gen_ai.usage.output_tokens': 11,
      'gateway.attempt': 1,
      'gateway.deployment': 'openai/gpt-4o',
      'gateway.cost_usd': line['costUsd'],
      'gateway.outcome': 'completed',
      'server.address': '127.0.0.1',
    });
    expect(attempt!.startNs).toBeGreaterThanOrEqual(server.startNs);
    expect(attempt!.endNs).toBeLessThanOrEqual(server.endNs);

    // The provider was called within the attempt's span.
    const sent = parseTraceparent(primary.last().headers['traceparent']);
    expect(sent).toEqual({ traceId, spanId: attempt!.spanId, flags: '01' });
  });

  it('sends the configured export headers, and no key or prompt', async () => {
    const { requestId } = await chat(gateway, {});
    const line = await accessLineOf(gateway, requestId);
    await spansOf(String(line['trace_id']), 2);
    expect(receiver.headers.every((headers) => headers['x-collector-token'] === 'token value')).toBe(true);
    const exported = receiver.bodies.join('\n');
    expect(exported).not.toContain(TEST_KEY);
    expect(exported).not.toContain(OPENAI_KEY);
    expect(exported).not.toContain(PROMPT);
    expect(exported).not.toContain('gen_ai.input.messages');
    expect(exported).not.toContain('gen_ai.output.messages');
  });
});

describe('the caller’s trace', () => {
  it('is joined from traceparent, and passed on upstream with its tracestate', async () => {
    primary.reset();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const { response, requestId } = await chat(
      gateway,
      {},
      { traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: 'vendor=opaque-value' },
    );
    expect(response.statusCode).toBe(200);
    const line = await accessLineOf(gateway, requestId);
    expect(line['trace_id']).toBe(callerTrace);
    const spans = await spansOf(callerTrace, 2);
    const server = serverSpan(spans);
    expect(server.parentSpanId).toBe(callerSpan);
    const [attempt] = attemptSpans(spans);
    const upstreamHeaders = primary.last().headers;
    expect(parseTraceparent(upstreamHeaders['traceparent'])).toEqual({
      traceId: callerTrace,
      spanId: attempt!.spanId,
      flags: '01',
    });
    expect(upstreamHeaders['tracestate']).toBe('vendor=opaque-value');
  });

  it('is not recorded when the caller did not sample it, but still passed on', async () => {
    primary.reset();
    const callerTrace = '5bf92f3577b34da6a3ce929d0e0e4737';
    const { requestId } = await chat(gateway, {}, { traceparent: `00-${callerTrace}-00f067aa0ba902b8-00` });
    const line = await accessLineOf(gateway, requestId);
    expect(line['trace_id']).toBe(callerTrace);
    expect(parseTraceparent(primary.last().headers['traceparent'])).toMatchObject({
      traceId: callerTrace,
      flags: '00',
    });
    // A later, sampled request's spans arrive; the unsampled one's never do.
    const { requestId: later } = await chat(gateway, {});
    await spansOf(String((await accessLineOf(gateway, later))['trace_id']), 2);
    expect(receiver.trace(callerTrace)).toHaveLength(0);
  });
});

describe('a streamed call', () => {
  it('ends its attempt span with the stream, with usage and the first token as an event', async () => {
    primary.reset();
    const { response, requestId } = await chat(gateway, {
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('[DONE]');
    const line = await accessLineOf(gateway, requestId);
    const spans = await spansOf(String(line['trace_id']), 2);
    const server = serverSpan(spans);
    expect(server.attributes).toMatchObject({ 'gateway.stream': true, 'gateway.outcome': 'completed' });
    const [attempt] = attemptSpans(spans);
    expect(attempt!.attributes).toMatchObject({
      'gateway.stream': true,
      'gateway.outcome': 'completed',
      'gen_ai.response.id': 'chatcmpl-CZ7zA1bQw8eRt5Yu2Io9Pa3Sd',
      'gen_ai.usage.input_tokens': line['promptTokens'],
      'gen_ai.usage.output_tokens': line['completionTokens'],
    });
    const [firstToken, ...more] = attempt!.events;
    expect(more).toHaveLength(0);
    expect(firstToken!.name).toBe('gateway.first_token');
    expect(firstToken!.attributes['gateway.time_to_first_token_ms']).toBeGreaterThan(0);
    expect(firstToken!.timeNs).toBeGreaterThanOrEqual(attempt!.startNs);
    expect(firstToken!.timeNs).toBeLessThanOrEqual(attempt!.endNs);
    expect(CHAT_STREAM_USAGE).toContain('"usage":{');
  });

  it('ends its spans when the client leaves mid-stream, saying so', async () => {
    let release!: () => void;
    primary.enqueue('POST', '/v1/chat/completions', {
      ...streamChat(CHAT_STREAM),
      holdAt: CHAT_STREAM.indexOf('"!"'),
      release: new Promise<void>((resolve) => (release = resolve)),
    });
    const requestId = 'trace-test-leaves';
    await leaveMidStream(requestId, 'Hello');
    const line = await accessLineOf(gateway, requestId);
    release();
    expect(line['outcome']).toBe('client_closed');
    const spans = await spansOf(String(line['trace_id']), 2);
    const server = serverSpan(spans);
    expect(server.attributes).toMatchObject({
      'gateway.outcome': 'client_closed',
      'error.type': 'client_closed',
    });
    const [attempt] = attemptSpans(spans);
    expect(attempt!.attributes).toMatchObject({
      'gateway.outcome': 'client_closed',
      'gateway.usage.estimated': true,
      'error.type': 'client_closed',
    });
    expect(attempt!.events.map((event) => event.name)).toEqual(['gateway.first_token']);
  });
});

/** Starts a streamed chat over a socket, reads until `seen` appears, then goes away. */
function leaveMidStream(requestId: string, seen: string): Promise<void> {
  const url = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: '/v1/chat/completions',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TEST_KEY}`,
          'x-request-id': requestId,
        },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (text.includes(seen)) {
            outgoing.destroy();
            resolve();
          }
        });
        response.on('error', () => {});
      },
    );
    outgoing.on('error', (error) => (error.message.includes('socket hang up') ? undefined : reject(error)));
    outgoing.end(
      JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'Say hello' }] }),
    );
  });
}

describe('a failover over two deployments', () => {
  it('is two attempt spans, the first with its error and why the router moved on', async () => {
    primary.reset();
    secondary.reset();
    primary.enqueue('POST', '/v1/chat/completions', openaiError(503, 'error-server.json'));
    const { response, requestId } = await chat(gateway, { model: 'failover-model' });
    expect(response.statusCode).toBe(200);
    const line = await accessLineOf(gateway, requestId);
    const spans = await spansOf(String(line['trace_id']), 3);
    const server = serverSpan(spans);
    expect(server.attributes).toMatchObject({ 'gateway.attempts': 2, 'gateway.outcome': 'completed' });
    const [failed, answered] = attemptSpans(spans);
    expect(failed!.statusCode).toBe(STATUS_ERROR);
    expect(failed!.attributes).toMatchObject({
      'gateway.attempt': 1,
      'gateway.deployment': 'openai/gpt-4o',
      'gateway.failover.reason': 'upstream_error',
      'gateway.failover.action': 'next',
      'error.type': '503',
    });
    expect(answered!.statusCode).not.toBe(STATUS_ERROR);
    expect(answered!.attributes).toMatchObject({
      'gateway.attempt': 2,
      'gateway.deployment': 'openai-eu/gpt-4o',
      'gateway.provider.instance': 'openai-eu',
      'gateway.outcome': 'completed',
    });
    expect(answered!.attributes['gateway.failover.reason']).toBeUndefined();
    // The SDK starts a span at Date.now() (whole milliseconds) and ends it on the high-resolution
    // clock: the next attempt may start within the millisecond the failed one ended in.
    expect(failed!.endNs).toBeLessThan(answered!.startNs + 1_000_000n);
    // Each deployment was called within its own attempt's span.
    expect(parseTraceparent(primary.last().headers['traceparent']).spanId).toBe(failed!.spanId);
    expect(parseTraceparent(secondary.last().headers['traceparent']).spanId).toBe(answered!.spanId);
  });
});

describe('a cache hit', () => {
  it('is a server span that says HIT, with no attempt span', async () => {
    const body = { messages: [{ role: 'user', content: `cache me ${Date.now()}` }], temperature: 0 };
    const { response: first } = await chat(gateway, body);
    expect(first.headers['x-cache']).toBe('MISS');
    const { response: second, requestId } = await chat(gateway, body);
    expect(second.headers['x-cache']).toBe('HIT');
    const line = await accessLineOf(gateway, requestId);
    const traceId = String(line['trace_id']);
    const spans = await spansOf(traceId, 1);
    expect(serverSpan(spans).attributes).toMatchObject({
      'gateway.cache.result': 'HIT',
      'http.response.status_code': 200,
    });
    // A later request's spans arrive, and still none is an attempt of the hit.
    const { requestId: later } = await chat(gateway, {});
    await spansOf(String((await accessLineOf(gateway, later))['trace_id']), 2);
    expect(attemptSpans(receiver.trace(traceId))).toHaveLength(0);
  });
});

describe('content capture', () => {
  it('records prompts and completions only when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is set', async () => {
    const { requestId } = await chat(capturing, {});
    const line = await accessLineOf(capturing, requestId);
    const spans = await spansOf(String(line['trace_id']), 2);
    const [attempt] = attemptSpans(spans);
    expect(attempt!.serviceName).toBe('capturing-gateway');
    const input = JSON.parse(String(attempt!.attributes['gen_ai.input.messages'])) as unknown;
    expect(input).toEqual([{ role: 'user', content: expect.stringContaining(PROMPT) }]);
    const output = JSON.parse(String(attempt!.attributes['gen_ai.output.messages'])) as unknown;
    expect(output).toEqual([expect.objectContaining({ role: 'assistant', content: expect.any(String) })]);
  });
});

describe('with no endpoint set', () => {
  it('creates no exporter: no ids in the access log, no traceparent upstream, nothing sent', async () => {
    primary.reset();
    const before = receiver.bodies.length;
    const { response, requestId } = await chat(untraced, {});
    expect(response.statusCode).toBe(200);
    const line = await accessLineOf(untraced, requestId);
    expect(line['trace_id']).toBeUndefined();
    expect(line['span_id']).toBeUndefined();
    expect(primary.last().headers['traceparent']).toBeUndefined();
    expect(untraced.logs.text()).not.toContain('tracing');
    // The traced gateways' exports go on; none carries the untraced gateway's request.
    const { requestId: traced } = await chat(gateway, {});
    await spansOf(String((await accessLineOf(gateway, traced))['trace_id']), 2);
    expect(receiver.bodies.slice(before).join('\n')).not.toContain(requestId);
  });
});
