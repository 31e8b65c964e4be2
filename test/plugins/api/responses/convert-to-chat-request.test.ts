import { describe, expect, it } from 'vitest';
import type { ResponsesRequest } from '../../../../schemas/responses.js';
import { convertToChatRequest } from '../../../../plugins/api/responses/convert-to-chat-request.js';
import { encodeTurnState } from '../../../../plugins/api/responses/turn-state.js';
import { GatewayError } from '../../../../src/errors.js';

const weather = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  strict: true,
};

function convert(body: Record<string, unknown>, history: unknown[] = []) {
  return convertToChatRequest({ model: 'gemini-2.5-flash', ...body } as ResponsesRequest, history);
}

/** The GatewayError a conversion throws. */
function refusal(body: Record<string, unknown>): GatewayError {
  try {
    convert(body);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('the conversion succeeded; it should have been refused');
}

describe('convertToChatRequest', () => {
  it('maps every translated field to its chat counterpart', () => {
    const { request, untranslatable } = convert({
      instructions: 'Be brief.',
      input: 'Weather in Paris?',
      tools: [weather],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
      max_output_tokens: 500,
      temperature: 0.2,
      top_p: 0.9,
      user: 'user-1',
      safety_identifier: 'hash-1',
      prompt_cache_key: 'cache-1',
      text: {
        format: { type: 'json_schema', name: 'weather', schema: { type: 'object' }, strict: true },
        verbosity: 'low',
      },
      reasoning: { effort: 'high', summary: 'auto' },
      stream: true,
      store: true,
      metadata: { topic: 'weather' },
      include: ['reasoning.encrypted_content'],
    });
    expect(request).toEqual({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: weather.parameters,
            strict: true,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      max_completion_tokens: 500,
      temperature: 0.2,
      top_p: 0.9,
      user: 'user-1',
      safety_identifier: 'hash-1',
      prompt_cache_key: 'cache-1',
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'weather', schema: { type: 'object' }, strict: true },
      },
      verbosity: 'low',
      reasoning_effort: 'high',
    });
    expect(untranslatable).toEqual([]);
  });

  it('maps each content part and keeps message roles', () => {
    const { request } = convert({
      input: [
        { role: 'developer', content: [{ type: 'input_text', text: 'Use metric units.' }] },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is in these?' },
            { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'original' },
            { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
          ],
        },
        { role: 'assistant', content: 'Earlier answer.' },
        { role: 'system', content: 'Stay factual.' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'developer', content: 'Use metric units.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
        ],
      },
      { role: 'assistant', content: 'Earlier answer.' },
      { role: 'system', content: 'Stay factual.' },
    ]);
  });

  it('gathers a turn of reasoning, message and function calls into one assistant message, state restored', () => {
    const state = encodeTurnState({
      message: { anthropic: { thinking_blocks: [{ type: 'thinking', thinking: 'Hm.', signature: 'sig' }] } },
      calls: { call_2: { google: { thought_signature: 'CtQO' } } },
    });
    const { request } = convert({
      input: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two cities.' }] },
        {
          type: 'message',
          id: 'msg_1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Checking both.', annotations: [] }],
        },
        {
          type: 'function_call',
          id: 'fc_1',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"location":"Paris"}',
        },
        {
          type: 'function_call',
          id: 'fc_2',
          call_id: 'call_2',
          name: 'get_weather',
          arguments: '{"location":"Rome"}',
        },
        { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: state },
        { type: 'function_call_output', call_id: 'call_1', output: '18°C' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: '24°C' }] },
        // Reasoning another provider encrypted means nothing here: it is left out.
        { type: 'reasoning', id: 'rs_3', summary: [], encrypted_content: 'gAAAAABoSomethingOpaque' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
          },
          {
            id: 'call_2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"Rome"}' },
            extra_content: { google: { thought_signature: 'CtQO' } },
          },
        ],
        extra_content: {
          anthropic: { thinking_blocks: [{ type: 'thinking', thinking: 'Hm.', signature: 'sig' }] },
        },
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
      { role: 'tool', tool_call_id: 'call_2', content: '24°C' },
    ]);
  });

  it('puts the instructions first, then the conversation continued, then the new input', () => {
    const history = [
      { type: 'message', role: 'user', content: 'Hi' },
      {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Hello!' }],
      },
    ];
    const { request } = convert({ instructions: 'Be kind.', input: 'How are you?' }, history);
    expect(request.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'How are you?' },
    ]);
  });

  it('maps every form of tool_choice', () => {
    expect(convert({ input: 'x', tools: [weather], tool_choice: 'required' }).request.tool_choice).toBe(
      'required',
    );
    expect(
      convert({
        input: 'x',
        tools: [weather],
        tool_choice: {
          type: 'allowed_tools',
          mode: 'required',
          tools: [{ type: 'function', name: 'get_weather' }],
        },
      }).request.tool_choice,
    ).toEqual({
      type: 'allowed_tools',
      allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }] },
    });
    expect(
      convert({ input: 'x', text: { format: { type: 'json_object' } } }).request.response_format,
    ).toEqual({
      type: 'json_object',
    });
    expect(convert({ input: 'x', text: { format: { type: 'text' } } }).request).not.toHaveProperty(
      'response_format',
    );
  });

  it('lists what the chat request cannot carry, for the parameter policy', () => {
    const { untranslatable } = convert({
      input: 'x',
      background: true,
      top_logprobs: 3,
      include: ['message.output_text.logprobs'],
      truncation: 'auto',
      context_management: [{ type: 'compaction' }],
      max_tool_calls: 3,
    });
    expect(untranslatable).toEqual([
      { param: 'background' },
      { param: 'top_logprobs' },
      { param: 'include', label: 'include[]=message.output_text.logprobs' },
      { param: 'truncation' },
      { param: 'context_management' },
    ]);
  });

  it.each([
    [
      'a built-in tool',
      { input: 'x', tools: [weather, { type: 'web_search' }] },
      'unsupported_tool',
      'tools[1]',
    ],
    [
      'a hosted tool choice',
      { input: 'x', tool_choice: { type: 'file_search' } },
      'unsupported_tool',
      'tool_choice',
    ],
    [
      'a built-in tool among the allowed tools',
      { input: 'x', tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'mcp' }] } },
      'unsupported_tool',
      'tool_choice.tools[0]',
    ],
    [
      'a built-in tool call item',
      { input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] },
      'unsupported_content',
      'input[0]',
    ],
    [
      'an item reference',
      { input: [{ type: 'item_reference', id: 'msg_1' }] },
      'unsupported_content',
      'input[0]',
    ],
    [
      'an uploaded image',
      { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1', detail: 'auto' }] }] },
      'unsupported_content',
      'input[0].content[0].file_id',
    ],
    [
      'a file by URL',
      { input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }] },
      'unsupported_content',
      'input[0].content[0].file_url',
    ],
    [
      'an image in a tool result',
      {
        input: [
          {
            type: 'function_call_output',
            call_id: 'c',
            output: [{ type: 'input_image', image_url: 'https://example.com/a.png' }],
          },
        ],
      },
      'unsupported_content',
      'input[0].output[0]',
    ],
    ['a stored prompt', { prompt: { id: 'pmpt_1' } }, 'unsupported_parameter', 'prompt'],
    [
      'a stored conversation',
      { input: 'x', conversation: 'conv_1' },
      'unsupported_parameter',
      'conversation',
    ],
    [
      'a function name chat refuses',
      { input: 'x', tools: [{ type: 'function', name: 'a b' }] },
      'invalid_value',
      'tools[0].name',
    ],
    [
      'a schema without a name',
      { input: 'x', text: { format: { type: 'json_schema', schema: {} } } },
      'invalid_value',
      'text.format.name',
    ],
    [
      'an unknown effort',
      { input: 'x', reasoning: { effort: 'extreme' } },
      'invalid_value',
      'reasoning.effort',
    ],
    ['an unknown role', { input: [{ role: 'tool', content: 'x' }] }, 'invalid_value', 'input[0].role'],
    [
      'a function call without its id',
      { input: [{ type: 'function_call', name: 'f', arguments: '{}' }] },
      'invalid_value',
      'input[0].call_id',
    ],
    ['nothing to answer', {}, 'invalid_value', 'input'],
  ])('refuses %s with a 400 naming it', (_label, body, code, param) => {
    const error = refusal(body);
    expect(error.statusCode).toBe(400);
    expect({ code: error.code, param: error.param }).toEqual({ code, param });
  });
});
