import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientClosed,
  DeadlineExceeded,
  UpstreamFailure,
  sendUpstreamWhole,
  type UpstreamRequest,
} from '../../src/upstream.js';

type Route = (request: IncomingMessage, response: ServerResponse) => void;

let server: Server;
let origin: string;
const agent = new Agent({ keepAliveTimeout: 1000 });
const routes = new Map<string, Route>();
const closed: string[] = [];
const arrived: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    request.on('close', () => {
      if (!response.writableEnded) closed.push(request.url ?? '');
    });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      arrived.push(request.url ?? '');
      const route = routes.get(request.url ?? '');
      if (route) route(request, response);
      else response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const call = (path: string, signal = new AbortController().signal): UpstreamRequest => ({
  origin,
  path,
  headers: { 'content-type': 'application/json' },
  body: '{"model":"m"}',
  signal,
});

const failureOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the call did not fail');
};

describe('sendUpstreamWhole', () => {
  it('gives the status, headers and body bytes unchanged, however the body was cut', async () => {
    const bytes = Buffer.from([0x7b, 0xe2, 0x82, 0xac, 0x00, 0xff, 0x7d]);
    routes.set('/pieces', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      for (const byte of bytes) response.write(Buffer.from([byte]));
      response.end();
    });
    const answer = await sendUpstreamWhole(agent, call('/pieces'), 'fake');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-upstream']).toBe('yes');
    expect(answer.body.equals(bytes)).toBe(true);
  });

  it('fails a success body above the limit, declared or not', async () => {
    routes.set('/declared', (_request, response) => {
      response.writeHead(200, { 'content-length': '100' }).end('x'.repeat(100));
    });
    routes.set('/chunked', (_request, response) => {
      response.writeHead(200);
      response.write('x'.repeat(60));
      response.end('x'.repeat(60));
    });
    for (const path of ['/declared', '/chunked']) {
      const error = await failureOf(sendUpstreamWhole(agent, call(path), 'fake', 50));
      expect(error).toBeInstanceOf(UpstreamFailure);
      expect((error as UpstreamFailure).gatewayCode).toBe('GW_ERR_UPSTREAM_BAD_RESPONSE');
      expect((error as UpstreamFailure).message).toContain('larger than 50 bytes');
    }
  });

  it('gives an error answer with its body, or with none when the body is too large', async () => {
    routes.set('/refused', (_request, response) => {
      response.writeHead(429, { 'retry-after': '2' }).end('{"error":{"message":"slow down"}}');
    });
    routes.set('/refused-large', (_request, response) => {
      response.writeHead(500).end('e'.repeat(200));
    });
    const refused = await sendUpstreamWhole(agent, call('/refused'), 'fake');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.body.toString('utf8')).toBe('{"error":{"message":"slow down"}}');
    const large = await sendUpstreamWhole(agent, call('/refused-large'), 'fake', 1000, 100);
    expect(large.statusCode).toBe(500);
    expect(large.body.length).toBe(0);
  });

  it('aborts the upstream call when the signal aborts: a client gone, or the deadline', async () => {
    routes.set('/hang-client', (_request, response) => {
      response.writeHead(200);
      response.write('{"partial":');
    });
    routes.set('/hang-deadline', () => {});
    const client = new AbortController();
    const gone = sendUpstreamWhole(agent, call('/hang-client', client.signal), 'fake');
    await expect.poll(() => arrived).toContain('/hang-client');
    client.abort(new ClientClosed('the client went away'));
    expect(await failureOf(gone)).toBeInstanceOf(ClientClosed);

    const deadline = new AbortController();
    const late = sendUpstreamWhole(agent, call('/hang-deadline', deadline.signal), 'fake');
    await expect.poll(() => arrived).toContain('/hang-deadline');
    deadline.abort(new DeadlineExceeded('deadline'));
    const error = await failureOf(late);
    expect((error as UpstreamFailure).gatewayCode).toBe('GW_ERR_UPSTREAM_TIMEOUT');

    await expect.poll(() => closed).toEqual(expect.arrayContaining(['/hang-client', '/hang-deadline']));

    const before = new AbortController();
    before.abort(new ClientClosed('gone before the call'));
    expect(await failureOf(sendUpstreamWhole(agent, call('/pieces', before.signal), 'fake'))).toBeInstanceOf(
      ClientClosed,
    );
  });

  it('maps an unreachable upstream to the catalogue', async () => {
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
    const error = await failureOf(
      sendUpstreamWhole(agent, { ...call('/x'), origin: `http://127.0.0.1:${port}` }, 'fake'),
    );
    expect((error as UpstreamFailure).gatewayCode).toBe('GW_ERR_UPSTREAM_UNREACHABLE');
  });

  it("goes through the dispatcher's interceptors", async () => {
    routes.set('/echo-header', (request, response) => {
      response.writeHead(200).end(String(request.headers['x-added']));
    });
    const intercepted = agent.compose(
      (dispatch) => (options, handler) =>
        dispatch(
          {
            ...options,
            headers: { ...(options.headers as Record<string, string>), 'x-added': 'by-interceptor' },
          },
          handler,
        ),
    );
    const answer = await sendUpstreamWhole(intercepted, call('/echo-header'), 'fake');
    expect(answer.body.toString('utf8')).toBe('by-interceptor');
  });
});
