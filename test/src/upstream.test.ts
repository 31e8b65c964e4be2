import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientClosed,
  DeadlineExceeded,
  UpstreamFailure,
  readBody,
  relayBody,
  sendUpstream,
  sendUpstreamWhole,
  type UpstreamRequest,
} from '../../src/upstream.js';
import { HIGH_WATER_MARK, UpstreamBody } from '../../src/upstream-body.js';

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

  it('maps an unreachable upstream to the catalogue, read whole or as it arrives', async () => {
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
    for (const send of [sendUpstreamWhole, sendUpstream]) {
      const error = await failureOf(
        send(agent, { ...call('/x'), origin: `http://127.0.0.1:${port}` }, 'fake'),
      );
      expect((error as UpstreamFailure).gatewayCode).toBe('GW_ERR_UPSTREAM_UNREACHABLE');
    }
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

describe('sendUpstream', () => {
  const collect = async (body: AsyncIterable<Buffer>) => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return Buffer.concat(chunks);
  };

  it('answers once the headers are in, and gives the body as it arrives', async () => {
    let finish: () => void = () => {};
    routes.set('/stepwise', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: 1\n\n');
      finish = () => response.end('data: 2\n\n');
    });
    const answer = await sendUpstream(agent, call('/stepwise'), 'fake');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/event-stream');
    const first = await answer.body.next();
    expect(first.done).toBe(false);
    expect(String(first.value)).toBe('data: 1\n\n');
    expect(answer.body.settled).toBe(false);
    finish();
    expect((await collect(answer.body)).toString('utf8')).toBe('data: 2\n\n');
    expect(answer.body.settled).toBe(true);
  });

  it('pauses the connection while the reader is not reading, and loses nothing', async () => {
    const piece = Buffer.alloc(64 * 1024);
    const pieces = 512; // 32 MB: far more than the sockets' buffers hold
    let sent = 0;
    let finished = false;
    routes.set('/large', (_request, response) => {
      response.writeHead(200);
      const more = () => {
        while (sent < pieces) {
          piece.fill(sent % 251);
          const accepted = response.write(Buffer.from(piece));
          sent++;
          if (!accepted) {
            response.once('drain', more);
            return;
          }
        }
        response.end(() => (finished = true));
      };
      more();
    });
    const answer = await sendUpstream(agent, call('/large'), 'fake');
    // Until the server stops getting anywhere: held back by the paused connection (or done, if not).
    let last = -1;
    await expect
      .poll(
        () => {
          const still = sent === last;
          last = sent;
          return still || finished;
        },
        { interval: 100, timeout: 20_000 },
      )
      .toBe(true);
    expect(finished).toBe(false);
    expect(answer.body.queuedBytes).toBeLessThanOrEqual(HIGH_WATER_MARK + piece.length);
    const body = await collect(answer.body);
    expect(body.length).toBe(pieces * piece.length);
    for (let index = 0; index < pieces; index++) {
      expect(body[index * piece.length + 1000]).toBe(index % 251);
    }
    expect(finished).toBe(true);
  });

  it('drains a body it stops reading, so the connection is used again', async () => {
    const ports: number[] = [];
    let finish: () => void = () => {};
    routes.set('/drained', (request, response) => {
      ports.push(request.socket.remotePort ?? 0);
      response.writeHead(200);
      response.write('first');
      finish = () => response.end('rest'.repeat(1000));
    });
    routes.set('/after', (request, response) => {
      ports.push(request.socket.remotePort ?? 0);
      response.writeHead(200).end('after');
    });
    const answer = await sendUpstream(agent, call('/drained'), 'fake');
    expect(String((await answer.body.next()).value)).toBe('first');
    answer.body.drain();
    expect((await answer.body.next()).done).toBe(true);
    finish();
    await expect.poll(() => answer.body.settled).toBe(true);
    const after = await sendUpstream(agent, call('/after'), 'fake');
    expect((await collect(after.body)).toString('utf8')).toBe('after');
    expect(ports[1]).toBe(ports[0]);
  });

  it('destroys a body it gives up on: the upstream request is aborted', async () => {
    let socketClosed = false;
    routes.set('/given-up', (request, response) => {
      request.socket.once('close', () => (socketClosed = true));
      response.writeHead(200);
      response.write('first');
    });
    const answer = await sendUpstream(agent, call('/given-up'), 'fake');
    await answer.body.next();
    expect(socketClosed).toBe(false);
    answer.body.destroy();
    expect((await answer.body.next()).done).toBe(true);
    await expect.poll(() => socketClosed).toBe(true);
  });

  it('gives what arrived before a cut, then the fault, which relayBody names', async () => {
    routes.set('/cut', (_request, response) => {
      response.writeHead(200);
      response.write('before the cut', () => setTimeout(() => response.socket?.destroy(), 20));
    });
    const answer = await sendUpstream(agent, call('/cut'), 'fake');
    const relayed: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const chunk of relayBody(answer, new AbortController().signal, 'fake')) {
          relayed.push(chunk.toString('utf8'));
        }
      })(),
    );
    expect(relayed.join('')).toBe('before the cut');
    expect((error as UpstreamFailure).gatewayCode).toBe('GW_ERR_UPSTREAM_BAD_RESPONSE');
    expect((error as UpstreamFailure).message).toBe('The provider fake cut the answer short.');
  });

  it('ends the body of a call whose signal aborts: the client gone, or the deadline', async () => {
    routes.set('/hang-body', (_request, response) => {
      response.writeHead(200);
      response.write('first');
    });
    for (const reason of [new ClientClosed('gone'), new DeadlineExceeded('deadline')]) {
      const controller = new AbortController();
      const answer = await sendUpstream(agent, call('/hang-body', controller.signal), 'fake');
      const reading = failureOf(collect(relayBody(answer, controller.signal, 'fake')));
      controller.abort(reason);
      const error = await reading;
      if (reason instanceof ClientClosed) expect(error).toBe(reason);
      else expect((error as UpstreamFailure).gatewayCode).toBe('GW_ERR_UPSTREAM_TIMEOUT');
    }
  });

  it('reads a whole body within its limit, declared or not', async () => {
    routes.set('/whole', (_request, response) => {
      response.writeHead(200);
      response.write('ab');
      response.end('cd');
    });
    routes.set('/declared-large', (_request, response) => {
      response.writeHead(200, { 'content-length': '100' }).end('x'.repeat(100));
    });
    routes.set('/chunked-large', (_request, response) => {
      response.writeHead(200);
      response.write('x'.repeat(60));
      response.end('x'.repeat(60));
    });
    const signal = new AbortController().signal;
    const whole = await sendUpstream(agent, call('/whole'), 'fake');
    expect((await readBody(whole, signal, 'fake', 4)).toString('utf8')).toBe('abcd');
    for (const path of ['/declared-large', '/chunked-large']) {
      const answer = await sendUpstream(agent, call(path), 'fake');
      const error = await failureOf(readBody(answer, signal, 'fake', 50));
      expect((error as UpstreamFailure).message).toContain('larger than 50 bytes');
    }
  });

  it('refuses a call whose signal aborted before it started', async () => {
    const before = new AbortController();
    before.abort(new ClientClosed('gone before the call'));
    expect(await failureOf(sendUpstream(agent, call('/whole', before.signal), 'fake'))).toBeInstanceOf(
      ClientClosed,
    );
  });
});

describe('UpstreamBody', () => {
  it('has one reader at a time, and hands a waiting reader the next chunk directly', async () => {
    const body = new UpstreamBody();
    const waiting = body.next();
    expect(await failureOf(body.next())).toBeInstanceOf(Error);
    body.write(Buffer.from('x'));
    expect(String((await waiting).value)).toBe('x');
    body.end();
    expect((await body.next()).done).toBe(true);
  });

  it('stops at a break out of for-await (destroyed), but not through keptOnReturn()', async () => {
    const kept = UpstreamBody.of(['a', 'b']);
    for await (const chunk of kept.keptOnReturn()) {
      expect(String(chunk)).toBe('a');
      break;
    }
    expect(String((await kept.next()).value)).toBe('b');
    const open = new UpstreamBody();
    open.write(Buffer.from('a'));
    open.write(Buffer.from('b'));
    for await (const chunk of open) {
      expect(String(chunk)).toBe('a');
      break;
    }
    expect(open.settled).toBe(true);
    expect((await open.next()).done).toBe(true);
  });
});
