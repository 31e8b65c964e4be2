/**
 * Upstream HTTP: one shared undici Agent (a keep-alive pool per origin), injectable for tests, and
 * the mapping of transport faults onto the error catalogue. Adapters call `sendUpstream` and never
 * see a raw socket error.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { GatewayError, type GatewayErrorOptions, type ErrorCode } from './errors.js';
import { UpstreamBody } from './upstream-body.js';

export interface UpstreamAgentOptions {
  connections: number;
  connectTimeout: number;
  keepAliveTimeout: number;
}

export function createUpstreamAgent(options: UpstreamAgentOptions): Agent {
  return new Agent({
    connections: options.connections,
    keepAliveTimeout: options.keepAliveTimeout,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeout, 600_000),
    connect: { timeout: options.connectTimeout },
    // The call's own deadline bounds waiting; undici's 300 s defaults would outlive it.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

export type FailureKind = 'http' | 'timeout' | 'connection' | 'bad_response' | 'mid_stream';

/** An upstream call that failed; `retryable` and `retryAfterMs` drive retries and failover. */
export class UpstreamFailure extends GatewayError {
  override name = 'UpstreamFailure';
  readonly kind: FailureKind;
  readonly upstreamStatus: number | null;
  readonly retryAfterMs: number | null;
  readonly retryable: boolean;
  readonly nextDeployment: boolean;

  constructor(
    gatewayCode: ErrorCode,
    kind: FailureKind,
    options: GatewayErrorOptions & {
      upstreamStatus?: number | null;
      retryAfterMs?: number | null;
      /** Overrides what the kind and status say (a provider's own overload signal). */
      retryable?: boolean;
      /** Retryable, but on the next deployment only, never again on this one. */
      nextDeployment?: boolean;
    } = {},
  ) {
    super(gatewayCode, options);
    this.kind = kind;
    this.upstreamStatus = options.upstreamStatus ?? null;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.nextDeployment = options.nextDeployment ?? false;
    this.retryable =
      options.retryable ??
      (kind === 'http' ? isRetryableStatus(this.upstreamStatus ?? 0) : kind !== 'mid_stream');
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Why a call's signal was aborted. */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}
export class ClientClosed extends Error {
  override name = 'ClientClosed';
}

/** `Retry-After` as seconds or an HTTP date → milliseconds (null when absent or unreadable). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function timeoutFailure(): UpstreamFailure {
  return new UpstreamFailure('GW_ERR_UPSTREAM_TIMEOUT', 'timeout');
}

/**
 * Maps whatever a transport call threw to the catalogue. A client disconnect is rethrown as the
 * `ClientClosed` reason so callers stop quietly; a deadline becomes a 504.
 */
export function toUpstreamFailure(error: unknown, signal: AbortSignal, provider: string): Error {
  if (error instanceof GatewayError) return error;
  if (signal.aborted) {
    if (signal.reason instanceof ClientClosed) return signal.reason;
    return timeoutFailure();
  }
  const code = (error as { code?: string }).code ?? '';
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return timeoutFailure();
  }
  return new UpstreamFailure('GW_ERR_UPSTREAM_UNREACHABLE', 'connection', {
    message: `The provider ${provider} could not be reached (${code || (error as Error).message}).`,
    cause: error,
  });
}

export interface UpstreamRequest {
  origin: string;
  path: string;
  method?: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body?: string | Buffer | NodeJS.ReadableStream;
  signal: AbortSignal;
}

/** An upstream answer whose body is read as it arrives. */
export interface UpstreamAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: UpstreamBody;
}

/**
 * Dispatches `request` with the handler `handlerFor` makes, tied to the request's signal: an abort
 * aborts the call, whenever it comes. The handler gets `untie`, to call once the call is over. When
 * the signal has aborted already, or `dispatch` throws, nothing is sent: the signal is untied and
 * `fail` gets the reason.
 */
function dispatchTied(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  handlerFor: (untie: () => void) => Dispatcher.DispatchHandler,
  fail: (error: unknown) => void,
): void {
  const { signal } = request;
  let controller: Dispatcher.DispatchController | undefined;
  const onAbort = () => controller?.abort(signal.reason as Error);
  const untie = () => signal.removeEventListener('abort', onAbort);
  if (signal.aborted) {
    fail(signal.reason);
    return;
  }
  const handler = handlerFor(untie);
  handler.onRequestStart = (started) => {
    controller = started;
    if (signal.aborted) started.abort(signal.reason as Error);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    dispatcher.dispatch(
      {
        origin: request.origin,
        path: request.path,
        method: request.method ?? 'POST',
        headers: request.headers,
        body: request.body as Dispatcher.DispatchOptions['body'],
      },
      handler,
    );
  } catch (error) {
    untie();
    fail(error);
  }
}

