/**
 * A fake OpenAI: the loopback FakeUpstream with OpenAI's routes answering from the recorded-form
 * fixtures in test/fixtures/openai/, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { FakeUpstream, type ScriptedResponse } from './fake-upstream.js';

export function openaiFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/openai/${name}`, import.meta.url), 'utf8');
}

export const CHAT_COMPLETION = openaiFixture('chat-completion.json');
export const CHAT_STREAM = openaiFixture('chat-completion-stream.txt');
export const CHAT_STREAM_USAGE = openaiFixture('chat-completion-stream-usage.txt');
export const CHAT_STREAM_TOOL_CALLS = openaiFixture('chat-completion-stream-tool-calls.txt');

export function unaryChat(body = CHAT_COMPLETION): ScriptedResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}

export function streamChat(body = CHAT_STREAM, chunkBytes?: number): ScriptedResponse {
  return { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body, chunkBytes };
}

export function openaiError(
  status: number,
  fixture: string,
  headers: Record<string, string> = {},
): ScriptedResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: openaiFixture(fixture),
  };
}

export async function startFakeOpenAI(): Promise<FakeUpstream> {
  const fake = new FakeUpstream();
  fake.route('POST', '/v1/chat/completions', (request) => {
    const body = request.json as
      { stream?: boolean; stream_options?: { include_usage?: boolean } } | undefined;
    if (!body?.stream) return unaryChat();
    return streamChat(body.stream_options?.include_usage ? CHAT_STREAM_USAGE : CHAT_STREAM);
  });
  return fake.listen();
}
