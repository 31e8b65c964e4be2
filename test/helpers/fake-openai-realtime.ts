/**
 * A loopback fake of OpenAI's Realtime API: a `ws` WebSocketServer at `/v1/realtime` that speaks the
 * event protocol (session.created on connect, session.updated, conversation.item.created,
 * input_audio_buffer.committed, a response as response.created → response.output_text.delta →
 * response.output_text.done → response.done with a usage object as OpenAI reports it), and an HTTP
 * `POST /v1/realtime/client_secrets` and `/v1/realtime/sessions`. It records every upgrade request,
 * every event and frame it received, and the close code each session ended with.
 * @see https://platform.openai.com/docs/api-reference/realtime-server-events
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** The usage one response reports: text and audio, some of the input read from the cache. */
export const REALTIME_USAGE = {
  total_tokens: 1200,
  input_tokens: 400,
  output_tokens: 800,
  input_token_details: {
    text_tokens: 150,
    audio_tokens: 250,
    image_tokens: 0,
    cached_tokens: 128,
    cached_tokens_details: { text_tokens: 64, audio_tokens: 64, image_tokens: 0 },
  },
  output_token_details: { text_tokens: 200, audio_tokens: 600 },
};

export interface RealtimeConnectionRecord {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The client events received, parsed. */
  readonly events: Record<string, unknown>[];
  /** Binary frames received. */
  readonly binary: Buffer[];
  /** Set when the session ended: the code and reason the fake saw. */
  closed: { code: number; reason: string } | null;
  readonly socket: WebSocket;
}

export interface FakeRealtime {
  readonly origin: string;
  readonly connections: RealtimeConnectionRecord[];
  /** POST bodies received by the client secret and session endpoints, with their path and headers. */
  readonly minted: { path: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }[];
  /** The next upgrade is answered with this HTTP status and body instead of being accepted. */
  refuseNext(status: number, body: Record<string, unknown>): void;
  /** Resolves once `count` connections ended. */
  closedCount(count: number): Promise<void>;
  close(): Promise<void>;
}

function send(socket: WebSocket, event: Record<string, unknown>): void {
  socket.send(JSON.stringify({ event_id: `event_${randomUUID()}`, ...event }));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Answers one client event as OpenAI's server does. */
function answer(socket: WebSocket, event: Record<string, unknown>, session: Record<string, unknown>): void {
  switch (event['type']) {
    case 'session.update':
      Object.assign(session, event['session'] as Record<string, unknown>);
      send(socket, { type: 'session.updated', session });
      return;
    case 'conversation.item.create': {
      const item = { id: `item_${randomUUID()}`, status: 'completed', ...(event['item'] as object) };
      send(socket, { type: 'conversation.item.created', previous_item_id: null, item });
      return;
    }
    case 'input_audio_buffer.commit':
      send(socket, {
        type: 'input_audio_buffer.committed',
        previous_item_id: null,
        item_id: `item_${randomUUID()}`,
      });
      return;
    case 'response.create': {
      const id = `resp_${randomUUID()}`;
      const itemId = `item_${randomUUID()}`;
      const base = {
        object: 'realtime.response',
        id,
        conversation_id: 'conv_1',
        output_modalities: ['text'],
      };
      send(socket, {
        type: 'response.created',
        response: { ...base, status: 'in_progress', output: [], usage: null },
      });
      for (const delta of ['Hello', ' there']) {
        send(socket, {
          type: 'response.output_text.delta',
          response_id: id,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta,
        });
      }
      send(socket, {
        type: 'response.output_text.done',
        response_id: id,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        text: 'Hello there',
      });
      send(socket, {
        type: 'response.done',
        response: {
          ...base,
          status: 'completed',
          output: [
            {
              id: itemId,
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: 'Hello there' }],
            },
          ],
          usage: REALTIME_USAGE,
        },
      });
      return;
    }
    default:
      return;
  }
}

export async function startFakeOpenAIRealtime(): Promise<FakeRealtime> {
  const connections: RealtimeConnectionRecord[] = [];
  const minted: FakeRealtime['minted'] = [];
  let refusal: { status: number; body: Record<string, unknown> } | null = null;
  const waiters: { count: number; resolve: () => void }[] = [];
  const notify = () => {
    const closed = connections.filter((connection) => connection.closed !== null).length;
    for (const waiter of [...waiters]) {
      if (closed >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  const server: Server = createServer((request, response) => {
    void readBody(request).then((text) => {
      const path = request.url ?? '';
      if (
        request.method === 'POST' &&
        (path === '/v1/realtime/client_secrets' || path === '/v1/realtime/sessions')
      ) {
        const body = JSON.parse(text) as Record<string, unknown>;
        minted.push({ path, headers: request.headers, body });
        const session = path.endsWith('client_secrets') ? (body['session'] as object) : body;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ value: 'ek_fake_secret_value', expires_at: 1_900_000_000, session }));
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'Not found', type: 'invalid_request_error' } }));
    });
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
  });
  server.on('upgrade', (request, socket, head) => {
    // OpenAI's path, and Azure's (`/openai/v1/realtime`, `/openai/realtime`).
    if (new URL(request.url ?? '/', 'http://fake').pathname.endsWith('/realtime') === false) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    if (refusal) {
      const { status, body } = refusal;
      refusal = null;
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const query = new URL(request.url!, 'http://fake').searchParams;
      const model = query.get('model') ?? query.get('deployment');
      const record: RealtimeConnectionRecord = {
        url: request.url!,
        headers: request.headers,
        events: [],
        binary: [],
        closed: null,
        socket: ws,
      };
      connections.push(record);
      const session: Record<string, unknown> = {
        object: 'realtime.session',
        id: `sess_${randomUUID()}`,
        type: 'realtime',
        model,
        output_modalities: ['audio'],
        instructions: '',
      };
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          record.binary.push(data as Buffer);
          return;
        }
        const event = JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>;
        record.events.push(event);
        answer(ws, event, session);
      });
      ws.on('close', (code, reason) => {
        record.closed = { code, reason: reason.toString('utf8') };
        notify();
      });
      send(ws, { type: 'session.created', session });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    connections,
    minted,
    refuseNext(status, body) {
      refusal = { status, body };
    },
    closedCount(count) {
      return new Promise((resolve) => {
        waiters.push({ count, resolve });
        notify();
      });
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
