import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  convertChunksToCompletion,
  convertCompletionToChunks,
} from '../../../src/cache/convert-cached-chat.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/openai/${name}`, import.meta.url), 'utf8');

function chunksOf(stream: string): string[] {
  return stream
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: ') && frame !== 'data: [DONE]')
    .map((frame) => frame.slice(6));
}

describe('a stored chat.completion replayed as a stream', () => {
  it('gives valid chunks carrying the whole message, its finish and, when asked, its usage', () => {
    const completion = JSON.parse(fixture('chat-completion.json'));
    const chunks = convertCompletionToChunks(completion, true);
    for (const chunk of chunks) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    expect(chunks).toHaveLength(3);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({
      role: 'assistant',
      content: completion.choices[0].message.content,
    });
    expect(chunks[1]!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks[2]!.choices).toEqual([]);
    expect(chunks[2]!.usage).toEqual(completion.usage);
    expect(chunks.every((chunk) => chunk.id === completion.id && chunk.model === completion.model)).toBe(
      true,
    );
    expect(convertCompletionToChunks(completion, false)).toHaveLength(2);
  });

  it('numbers tool calls, and round-trips through the assembler', () => {
    const completion = JSON.parse(fixture('chat-completion-tool-calls.json'));
    const chunks = convertCompletionToChunks(completion, true);
    for (const chunk of chunks) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    const calls = chunks[0]!.choices[0]!.delta['tool_calls'] as { index: number }[];
    expect(calls.map((call) => call.index)).toEqual(calls.map((_, index) => index));
    const usage = chunks.at(-1)!;
    const assembled = JSON.parse(
      convertChunksToCompletion(
        chunks.slice(0, -1).map((chunk) => JSON.stringify(chunk)),
        JSON.stringify(usage),
      ),
    );
    assertOpenAISchema('CreateChatCompletionResponse', assembled);
    expect(assembled.choices[0].message.tool_calls).toEqual(completion.choices[0].message.tool_calls);
    expect(assembled.choices[0].finish_reason).toBe(completion.choices[0].finish_reason);
    expect(assembled.usage).toEqual(completion.usage);
  });
});

describe('a stored stream answered as a chat.completion', () => {
  it('joins the content deltas and keeps id, model, finish reason and usage', () => {
    const chunks = chunksOf(fixture('chat-completion-stream-usage.txt'));
    const usageChunk = chunks.pop()!;
    const completion = JSON.parse(convertChunksToCompletion(chunks, usageChunk));
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    const first = JSON.parse(chunks[0]!);
    expect(completion.id).toBe(first.id);
    expect(completion.model).toBe(first.model);
    expect(completion.system_fingerprint).toBe(first.system_fingerprint);
    const text = chunks.map((chunk) => JSON.parse(chunk).choices[0]?.delta?.content ?? '').join('');
    expect(completion.choices[0].message).toEqual({ role: 'assistant', content: text, refusal: null });
    expect(completion.usage).toEqual(JSON.parse(usageChunk).usage);
  });

  it('assembles parallel tool calls by index, arguments joined', () => {
    const chunks = chunksOf(fixture('chat-completion-stream-tool-calls.txt'));
    const completion = JSON.parse(convertChunksToCompletion(chunks, null));
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    const calls = completion.choices[0].message.tool_calls;
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call.type).toBe('function');
      expect(JSON.parse(call.function.arguments)).toBeTypeOf('object');
    }
    expect(new Set(calls.map((call: { id: string }) => call.id)).size).toBe(calls.length);
    expect(completion.usage).toBeUndefined();
  });
});