/**
 * Sends one request through the dispatcher and gives its answer once the headers are in, the body
 * to be read as it arrives (`UpstreamBody`). It goes through `dispatch` and a handler of its own, not
 * undici's `request()`: no `Readable` per answer, no AsyncResource, no promise for a chunk already
 * queued. The dispatcher's interceptors (trace propagation) apply; an abort of `signal` aborts the
 * call, and the body's reader gets the abort; transport faults come back as catalogue errors.
 */
export function sendUpstream(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  provider: string,
): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const { signal } = request;
    const fail = (error: unknown) => reject(toUpstreamFailure(error, signal, provider));
    dispatchTied(
      dispatcher,
      request,
      (untie) => {
        let body: UpstreamBody | undefined;
        return {
          onResponseStart(started, status, headers) {
            // 1xx answers are informational: the final one follows.
            if (status < 200) return;
            body = new UpstreamBody(started, untie);
            resolve({ statusCode: status, headers, body });
          },
          onResponseData(_started, chunk) {
            body?.write(chunk);
          },
          onResponseEnd() {
            if (body) body.end();
            else untie();
          },
          onResponseError(_started, error) {
            if (body) body.fail(error);
            else {
              untie();
              fail(error);
            }
          },
        };
      },
      fail,
    );
  });
}

/** An upstream answer read whole: status, headers and the body's bytes as they arrived. */
export interface WholeAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const isSuccess = (status: number) => status >= 200 && status <= 299;

/**
 * Sends one request and reads its whole answer through `dispatch` and a handler of its own: no body
 * stream, no AsyncResource and no promise per chunk, which undici's `request()` adds to every call.
 * The dispatcher's interceptors (trace propagation) apply as they do to `request()`; an abort of
 * `signal` aborts the call; transport faults come back as catalogue errors. A success body above
 * `limit` bytes fails the call; an error answer (non-2xx) whose body is above `errorLimit` or cut
 * short comes back with an empty body, as `readErrorText` gives it: its status still speaks.
 */
export function sendUpstreamWhole(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  provider: string,
  limit = 64 * 1024 * 1024,
  errorLimit = 1024 * 1024,
): Promise<WholeAnswer> {
  return new Promise((resolve, reject) => {
    const { signal } = request;
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    let cap = limit;
    let chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: unknown) => {
      chunks = [];
      if (statusCode !== 0 && !isSuccess(statusCode) && !signal.aborted) {
        resolve({ statusCode, headers, body: Buffer.alloc(0) });
      } else {
        reject(toUpstreamFailure(error, signal, provider));
      }
    };
    const tooLarge = () =>
      new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${provider} sent a response larger than ${limit} bytes.`,
      });
    dispatchTied(
      dispatcher,
      request,
      (untie) => ({
        onResponseStart(started, status, received) {
          // 1xx answers are informational: the final one follows.
          if (status < 200) return;
          statusCode = status;
          headers = received;
          if (!isSuccess(status)) cap = errorLimit;
          if (Number(received['content-length']) > cap) started.abort(tooLarge());
        },
        onResponseData(started, chunk) {
          size += chunk.length;
          if (size > cap) started.abort(tooLarge());
          else chunks.push(chunk);
        },
        onResponseEnd() {
          untie();
          resolve({
            statusCode,
            headers,
            body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
          });
        },
        onResponseError(_started, error) {
          untie();
          fail(error);
        },
      }),
      fail,
    );
  });
}

/** Reads a whole body, failing with a catalogue error on a cut connection or deadline. */
export async function readBody(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  limit = 64 * 1024 * 1024,
): Promise<Buffer> {
  const tooLarge = () =>
    new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
      message: `The provider ${provider} sent a response larger than ${limit} bytes.`,
    });
  if (Number(response.headers['content-length']) > limit) {
    response.body.destroy();
    throw tooLarge();
  }
  try {
    return await response.body.bytes(limit, tooLarge);
  } catch (error) {
    throw toUpstreamFailure(error, signal, provider);
  }
}

/** Drops a body we will not read, closing its connection if it has not all arrived. */
export function destroyBody(response: UpstreamAnswer): void {
  response.body.destroy();
}

/**
 * Relays a body as it arrives (audio, event streams passed through unchanged). A cut connection or a
 * deadline is thrown as a catalogue error; stopping early (`return()`) destroys the body so the
 * upstream request ends too.
 */
export async function* relayBody(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
): AsyncGenerator<Buffer, void, undefined> {
  let finished = false;
  try {
    for await (const chunk of response.body) yield chunk;
    finished = true;
  } catch (error) {
    if (error instanceof GatewayError || signal.aborted) throw toUpstreamFailure(error, signal, provider);
    throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
      message: `The provider ${provider} cut the answer short.`,
      cause: error,
    });
  } finally {
    if (!finished) destroyBody(response);
  }
}

export function originOf(baseUrl: string): { origin: string; pathPrefix: string } {
  const url = new URL(baseUrl);
  return { origin: url.origin, pathPrefix: url.pathname.replace(/\/+$/, '') };
}

/** Removes secrets the gateway holds from text that came from an upstream before it reaches a client. */
export function scrubSecrets(text: string, secrets: (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join('[redacted]');
  }
  return result;
}
