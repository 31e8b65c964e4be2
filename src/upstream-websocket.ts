/**
 * WebSockets to upstreams (realtime sessions): opened with the `ws` client, resolved once the
 * provider accepted the upgrade, with the same failures as an HTTP call: a refusal (the provider
 * answered the upgrade with an HTTP status) read and converted by the adapter, a host that cannot be
 * reached, the call's deadline or its client gone (toUpstreamFailure).
 * @see https://github.com/websockets/ws/blob/master/doc/ws.md#new-websocketaddress-protocols-options
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { UpstreamFailure, toUpstreamFailure } from './upstream.js';

/** The provider's answer to an upgrade it refused: its status, headers and body text (1 MB at most). */
export interface WebSocketRefusal {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export interface UpstreamWebSocketOptions {
  /** Headers of the upgrade request, the provider's credential included. */
  readonly headers: Record<string, string>;
  /** The call's signal: aborted when its client goes away or its deadline passes. */
  readonly signal: AbortSignal;
  /** The instance id, for messages. */
  readonly provider: string;
  /** Largest message taken from the provider, bytes. */
  readonly maxPayload: number;
  /** Reads a refusal as the provider words its errors. */
  convertRefusal(refusal: WebSocketRefusal): UpstreamFailure;
}

const REFUSAL_TEXT_LIMIT = 1024 * 1024;

/** `http(s)://` as `ws(s)://`: the origin of an instance's base URL, for its WebSocket endpoints. */
export function webSocketOrigin(origin: string): string {
  return origin.replace(/^http(s?):/, 'ws$1:');
}

function readRefusal(response: IncomingMessage): Promise<WebSocketRefusal> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () =>
      resolve({
        status: response.statusCode ?? 502,
        headers: response.headers,
        text: Buffer.concat(chunks).toString('utf8'),
      });
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= REFUSAL_TEXT_LIMIT) chunks.push(chunk);
    });
    response.once('end', done);
    response.once('error', done);
    response.once('aborted', done);
  });
}

/**
 * Opens a WebSocket to `url`; resolves once it is open, paused (the events the provider sends at
 * once, such as a greeting, wait until the caller listens and calls `resume()`), rejects with a
 * catalogue error.
 */
export function openUpstreamWebSocket(url: string, options: UpstreamWebSocketOptions): Promise<WebSocket> {
  const { signal, provider } = options;
  if (signal.aborted) return Promise.reject(toUpstreamFailure(signal.reason, signal, provider));
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      headers: options.headers,
      perMessageDeflate: false,
      maxPayload: options.maxPayload,
    });
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('open', onOpen);
      if (error === null) return resolve(socket);
      // Errors after a refusal or an abort (the socket torn down) are of no interest.
      socket.on('error', () => {});
      socket.terminate();
      reject(error);
    };
    const onOpen = () => {
      // Synchronously with 'open', before the first message can be read.
      socket.pause();
      settle(null);
    };
    const onAbort = () => settle(toUpstreamFailure(signal.reason, signal, provider));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('open', onOpen);
    socket.once('error', (error) => settle(toUpstreamFailure(error, signal, provider)));
    socket.once('unexpected-response', (request, response) => {
      readRefusal(response).then(
        (refusal) => {
          request.destroy();
          settle(options.convertRefusal(refusal));
        },
        () => settle(new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'http', { upstreamStatus: 502 })),
      );
    });
  });
}
