/**
 * The benchmark's fake upstream, run as its own process: OpenAI chat (unary and SSE), OpenAI
 * embeddings, Gemini generateContent and streamGenerateContent (SSE), Anthropic messages (unary and
 * its named events), and an OTLP/HTTP receiver for the gateway's traces, answering fixed bodies held in
 * memory as bytes. The only per-request work is reading the request and one byte search for
 * `"stream":true`, so the upstream costs as little as Node allows and the figures measure what sits
 * in front of it.
 *
 * Stream events are written one per event-loop turn, so each leaves as its own write, as a real
 * model's tokens do, instead of all twenty arriving in one read. Two models change that pacing:
 * `bench-burst` gets the whole stream in one write (the worst case for a gateway against a byte
 * pipe: one read for the floor, twenty events for the gateway), and `bench-paced` gets its events
 * PACED_EVENT_MS apart, as tokens arrive from a real model.
 *
 * Prints `listening <port>` on stdout once it accepts connections.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  buildAnthropicMessage,
  buildAnthropicStream,
  buildGeminiGenerateContent,
  buildGeminiStream,
  buildOpenAIChatCompletion,
  buildOpenAIChatStream,
  buildOpenAIEmbeddings,
} from './upstream-bodies.js';

const STREAM_FLAG = Buffer.from('"stream":true');
const BURST_MODEL = Buffer.from('"model":"bench-burst"');
const PACED_MODEL = Buffer.from('"model":"bench-paced"');
/** Time between the events of a paced stream. */
const PACED_EVENT_MS = 2;

interface Unary {
  headers: Record<string, string>;
  body: Buffer;
}

function unary(text: string): Unary {
  const body = Buffer.from(text);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      'x-request-id': 'req_bench_0001',
    },
  };
}

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-request-id': 'req_bench_0001',
};

const answers = {
  chat: unary(buildOpenAIChatCompletion()),
  chatStream: buildOpenAIChatStream().map((event) => Buffer.from(event)),
  chatStreamWhole: Buffer.from(buildOpenAIChatStream().join('')),
  embeddings: unary(buildOpenAIEmbeddings()),
  generate: unary(buildGeminiGenerateContent()),
  generateStream: buildGeminiStream().map((event) => Buffer.from(event)),
  message: unary(buildAnthropicMessage()),
  messageStream: buildAnthropicStream().map((event) => Buffer.from(event)),
  tracesAccepted: unary('{}'),
  notFound: unary(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } })),
};

function sendUnary(response: ServerResponse, answer: Unary, status = 200): void {
  response.writeHead(status, answer.headers);
  response.end(answer.body);
}

function sendStream(response: ServerResponse, events: Buffer[], pacedMs = 0): void {
  response.writeHead(200, STREAM_HEADERS);
  let next = 0;
  const writeNext = () => {
    if (response.destroyed) return;
    const event = events[next++];
    if (event === undefined) {
      response.end();
      return;
    }
    response.write(event);
    if (pacedMs > 0) setTimeout(writeNext, pacedMs);
    else setImmediate(writeNext);
  };
  writeNext();
}

function sendChatStream(response: ServerResponse, body: Buffer): void {
  if (body.includes(BURST_MODEL)) {
    response.writeHead(200, STREAM_HEADERS);
    response.end(answers.chatStreamWhole);
  } else if (body.includes(PACED_MODEL)) {
    sendStream(response, answers.chatStream, PACED_EVENT_MS);
  } else {
    sendStream(response, answers.chatStream);
  }
}

function route(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
  const url = request.url ?? '';
  if (url === '/v1/chat/completions') {
    if (body.includes(STREAM_FLAG)) sendChatStream(response, body);
    else sendUnary(response, answers.chat);
  } else if (url === '/v1/messages') {
    if (body.includes(STREAM_FLAG)) sendStream(response, answers.messageStream);
    else sendUnary(response, answers.message);
  } else if (url === '/v1/traces') {
    // The gateway's spans when the benchmark traces (--traces): accepted, not read.
    sendUnary(response, answers.tracesAccepted);
  } else if (url === '/v1/embeddings') {
    sendUnary(response, answers.embeddings);
  } else if (url.startsWith('/v1beta/models/') && url.endsWith(':generateContent')) {
    sendUnary(response, answers.generate);
  } else if (url.startsWith('/v1beta/models/') && url.endsWith(':streamGenerateContent?alt=sse')) {
    sendStream(response, answers.generateStream);
  } else {
    sendUnary(response, answers.notFound, 404);
  }
}

const server = createServer({ keepAliveTimeout: 120_000 }, (request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => route(request, response, parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
