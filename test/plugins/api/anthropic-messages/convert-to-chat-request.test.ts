/**
 * Anthropic Messages requests → the gateway's chat requests, and their fitting to a deployment
 * (pure: no gateway, no provider).
 */
import { describe, expect, it } from 'vitest';
import {
  convertToChatRequest,
  fitChatRequest,
} from '../../../../plugins/api/anthropic-messages/convert-to-chat-request.js';
import {
  createCarrierBlock,
  createThinkingBlock,
} from '../../../../plugins/api/anthropic-messages/gateway-thinking-blocks.js';
import { mapThinkingBudget } from '../../../../plugins/api/anthropic-messages/map-thinking-budget.js';
import {
  MessagesRequestSchema,
  type MessagesRequest,
} from '../../../../plugins/api/anthropic-messages/messages-schema.js';
import { ChatCompletionRequestSchema } from '../../../../schemas/chat.js';
import { PROVIDERS } from '../../../../plugins/providers/index.js';
import { GEMINI_CHAT_PARAMETERS } from '../../../../plugins/providers/gemini/convert-to-gemini-request.js';
import { Catalog, loadShippedCatalog } from '../../../../src/catalog.js';
import { GatewayError } from '../../../../src/errors.js';
import type { Target } from '../../../../src/provider.js';
import { createValidatorCompiler } from '../../../../src/validation.js';

const catalog = new Catalog(loadShippedCatalog(PROVIDERS));
// The validators of the gateway's routes.
const compile = createValidatorCompiler();
const validMessagesRequest = compile({
  schema: MessagesRequestSchema,
  httpPart: 'body',
  method: 'POST',
  url: '/',
});
const validChatRequest = compile({
  schema: ChatCompletionRequestSchema,
  httpPart: 'body',
  method: 'POST',
  url: '/',
});

function target(model: string): Target {
  const entry = catalog.get(model);
  return { deploymentId: `${entry?.provider ?? 'openai'}/${model}`, upstreamModel: model, model: entry };
}

function request(fields: Record<string, unknown>): MessagesRequest {
  const body = { model: 'gpt-4o', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }], ...fields };
  // Every request here is one the route's schema accepts.
  expect(validMessagesRequest(body)).toBe(true);
  return body as MessagesRequest;
}

function convert(fields: Record<string, unknown>) {
  const conversion = convertToChatRequest(request(fields));
  // …and every conversion is a chat request the chat route's schema accepts.
  expect(validChatRequest(conversion.request)).toBe(true);
  return conversion;
}

function thrown(call: () => unknown): GatewayError {
  try {
    call();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('no error was thrown');
}

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('top-level fields', () => {
  it('converts a plain request', () => {
    expect(convert({}).request).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
      max_completion_tokens: 1024,
    });
  });

  it('converts system, stream, stop sequences, sampling and the user id', () => {
    const { request: chat, unsupported } = convert({
      system: 'Be brief.',
      stream: true,
      stop_sequences: ['END', 'STOP'],
      temperature: 0.5,
      top_p: 0.9,
      metadata: { user_id: 'user-1234' },
    });
    expect(chat).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_completion_tokens: 1024,
      stream: true,
      stream_options: { include_usage: true },
      stop: ['END', 'STOP'],
      temperature: 0.5,
      top_p: 0.9,
      user: 'user-1234',
    });
    expect(unsupported).toEqual([]);
  });

  it('sends system text blocks as text parts, without their cache_control, and counts the breakpoints', () => {
    const conversion = convert({
      system: [
        { type: 'text', text: 'You are a coding agent.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Be careful.' },
      ],
      cache_control: { type: 'ephemeral', ttl: '1h' },
    });
    expect(conversion.request.messages[0]).toEqual({
      role: 'system',
      content: [
        { type: 'text', text: 'You are a coding agent.' },
        { type: 'text', text: 'Be careful.' },
      ],
    });
    expect(conversion.notes.cacheBreakpoints).toBe(2);
    expect(JSON.stringify(conversion.request)).not.toContain('cache_control');
  });

  it('names every field without a counterpart as unsupported', () => {
    const { unsupported } = convert({
      top_k: 40,
      service_tier: 'auto',
      container: 'container_1',
      output_config: { effort: 'high', task_budget: 10 },
    });
    expect(unsupported).toEqual([
      { param: 'output_config.task_budget' },
      { param: 'top_k' },
      { param: 'service_tier' },
      { param: 'container' },
    ]);
  });

  it('asks for a JSON answer by schema', () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    expect(
      convert({ output_config: { format: { type: 'json_schema', schema } } }).request.response_format,
    ).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema },
    });
  });
});

