/**
 * One realtime session: two WebSockets, the client's and the provider's, with every event relayed
 * both ways unchanged (text frames as text, binary as binary) and the provider's `response.done`
 * events handed to the route for accounting.
 *
 * Back-pressure: when the side being written to has more than a sixteenth of `maxBufferedBytes`
 * waiting, reading from the other side pauses until it drains; if what waits still reaches
 * `maxBufferedBytes` (events read before the pause took hold), the session is closed with 1013.
 *
 * Close codes: a client's close is passed on to the provider with its code (1001 for a connection
 * lost without one), a provider's to the client with its code and reason (1014 for a connection
 * lost without one); the gateway's own ends close both sides: 1008 at the maximum length, 1013 past
 * the buffer bound, 1001 at shutdown.
 * @see https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1
 */
import { performance } from 'node:perf_hooks';
import WebSocket, { type RawData } from 'ws';

/** Why a session ended, as metrics and the access log name it. */
export type SessionEndReason =
  'client_closed' | 'upstream_closed' | 'max_duration' | 'buffer_limit' | 'shutdown';

export interface SessionSummary {
  readonly reason: SessionEndReason;
  readonly durationMs: number;
  readonly events: { readonly fromClient: number; readonly fromUpstream: number };
  /** The code each socket closed with (1005: none was sent, 1006: the connection was lost). */
  readonly closeCodes: { readonly client: number | null; readonly upstream: number | null };
}

export interface RealtimeSessionOptions {
  readonly maxBufferedBytes: number;
  readonly maxSessionMs: number;
  /** A text event from the provider that is, or may be, one the route accounts (`response.done`). */
  onUpstreamEvent(type: string, event: Record<string, unknown>): void;
  /** An event relayed, by direction. */
  onRelayed(direction: 'client_to_upstream' | 'upstream_to_client'): void;
  /** Called once, when both sockets are closed. */
  onEnd(summary: SessionSummary): void;
}

/** The events the route reads; every other event is relayed without being parsed. */
const READ_EVENTS = [Buffer.from('"response.done"'), Buffer.from('"response.created"')];

/** Whether a close code may be sent in a close frame (1005 and 1006 are only ever reported). */
export function isSendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

export class RealtimeSession {
  readonly #client: WebSocket;
  readonly #upstream: WebSocket;
  readonly #options: RealtimeSessionOptions;
  readonly #startedAt = performance.now();
  readonly #lowWater: number;
  #reason: SessionEndReason | null = null;
  #fromClient = 0;
  #fromUpstream = 0;
  #clientCode: number | null = null;
  #upstreamCode: number | null = null;
  #ended = false;
  readonly #timer: NodeJS.Timeout;

  constructor(client: WebSocket, upstream: WebSocket, options: RealtimeSessionOptions) {
    this.#client = client;
    this.#upstream = upstream;
    this.#options = options;
    this.#lowWater = Math.floor(options.maxBufferedBytes / 16);
    this.#timer = setTimeout(
      () =>
        this.end(
          'max_duration',
          1008,
          `session reached its maximum length (${Math.round(options.maxSessionMs / 1000)} s)`,
        ),
      options.maxSessionMs,
    );
    this.#timer.unref();

    client.on('message', (data, isBinary) => {
      this.#fromClient++;
      options.onRelayed('client_to_upstream');
      this.#forward(upstream, client, data, isBinary);
    });
    upstream.on('message', (data, isBinary) => {
      this.#fromUpstream++;
      options.onRelayed('upstream_to_client');
      this.#forward(client, upstream, data, isBinary);
      if (!isBinary) this.#read(data);
    });
    // A socket's error is followed by its close, which ends the session.
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', (code, reason) => {
      this.#clientCode = code;
      this.#closedBy('client', code, reason);
    });
    upstream.on('close', (code, reason) => {
      this.#upstreamCode = code;
      this.#closedBy('upstream', code, reason);
    });
    // The provider's socket was opened paused, so that nothing it sent is lost before now.
    upstream.resume();
    if (upstream.readyState === WebSocket.CLOSED) {
      this.#upstreamCode = 1006;
      this.#closedBy('upstream', 1006, Buffer.alloc(0));
    }
  }

  /** Ends the session from the gateway's side: both sockets closed with `code` and `reason`. */
  end(reason: SessionEndReason, code: number, text: string): void {
    this.#reason ??= reason;
    close(this.#client, code, text);
    close(this.#upstream, code, text);
  }

  /** Sends an event on, pausing its source while the destination has too much waiting. */
  #forward(destination: WebSocket, source: WebSocket, data: RawData, isBinary: boolean): void {
    if (destination.readyState !== WebSocket.OPEN) return;
    // The bound is on what waits already: one event, however large, is always taken by an empty queue.
    if (destination.bufferedAmount >= this.#options.maxBufferedBytes) {
      this.end('buffer_limit', 1013, 'too many events waiting to be sent: closed by the gateway');
      return;
    }
    destination.send(data, { binary: isBinary }, () => {
      if (source.isPaused && destination.bufferedAmount <= this.#lowWater) source.resume();
    });
    if (destination.bufferedAmount > this.#lowWater && !source.isPaused) source.pause();
  }

  /** Hands the events the route accounts to it, parsed; the rest are not parsed at all. */
  #read(data: RawData): void {
    const buffer = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    if (!READ_EVENTS.some((marker) => buffer.includes(marker))) return;
    let event: unknown;
    try {
      event = JSON.parse(buffer.toString('utf8'));
    } catch {
      return;
    }
    if (event === null || typeof event !== 'object') return;
    const type = (event as { type?: unknown }).type;
    if (typeof type === 'string') this.#options.onUpstreamEvent(type, event as Record<string, unknown>);
  }

  #closedBy(side: 'client' | 'upstream', code: number, reason: Buffer): void {
    const other = side === 'client' ? this.#upstream : this.#client;
    if (this.#reason === null) {
      this.#reason = side === 'client' ? 'client_closed' : 'upstream_closed';
      const text = reason.toString('utf8');
      if (isSendableCloseCode(code)) close(other, code, text);
      else if (code === 1005) close(other);
      else if (side === 'client') close(other, 1001, 'client connection lost');
      else close(other, 1014, 'upstream connection lost');
    }
    // Whatever state it is in, the other side's paused reading must not hold its close.
    if (other.isPaused) other.resume();
    if (this.#clientCode !== null && this.#upstreamCode !== null) this.#finish();
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#options.onEnd({
      reason: this.#reason ?? 'client_closed',
      durationMs: performance.now() - this.#startedAt,
      events: { fromClient: this.#fromClient, fromUpstream: this.#fromUpstream },
      closeCodes: { client: this.#clientCode, upstream: this.#upstreamCode },
    });
  }
}

/** Closes a socket that is still open (or opening); one already closing is left to finish. */
function close(socket: WebSocket, code?: number, reason?: string): void {
  if (socket.readyState === WebSocket.CLOSING || socket.readyState === WebSocket.CLOSED) return;
  // A close reason is at most 123 bytes (RFC 6455, 5.5.1).
  const text = reason === undefined ? undefined : truncateUtf8(reason, 123);
  socket.close(code, text);
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  return bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}
