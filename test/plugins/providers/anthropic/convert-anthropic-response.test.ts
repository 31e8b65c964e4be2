/**
 * Anthropic answers → chat.completion, on every recorded unary response (pure, no sockets), each
 * result checked against OpenAI's published schema.
 */
import { describe, expect, it } from 'vitest';
import type { AnthropicMessageResponse } from '../../../../plugins/providers/anthropic/anthropic-api.js';
import {
  convertAnthropicResponse,
  mapAnthropicUsage,
} from '../../../../plugins/providers/anthropic/convert-anthropic-response.js';
import {
  explainStopReason,
  mapAnthropicStopReason,
} from '../../../../plugins/providers/anthropic/map-anthropic-stop-reason.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import { anthropicFixture } from '../../../helpers/fake-anthropic.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';

function wire(name: string): AnthropicMessageResponse {
  return JSON.parse(anthropicFixture(name)) as AnthropicMessageResponse;
}

function convert(answer: AnthropicMessageResponse, jsonTool?: string) {
  const warnings: string[] = [];
  const result = convertAnthropicResponse(answer, 'claude-requested', { jsonTool, warnings });
  assertOpenAISchema('CreateChatCompletionResponse', result.completion);
  const choice = result.completion.choices[0]!;
  return { ...result, warnings, choice, message: choice.message as Record<string, unknown> };
}