describe('thinking', () => {
  it.each([
    [1024, 'low'],
    [4095, 'low'],
    [4096, 'medium'],
    [16383, 'medium'],
    [16384, 'high'],
    [63999, 'high'],
  ])('a budget of %i tokens is reasoning_effort %s', (budget, effort) => {
    expect(mapThinkingBudget(budget)).toBe(effort);
    const conversion = convert({ max_tokens: 64000, thinking: { type: 'enabled', budget_tokens: budget } });
    expect(conversion.request.reasoning_effort).toBe(effort);
    expect(conversion.thinking).toBe(true);
  });

  it('takes output_config.effort over a budget, and sends nothing for disabled or adaptive thinking', () => {
    expect(
      convert({ thinking: { type: 'enabled', budget_tokens: 2000 }, output_config: { effort: 'high' } })
        .request.reasoning_effort,
    ).toBe('high');
    const disabled = convert({ thinking: { type: 'disabled' } });
    expect(disabled.request.reasoning_effort).toBeUndefined();
    expect(disabled.thinking).toBe(false);
    const adaptive = convert({ thinking: { type: 'adaptive', display: 'omitted' } });
    expect(adaptive.request.reasoning_effort).toBeUndefined();
    expect(adaptive.thinking).toBe(true);
    expect(adaptive.omitThinking).toBe(true);
  });
});

describe('messages and blocks', () => {
  it('converts images (base64 and URL), PDFs and text documents', () => {
    const { request: chat } = convert({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
              title: 'report.pdf',
            },
            {
              type: 'document',
              source: { type: 'text', media_type: 'text/plain', data: 'Notes.' },
              title: 'Notes',
            },
            { type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'Inner' }] } },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          {
            type: 'file',
            file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
          },
          { type: 'text', text: 'Notes\n\nNotes.' },
          { type: 'text', text: 'Inner' },
        ],
      },
    ]);
  });

  it('turns tool use and tool results into tool calls and tool messages, results first', () => {
    const { request: chat } = convert({
      messages: [
        { role: 'user', content: 'Weather in Paris and Tokyo?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Tokyo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_2',
              content: [
                { type: 'text', text: 'Rain' },
                { type: 'text', text: '12°C' },
              ],
              is_error: false,
            },
            { type: 'text', text: 'Summarize.' },
          ],
        },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Tokyo?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'toolu_2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
      {
        role: 'tool',
        tool_call_id: 'toolu_2',
        content: [
          { type: 'text', text: 'Rain' },
          { type: 'text', text: '12°C' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Summarize.' }] },
    ]);
  });

  it('moves a tool result’s image to a user message after the tool messages', () => {
    const { request: chat } = convert({
      messages: [
        { role: 'user', content: 'Take a screenshot' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_9', name: 'screenshot', input: {} }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_9',
              content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }],
            },
          ],
        },
      ],
    });
    expect(chat.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'screenshot', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'toolu_9', content: 'The result is attached to the next message.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Attached to the result of tool call toolu_9:' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
        ],
      },
    ]);
  });

  it('takes back what the gateway’s own blocks carry, and leaves Claude’s thinking out', () => {
    const signature = { google: { thought_signature: 'CtQOAVSo' } };
    const carrier = createCarrierBlock({ toolCalls: { call_1: signature } })!;
    const conversion = convert({
      messages: [
        { role: 'user', content: 'What time is it?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Claude thought.', signature: 'EqQBCkYIBxgC' },
            createThinkingBlock('The gateway’s reasoning text.'),
            { type: 'tool_use', id: 'call_1', name: 'now', input: {} },
            carrier,
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: '12:00' }] },
      ],
    });
    expect(conversion.request.messages[1]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'now', arguments: '{}' },
          extra_content: signature,
        },
      ],
    });
    expect(conversion.notes.droppedThinkingBlocks).toBe(1);
  });

  it('refuses a changed gateway block with a 400 naming it', () => {
    const error = thrown(() =>
      convertToChatRequest(
        request({
          messages: [
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'llm-gateway.v1.%%%' }] },
          ],
        }),
      ),
    );
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe('messages[1].content[0].data');
  });

  it.each([
    [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }, 'messages[0].content[0].source'],
    [
      { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
      'messages[0].content[0].source',
    ],
    [
      { type: 'search_result', source: 'https://example.com', title: 'T', content: [] },
      'messages[0].content[0]',
    ],
    [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }, 'messages[0].content[0]'],
  ])('refuses %j, which the chat shape cannot carry, with a 400 naming it', (block, param) => {
    const error = thrown(() =>
      convertToChatRequest(request({ messages: [{ role: 'user', content: [block] }] })),
    );
    expect(error.gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_CONTENT');
    expect(error.param).toBe(param);
  });
});

