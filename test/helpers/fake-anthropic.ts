/**
 * A fake Anthropic Messages API: the loopback FakeUpstream with Anthropic's route, answering from the
 * recorded responses in test/fixtures/anthropic/ (streams in Anthropic's SSE framing: each event's
 * `event:` field is its JSON `type`), and recording what the gateway sent.
 */
import { readFileSync } from 'node:fs';
import { FakeUpstream, type RecordedRequest, type ScriptedResponse } from './fake-upstream.js';

export const ANTHROPIC_KEY = 'sk-ant-api03-test-upstream-secret-0000';
export const MESSAGES_PATH = '/v1/messages';

/** A recorded response, by its file name under test/fixtures/anthropic/. */
export function anthropicFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/anthropic/${name}`, import.meta.url), 'utf8');
}

/** The events of a `.chunks.txt` fixture (one JSON event a line). */
export function fixtureEvents(name: string): Record<string, unknown>[] {
  return anthropicFixture(name)
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Events as Anthropic writes them: `event: <type>` then `data: <json>`, a blank line after each. */
export function anthropicSse(events: readonly (Record<string, unknown> | string)[]): string {
  return events
    .map((event) => {
      const data = typeof event === 'string' ? event : JSON.stringify(event);
      const type =
        typeof event === 'string' ? (JSON.parse(event) as { type: string }).type : String(event['type']);
      return `event: ${type}\ndata: ${data}\n\n`;
    })
    .join('');
}

/** A `.chunks.txt` fixture in SSE framing, its lines sent as recorded. */
export function fixtureSse(name: string): string {
  return anthropicSse(
    anthropicFixture(name)
      .split('\n')
      .filter((line) => line.trim().length > 0),
  );
}

export function unaryAnthropic(
  body: string | object,
  headers: Record<string, string> = {},
): ScriptedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'request-id': 'req_test', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

export function streamAnthropic(
  body: string,
  options: { chunkBytes?: number; reset?: number } = {},
): ScriptedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
    body,
    chunkBytes: options.chunkBytes,
    reset: options.reset,
  };
}

/** Anthropic's error body for a status and error type. */
export function anthropicError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): ScriptedResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'request-id': 'req_error', ...headers },
    json: { type: 'error', error: { type, message }, request_id: 'req_error' },
  };
}

export const DEFAULT_UNARY = 'anthropic-text.json';
export const DEFAULT_STREAM = 'anthropic-text.chunks.txt';

/** The recorded text answer: unary, or streamed when the request asks for a stream. */
export function messagesAnswer(request: RecordedRequest): ScriptedResponse {
  const body = request.json as { stream?: boolean } | undefined;
  return body?.stream === true
    ? streamAnthropic(fixtureSse(DEFAULT_STREAM))
    : unaryAnthropic(anthropicFixture(DEFAULT_UNARY));
}

/** Starts a fake answering every model with the recorded text answer (queue others per test). */
export async function startFakeAnthropic(): Promise<FakeUpstream> {
  const fake = new FakeUpstream();
  fake.route('POST', MESSAGES_PATH, messagesAnswer);
  return fake.listen();
}