describe('recorded answers', () => {
  it('anthropic-text.json → one stop choice with the text and the usage', () => {
    const { completion, message, choice, usage, warnings } = convert(wire('anthropic-text.json'));
    expect(completion.id).toBe('chatcmpl-msg_01VdEjxAP5ahtHKrrRdNBteQ');
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('claude-sonnet-4-5-20250929');
    expect(completion.choices).toHaveLength(1);
    expect(choice.finish_reason).toBe('stop');
    expect(choice.logprobs).toBeNull();
    expect(message).toEqual({
      role: 'assistant',
      content:
        "Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?",
      refusal: null,
    });
    expect(completion.usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 29,
      total_tokens: 41,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(usage).toEqual({
      promptTokens: 12,
      completionTokens: 29,
      totalTokens: 41,
      reasoningTokens: 0,
      cachedTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(warnings).toEqual([]);
  });

  it('anthropic-tool-no-args.json → text and a tool call with "{}" arguments, tool_calls', () => {
    const { message, choice } = convert(wire('anthropic-tool-no-args.json'));
    expect(choice.finish_reason).toBe('tool_calls');
    expect(String(message['content'])).toContain('Okay, I will update the current issue list:');
    expect(message['tool_calls']).toEqual([
      {
        id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1',
        type: 'function',
        function: { name: 'updateIssueList', arguments: '{}' },
      },
    ]);
  });

  it('anthropic-json-tool.1.json → the JSON tool input as content, a natural stop', () => {
    const { message, choice } = convert(wire('anthropic-json-tool.1.json'), 'json');
    expect(choice.finish_reason).toBe('stop');
    expect(message['tool_calls']).toBeUndefined();
    const parsed = JSON.parse(String(message['content'])) as { elements: { location: string }[] };
    expect(parsed.elements.map((element) => element.location)).toEqual([
      'San Francisco',
      'London',
      'Paris',
      'Berlin',
    ]);
  });

  it('anthropic-json-tool.1.json without a JSON tool asked for → an ordinary tool call', () => {
    const { message, choice } = convert(wire('anthropic-json-tool.1.json'));
    expect(choice.finish_reason).toBe('tool_calls');
    expect(message['content']).toBeNull();
    expect((message['tool_calls'] as { function: { name: string } }[])[0]!.function.name).toBe('json');
  });

  it('anthropic-json-output-format.1.json → the structured output as content', () => {
    const { message, choice } = convert(wire('anthropic-json-output-format.1.json'));
    expect(choice.finish_reason).toBe('stop');
    expect((JSON.parse(String(message['content'])) as { recipe: { name: string } }).recipe.name).toBe(
      'Classic Lasagna',
    );
  });

  it('anthropic-clear-thinking.1.json → reasoning_content and the thinking block to carry back', () => {
    const { message, completion } = convert(wire('anthropic-clear-thinking.1.json'));
    expect(message['content']).toBe('925 ÷ 5 = 185');
    expect(message['reasoning_content']).toBe('925 divided by 5 = 185');
    expect(message['extra_content']).toEqual({
      anthropic: {
        thinking_blocks: [
          {
            type: 'thinking',
            thinking: '925 divided by 5 = 185',
            signature: expect.stringMatching(/^Er4BCkYICxgC/) as string,
          },
        ],
      },
    });
    // Claude thought but did not count it apart: no reasoning_tokens rather than a wrong 0.
    expect(completion.usage!.completion_tokens_details).toBeUndefined();
  });

  it('anthropic-claude-opus-5-reasoning-high.1.json → the reported thinking tokens', () => {
    const { completion, usage, message } = convert(wire('anthropic-claude-opus-5-reasoning-high.1.json'));
    expect(completion.model).toBe('claude-opus-5');
    expect(String(message['content'])).toContain('Rational Root Theorem');
    expect(String(message['reasoning_content'])).toContain('find all roots of this cubic');
    expect(completion.usage!.completion_tokens).toBe(1699);
    expect(completion.usage!.completion_tokens_details).toEqual({ reasoning_tokens: 139 });
    expect(usage!.reasoningTokens).toBe(139);
  });

  it('anthropic-refusal.json → content_filter with the explanation as the refusal', () => {
    const { message, choice } = convert(wire('anthropic-refusal.json'));
    expect(choice.finish_reason).toBe('content_filter');
    expect(message['content']).toBeNull();
    expect(message['refusal']).toBe(
      "This request triggered restrictions on violative cyber content and was blocked under Anthropic's Usage Policy.",
    );
  });

  it('anthropic-web-search-tool.1.json → the text kept, the server tool blocks dropped with a warning', () => {
    const { message, choice, warnings, completion } = convert(wire('anthropic-web-search-tool.1.json'));
    expect(choice.finish_reason).toBe('stop');
    const content = String(message['content']);
    expect(
      content.startsWith('Let me search for more specific tech news from today (September 26, 2024).'),
    ).toBe(true);
    expect(content).toContain('Caroline Ellison');
    expect(content).not.toContain('encrypted_content');
    expect(message['tool_calls']).toBeUndefined();
    expect(warnings).toEqual([
      "dropped Claude's server_tool_use, web_search_tool_result block(s): chat completions cannot carry them (the text around them is kept)",
    ]);
    expect(completion.usage!.prompt_tokens).toBe(27118);
  });
});

describe('usage', () => {
  it('counts cache reads and writes in prompt_tokens, and each apart', () => {
    const mapped = mapAnthropicUsage(
      {
        input_tokens: 100,
        cache_read_input_tokens: 2000,
        cache_creation_input_tokens: 300,
        output_tokens: 50,
      },
      false,
    )!;
    expect(mapped.usage).toEqual({
      prompt_tokens: 2400,
      completion_tokens: 50,
      total_tokens: 2450,
      prompt_tokens_details: { cached_tokens: 2000, cache_write_tokens: 300 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(mapped.gateway).toMatchObject({ promptTokens: 2400, cachedTokens: 2000, cacheWriteTokens: 300 });
  });

  it('invents no usage when the answer has none', () => {
    expect(mapAnthropicUsage(undefined, false)).toBeUndefined();
    const { completion, usage } = convert({
      id: 'msg_x',
      content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn',
    });
    expect(completion.usage).toBeUndefined();
    expect(usage).toBeUndefined();
  });
});

describe('stop reasons and odd answers', () => {
  it('maps every stop reason onto an OpenAI finish reason', () => {
    expect(mapAnthropicStopReason('end_turn')).toBe('stop');
    expect(mapAnthropicStopReason('stop_sequence')).toBe('stop');
    expect(mapAnthropicStopReason('max_tokens')).toBe('length');
    expect(mapAnthropicStopReason('model_context_window_exceeded')).toBe('length');
    expect(mapAnthropicStopReason('tool_use')).toBe('tool_calls');
    expect(mapAnthropicStopReason('tool_use', true)).toBe('stop');
    expect(mapAnthropicStopReason('refusal')).toBe('content_filter');
    expect(mapAnthropicStopReason('pause_turn')).toBe('stop');
    expect(mapAnthropicStopReason('a_reason_added_later')).toBe('stop');
    expect(mapAnthropicStopReason(null)).toBe('stop');
    expect(explainStopReason('end_turn')).toBeUndefined();
  });

  it('explains pause_turn in a warning', () => {
    const { choice, warnings } = convert({
      id: 'msg_p',
      content: [{ type: 'text', text: 'Searching…' }],
      stop_reason: 'pause_turn',
    });
    expect(choice.finish_reason).toBe('stop');
    expect(warnings).toEqual([explainStopReason('pause_turn')]);
  });

  it('returns an empty answer as empty content, and redacted thinking for the next turn', () => {
    const { message } = convert({
      id: 'msg_e',
      content: [{ type: 'redacted_thinking', data: 'c2VjcmV0' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    expect(message['content']).toBe('');
    expect(message['reasoning_content']).toBeUndefined();
    expect(message['extra_content']).toEqual({
      anthropic: { thinking_blocks: [{ type: 'redacted_thinking', data: 'c2VjcmV0' }] },
    });
  });

  it('is a 502 bad_response when the answer has no content list', () => {
    expect(() => convertAnthropicResponse({ id: 'x' }, 'm', { jsonTool: undefined, warnings: [] })).toThrow(
      UpstreamFailure,
    );
  });
});
