/** The playground's reading of a streamed chat, cut at every place a network read can cut it. */
import { describe, expect, it } from 'vitest';
import {
  ServerSentEventParser,
  applyChatStreamData,
  createChatStreamState,
} from '../../ui/src/read-chat-stream.js';

const STREAM = [
  'data: {"id":"c1","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}',
  '',
  ': a comment line',
  'data: {"id":"c1","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Héllo"}}]}',
  '',
  'data: {"id":"c1","choices":[{"index":0,"delta":{"content":" world"},"finish_reason":"stop"}]}',
  '',
  'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\r\n');

function read(pieces: string[]) {
  const state = createChatStreamState();
  const parser = new ServerSentEventParser((data) => applyChatStreamData(state, data));
  for (const piece of pieces) parser.push(piece);
  parser.end();
  return state;
}

describe('reading a streamed chat', () => {
  it('gathers the text, the finish reason and the usage', () => {
    const state = read([STREAM]);
    expect(state).toEqual({
      text: 'Héllo world',
      model: 'gpt-4o-mini',
      finishReason: 'stop',
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      done: true,
      error: null,
    });
  });

  it('reads the same whatever the stream is cut into', () => {
    const whole = read([STREAM]);
    for (let cut = 1; cut < STREAM.length; cut += 7) {
      expect(read([STREAM.slice(0, cut), STREAM.slice(cut)])).toEqual(whole);
    }
    expect(read([...STREAM])).toEqual(whole);
  });

  it('shows an error event the gateway sends mid-stream', () => {
    const state = read(['data: {"error":{"message":"upstream failed","code":"upstream_error"}}\n\n']);
    expect(state.error).toBe('upstream failed');
    expect(state.done).toBe(false);
  });

  it('joins multi-line data and dispatches an event left without its blank line', () => {
    const seen: string[] = [];
    const parser = new ServerSentEventParser((data) => seen.push(data));
    parser.push('data: one\ndata: two\n\nevent: x\ndata:three');
    parser.end();
    expect(seen).toEqual(['one\ntwo', 'three']);
  });
});
