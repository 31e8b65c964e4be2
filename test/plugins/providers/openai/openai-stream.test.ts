import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  hasNonNullField,
  readOpenAIStream,
  withoutNullUsage,
} from '../../../../plugins/providers/openai/openai-stream.js';
import type { StreamEvent } from '../../../../src/provider.js';
import { UpstreamBody } from '../../../../src/upstream-body.js';
import { UpstreamFailure, type UpstreamAnswer } from '../../../../src/upstream.js';

describe('withoutNullUsage', () => {
  it('removes the member with the comma before it, as OpenAI places it after choices', () => {
    expect(withoutNullUsage('{"id":"c","choices":[],"usage":null}')).toBe('{"id":"c","choices":[]}');
    expect(withoutNullUsage('{"id":"c","usage":null,"obfuscation":"x"}')).toBe(
      '{"id":"c","obfuscation":"x"}',
    );
  });

  it('removes it with the comma after it when it comes first', () => {
    expect(withoutNullUsage('{"usage":null,"id":"c"}')).toBe('{"id":"c"}');
  });

  it('leaves an event without it, or with a usage, unchanged', () => {
    const plain = '{"id":"c","choices":[{"delta":{"content":"usage: null"}}]}';
    expect(withoutNullUsage(plain)).toBe(plain);
    const counted = '{"id":"c","choices":[],"usage":{"total_tokens":3}}';
    expect(withoutNullUsage(counted)).toBe(counted);
  });

  it('never touches the words inside a string, which JSON escapes', () => {
    const quoted = '{"id":"c","choices":[{"delta":{"content":"say \\"usage\\":null"}}]}';
    expect(withoutNullUsage(quoted)).toBe(quoted);
    expect(hasNonNullField(quoted, 'usage')).toBe(false);
  });
});

describe('readOpenAIStream', () => {
  const chunk = (n: number) =>
    `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"t${n}"}}]}\n\n`;

  /** A body written by the test, whose abort (a destroyed body) is seen. */
  function upstream() {
    const state = { aborted: false };
    const controller = {
      paused: false,
      pause() {},
      resume() {},
      abort() {
        state.aborted = true;
      },
    } as unknown as Dispatcher.DispatchController;
    const body = new UpstreamBody(controller);
    const response: UpstreamAnswer = { statusCode: 200, headers: {}, body };
    return { body, response, state };
  }

  const contentOf = (result: IteratorResult<StreamEvent> | undefined) =>
    result?.done === false ? result.value.chunk.choices[0]?.delta.content : result?.done;

  it('hands over the rest of a read through nextReady, then waits for the next read', async () => {
    const { body, response, state } = upstream();
    const reader = readOpenAIStream(response, new AbortController().signal, 'openai', []);
    body.write(Buffer.from(chunk(0) + chunk(1) + chunk(2)));
    expect(reader.nextReady()).toBeUndefined(); // nothing decoded before the first next()
    expect(contentOf(await reader.next())).toBe('t0');
    expect(contentOf(reader.nextReady())).toBe('t1');
    expect(contentOf(reader.nextReady())).toBe('t2');
    expect(reader.nextReady()).toBeUndefined();
    const waiting = reader.next();
    body.write(Buffer.from(chunk(3) + 'data: [DONE]\n\n'));
    expect(contentOf(await waiting)).toBe('t3');
    expect(reader.nextReady()).toEqual({ done: true, value: undefined });
    expect(await reader.next()).toEqual({ done: true, value: undefined });
    // Stopped at [DONE] before the body's end: drained for the connection's reuse, not aborted.
    body.end();
    expect(state.aborted).toBe(false);
  });

  it('throws an error event from nextReady and releases the upstream', async () => {
    const { body, response, state } = upstream();
    const reader = readOpenAIStream(response, new AbortController().signal, 'openai', ['sk-secret']);
    body.write(
      Buffer.from(chunk(0) + 'data: {"error":{"message":"overloaded sk-secret","code":529}}\n\n' + chunk(1)),
    );
    expect(contentOf(await reader.next())).toBe('t0');
    let thrown: unknown;
    try {
      reader.nextReady();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UpstreamFailure);
    expect((thrown as UpstreamFailure).gatewayCode).toBe('GW_ERR_UPSTREAM_ERROR');
    expect((thrown as Error).message).not.toContain('sk-secret');
    expect(state.aborted).toBe(true);
    expect(reader.nextReady()).toEqual({ done: true, value: undefined });
  });

  it('fails a stream that ends without [DONE], after its last event', async () => {
    const { body, response } = upstream();
    const reader = readOpenAIStream(response, new AbortController().signal, 'openai', []);
    body.write(Buffer.from(chunk(0)));
    body.end();
    expect(contentOf(await reader.next())).toBe('t0');
    await expect(reader.next()).rejects.toMatchObject({ gatewayCode: 'GW_ERR_UPSTREAM_BAD_RESPONSE' });
  });

  it('releases the upstream when returned while it waits for a read', async () => {
    const { body, response, state } = upstream();
    const reader = readOpenAIStream(response, new AbortController().signal, 'openai', []);
    body.write(Buffer.from(chunk(0)));
    expect(contentOf(await reader.next())).toBe('t0');
    const waiting = reader.next();
    await reader.return();
    expect(state.aborted).toBe(true);
    expect(await waiting).toEqual({ done: true, value: undefined });
  });
});