describe('tools', () => {
  const weather = {
    name: 'get_weather',
    description: 'The weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };

  it('converts client tools and each tool choice', () => {
    const choices = [
      [{ type: 'auto' }, 'auto'],
      [{ type: 'any' }, 'required'],
      [
        { type: 'tool', name: 'get_weather' },
        { type: 'function', function: { name: 'get_weather' } },
      ],
      [{ type: 'none' }, 'none'],
    ] as const;
    for (const [choice, expected] of choices) {
      const { request: chat } = convert({
        tools: [{ ...weather, cache_control: { type: 'ephemeral' } }],
        tool_choice: choice,
      });
      expect(chat.tools).toEqual([
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'The weather in a city',
            parameters: weather.input_schema,
          },
        },
      ]);
      expect(chat.tool_choice).toEqual(expected);
    }
    expect(
      convert({ tools: [weather], tool_choice: { type: 'auto', disable_parallel_tool_use: true } }).request
        .parallel_tool_calls,
    ).toBe(false);
  });

  it('names Anthropic’s own tools and unknown tool fields as unsupported, and a forced choice of one', () => {
    const conversion = convert({
      tools: [
        weather,
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
        { ...weather, name: 'lookup', input_examples: [{ city: 'Paris' }] },
      ],
      tool_choice: { type: 'tool', name: 'web_search' },
    });
    expect(conversion.unsupported).toEqual([
      { param: 'tools[1]', label: 'tools[1] (web_search_20250305)' },
      { param: 'tools[2].input_examples' },
      { param: 'tool_choice', label: 'tool_choice (web_search is not a tool it can call)' },
    ]);
    expect(conversion.request.tools).toHaveLength(2);
    expect(conversion.request.tool_choice).toBeUndefined();
  });

  it('refuses a tool choice that names no tool', () => {
    const error = thrown(() =>
      convertToChatRequest(request({ tools: [weather], tool_choice: { type: 'tool', name: 'nothing' } })),
    );
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe('tool_choice.name');
  });
});

describe('fitting the request to a deployment', () => {
  it('drops what the model cannot honour with warnings in the client’s names, and keeps the rest', () => {
    const warnings: string[] = [];
    const conversion = convert({
      top_k: 5,
      metadata: { user_id: 'u-1' },
      system: [{ type: 'text', text: 'Sys', cache_control: { type: 'ephemeral' } }],
    });
    const fitted = fitChatRequest(
      conversion,
      target('gemini-2.5-flash'),
      GEMINI_CHAT_PARAMETERS,
      'drop',
      warnings,
    );
    expect(fitted.user).toBeUndefined();
    expect(fitted.max_completion_tokens).toBe(1024);
    expect(warnings).toEqual([
      "dropped unsupported parameter 'top_k' for model 'gemini-2.5-flash'",
      "1 cache_control breakpoint not sent: 'gemini-2.5-flash' is not served by the Messages API",
      "dropped unsupported parameter 'metadata.user_id' for model 'gemini-2.5-flash'",
    ]);
  });

  it('refuses them with UNSUPPORTED_PARAMETERS=reject', () => {
    const error = thrown(() => fitChatRequest(convert({ top_k: 5 }), target('gpt-4o'), 'all', 'reject', []));
    expect(error.gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER');
    expect(error.param).toBe('top_k');
  });

  it('leaves thinking out for a model that does not reason, and keeps it for one that does', () => {
    const conversion = convert({ max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 4096 } });
    const warnings: string[] = [];
    expect(
      fitChatRequest(conversion, target('gpt-4o'), 'all', 'drop', warnings).reasoning_effort,
    ).toBeUndefined();
    expect(warnings).toEqual(["dropped unsupported parameter 'thinking' for model 'gpt-4o'"]);
    expect(fitChatRequest(conversion, target('o3'), 'all', 'drop', []).reasoning_effort).toBe('medium');
    // A model the catalog does not know: sent, the provider decides.
    expect(fitChatRequest(conversion, target('my-model'), 'all', 'drop', []).reasoning_effort).toBe('medium');
  });

  it('lowers max_tokens to the most the model writes, with a warning', () => {
    const warnings: string[] = [];
    const fitted = fitChatRequest(convert({ max_tokens: 32000 }), target('gpt-4o'), 'all', 'drop', warnings);
    expect(fitted.max_completion_tokens).toBe(16384);
    expect(warnings).toEqual(["max_tokens 32000 lowered to 16384, the most 'gpt-4o' writes"]);
  });
});
