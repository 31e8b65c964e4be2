/**
 * A real loopback HTTP server that plays a provider: it records every request it receives and
 * answers from a script: JSON, SSE streams cut at chosen byte boundaries, error statuses, delays,
 * hangs and connection resets. Provider-specific fakes (fake-openai.ts, fake-gemini.ts) add routes.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  url: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body. */
  body?: string | Buffer;
  /** SSE events: strings are sent as `data: <string>`, objects as `data: <JSON>`. */
  sse?: (string | object)[];
  /** Bytes per write, to cut the body at awkward places (inside lines, inside UTF-8 characters). */
  chunkBytes?: number;
  /** Wait before sending headers. */
  delayMs?: number;
  /** Never answer / stop after the headers / stop after this many body bytes. */
  hang?: 'before-headers' | 'after-headers' | number;
  /** Destroy the connection before the headers, or after this many body bytes. */
  reset?: 'before-headers' | number;
  /** Stop after this many body bytes until `release` settles, then send the rest. */
  holdAt?: number;
  release?: Promise<unknown>;
}

export type Responder = (request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>;

export function sseBody(events: (string | object)[]): string {
  return events
    .map((event) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`)
    .join('');
}

export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  readonly #routes = new Map<string, Responder>();
  readonly #queues = new Map<string, ScriptedResponse[]>();
  #fallback: Responder | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #server: Server;
  /** Connections opened by the gateway, to check keep-alive reuse. */
  connections = 0;
  /** Requests whose connection closed before the answer was complete (the gateway aborted). */
  aborted = 0;
  /**
   * `body` (path, bytes so far) as each piece of a request body arrives, and `body-aborted` (path)
   * when a request body stops before its end: to watch uploads while they are under way.
   */
  readonly progress = new EventEmitter();
  #origin = '';

  constructor() {
    this.#server = createServer((request, response) => void this.#handle(request, response));
    this.#server.on('connection', (socket) => {
      this.connections++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** On a free port of `host`: loopback, or an address a container can reach (test/deploy/check-image.ts). */
  async listen(host = '127.0.0.1'): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, host, resolve));
    this.#origin = `http://${host}:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get origin(): string {
    return this.#origin;
  }

  /** The default answer for `METHOD /path` (path without query). */
  route(method: string, path: string, responder: Responder): this {
    this.#routes.set(`${method} ${path}`, responder);
    return this;
  }

  /** The answer to a request no route or queue matches (by default a 404 naming it). */
  otherwise(responder: Responder): this {
    this.#fallback = responder;
    return this;
  }

  /** One-off answers for `METHOD /path`, used in order before the route's default. */
  enqueue(method: string, path: string, ...responses: ScriptedResponse[]): this {
    const key = `${method} ${path}`;
    this.#queues.set(key, [...(this.#queues.get(key) ?? []), ...responses]);
    return this;
  }

  /** The requests received on `path`. */
  received(path?: string): RecordedRequest[] {
    return path === undefined ? this.requests : this.requests.filter((request) => request.path === path);
  }

  last(): RecordedRequest {
    const request = this.requests.at(-1);
    if (!request) throw new Error('the fake upstream received no request');
    return request;
  }

  reset(): void {
    this.requests.length = 0;
    this.#queues.clear();
    this.aborted = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    const url = request.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    let received = 0;
    try {
      for await (const chunk of request) {
        chunks.push(chunk as Buffer);
        received += (chunk as Buffer).length;
        this.progress.emit('body', path, received);
      }
    } catch {
      this.aborted++;
      this.progress.emit('body-aborted', path);
      return;
    }
    const body = Buffer.concat(chunks);
    let json: unknown;
    try {
      json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
    } catch {
      json = undefined;
    }
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      url,
      path,
      headers: request.headers,
      body,
      json,
    };
    this.requests.push(recorded);
    response.on('close', () => {
      if (!response.writableFinished) this.aborted++;
    });

    const key = `${recorded.method} ${path}`;
    const queued = this.#queues.get(key)?.shift();
    const responder = this.#routes.get(key);
    let script: ScriptedResponse;
    if (queued) script = queued;
    else if (responder) script = await responder(recorded);
    else if (this.#fallback) script = await this.#fallback(recorded);
    else
      script = {
        status: 404,
        json: { error: { message: `fake upstream: no route for ${key}`, type: 'invalid_request_error' } },
      };
    await this.#play(script, response);
  }

  async #play(script: ScriptedResponse, response: ServerResponse): Promise<void> {
    if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
    if (script.hang === 'before-headers') return;
    if (script.reset === 'before-headers') {
      response.socket?.destroy();
      return;
    }
    let payload: Buffer;
    const headers: Record<string, string> = { ...script.headers };
    if (script.sse) {
      payload = Buffer.from(sseBody(script.sse));
      headers['content-type'] ??= 'text/event-stream';
    } else if (script.json !== undefined) {
      payload = Buffer.from(JSON.stringify(script.json));
      headers['content-type'] ??= 'application/json';
    } else {
      payload = typeof script.body === 'string' ? Buffer.from(script.body) : (script.body ?? Buffer.alloc(0));
    }
    response.writeHead(script.status ?? 200, headers);
    if (script.hang === 'after-headers') {
      response.flushHeaders();
      return;
    }
    const stopAt =
      typeof script.hang === 'number'
        ? script.hang
        : typeof script.reset === 'number'
          ? script.reset
          : payload.length;
    if (script.holdAt !== undefined) {
      response.write(payload.subarray(0, script.holdAt));
      await script.release;
      payload = payload.subarray(script.holdAt);
    }
    const step = script.chunkBytes ?? payload.length;
    for (let offset = 0; offset < Math.min(stopAt, payload.length); offset += step) {
      const end = Math.min(offset + step, stopAt, payload.length);
      response.write(payload.subarray(offset, end));
      // Let each piece leave as its own TCP segment so the gateway really sees the cut.
      if (step < payload.length) await new Promise((resolve) => setImmediate(resolve));
    }
    if (typeof script.reset === 'number') {
      // Give the bytes written so far time to be read, as on a real network, then cut.
      await new Promise((resolve) => setTimeout(resolve, 25));
      response.socket?.destroy();
      return;
    }
    if (typeof script.hang === 'number') return;
    response.end();
  }
}
