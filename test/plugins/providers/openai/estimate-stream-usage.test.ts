import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../../../../schemas/chat.js';
import {
  estimateStreamUsage,
  streamedCharacters,
} from '../../../../plugins/providers/openai/estimate-stream-usage.js';
import type { StreamEvent } from '../../../../src/provider.js';
import { compatibleFixture } from '../../../helpers/fake-compatible-server.js';

/** The events of a recorded stream, as the OpenAI stream reader yields them. */
function eventsOf(fixture: string): StreamEvent[] {
  return compatibleFixture(fixture)
    .split('\n\n')
    .map((event) => event.replace(/^data: /, ''))
    .filter((data) => data && data !== '[DONE]')
    .map((raw) => ({
      raw,
      chunk: JSON.parse(raw) as ChatCompletionChunk,
      mayCarryUsage: raw.includes('"usage"'),
    }));
}

async function collect(events: StreamEvent[], includeUsage: boolean): Promise<StreamEvent[]> {
  async function* source() {
    yield* events;
  }
  const out: StreamEvent[] = [];
  for await (const event of estimateStreamUsage(source(), { promptTokens: 20, includeUsage }))
    out.push(event);
  return out;
}

describe('estimateStreamUsage', () => {
  it('adds a last chunk with the estimate to a stream without usage, hidden unless asked for', async () => {
    const events = eventsOf('vllm-chat-stream.txt');
    const hidden = await collect(events, false);
    expect(hidden.slice(0, -1)).toEqual(events);
    const last = hidden.at(-1)!;
    expect(last.hidden).toBe(true);
    // "The capital of France is Paris." is 31 characters: about 8 tokens.
    expect(last.usage).toEqual({
      promptTokens: 20,
      completionTokens: 8,
      totalTokens: 28,
      reasoningTokens: 0,
      cachedTokens: 0,
      estimated: true,
    });
    expect(JSON.parse(last.raw!)).toEqual({
      id: events[0]!.chunk.id,
      object: 'chat.completion.chunk',
      created: events[0]!.chunk.created,
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      choices: [],
      usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
    });
    const shown = await collect(events, true);
    expect(shown.at(-1)!.hidden).toBe(false);
  });

  it('adds nothing when the server sent its own usage, unasked', async () => {
    const events = eventsOf('mistral-chat-stream.txt');
    expect(await collect(events, true)).toEqual(events);
  });

  it('counts reasoning, refusals and tool calls as generated text', () => {
    const chunk = {
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          delta: {
            reasoning_content: 'abcd',
            reasoning: 'ef',
            refusal: 'gh',
            tool_calls: [{ index: 0, function: { name: 'get', arguments: '{"a":1}' } }],
          },
          finish_reason: null,
        },
      ],
    } as ChatCompletionChunk;
    expect(streamedCharacters(chunk)).toBe(4 + 2 + 2 + 3 + 7);
  });
});
