/**
 * Chat completions for the models OpenAI serves only through the Responses API (`api: responses` in
 * the catalog): translated to /v1/responses and back, with the fallback to /v1/chat/completions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import {
  CHAT_COMPLETION,
  RESPONSE_STREAM,
  openaiError,
  startFakeOpenAI,
  streamChat,
} from '../../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../../helpers/build-app.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';

let upstream: FakeUpstream;
let gateway: TestApp;

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    strict: true,
  },
};

function post(body: unknown, app = gateway) {
  return app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

function chunks(payload: string): Record<string, unknown>[] {
  const events = payload
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice(6));
  expect(events.at(-1)).toBe('[DONE]');
  return events.slice(0, -1).map((event) => JSON.parse(event) as Record<string, unknown>);
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1`, REQUEST_TIMEOUT: '3000' },
  });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('a chat completion on a Responses-only model', () => {
  it('is sent to /v1/responses, translated, and answered as a valid chat.completion', async () => {
    const response = await post({
      model: 'o3-pro',
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: [{ type: 'text', text: 'Capital of France?' }] },
      ],
      max_tokens: 500,
      reasoning_effort: 'medium',
      metadata: { team: 'a' },
    });
    expect(response.statusCode).toBe(200);
    expect(upstream.last().path).toBe('/v1/responses');
    expect(upstream.last().json).toEqual({
      model: 'o3-pro',
      input: [
        { type: 'message', role: 'developer', content: 'Answer briefly.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Capital of France?' }] },
      ],
      store: false,
      max_output_tokens: 500,
      metadata: { team: 'a' },
      reasoning: { effort: 'medium' },
    });
    const body = response.json();
    assertOpenAISchema('CreateChatCompletionResponse', body);
    expect(body).toMatchObject({
      id: 'resp_68b9f2c0a1e48190b6a0d5c1f2e3a4b50c1d2e3f4a5b6c7d',
      object: 'chat.completion',
      created: 1756951232,
      model: 'o3-pro-2025-06-10',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'The capital of France is Paris.', refusal: null },
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 18,
        completion_tokens: 210,
        total_tokens: 228,
        completion_tokens_details: { reasoning_tokens: 192 },
      },
    });
    expect(gateway.logs.accessLines().at(-1)!['completionTokens']).toBe(210);
  });

  it('translates tools, tool calls and tool results both ways', async () => {
    const response = await post({
      model: 'o3-pro',
      messages: [
        { role: 'user', content: 'Weather in Paris and Tokyo?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Snow' },
      ],
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' } } },
    });
    const sent = upstream.last().json as Record<string, unknown>;
    expect(sent['input']).toEqual([
      { type: 'message', role: 'user', content: 'Weather in Paris and Tokyo?' },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Oslo"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'Snow' },
    ]);
    expect(sent['tools']).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Current weather for a city',
        parameters: weatherTool.function.parameters,
        strict: true,
      },
    ]);
    expect(sent['tool_choice']).toEqual({ type: 'function', name: 'get_weather' });
    expect(sent['text']).toEqual({ format: { type: 'json_schema', name: 'w', schema: { type: 'object' } } });

    const body = response.json();
    assertOpenAISchema('CreateChatCompletionResponse', body);
    expect(body.choices[0].finish_reason).toBe('tool_calls');
    expect(body.choices[0].message.content).toBeNull();
    expect(body.choices[0].message.tool_calls).toEqual([
      {
        id: 'call_Xq2hT9vKp3LmN8rB4sWd6YzA',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"location":"Paris, France"}' },
      },
      {
        id: 'call_R7uJ1kWq9PzX3nVb5tHc2MsE',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"location":"Tokyo, Japan"}' },
      },
    ]);
  });

  it('streams chat.completion.chunks, each valid, with the usage chunk when asked', async () => {
    const response = await post({
      model: 'o3-pro',
      messages: [{ role: 'user', content: 'Capital of France?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.statusCode).toBe(200);
    expect((upstream.last().json as { stream?: boolean }).stream).toBe(true);
    const all = chunks(response.body);
    for (const chunk of all) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    const choices = all.flatMap(
      (chunk) => chunk['choices'] as { delta: { content?: string }; finish_reason: string | null }[],
    );
    expect(choices.map((choice) => choice.delta.content ?? '').join('')).toBe(
      'The capital of France is Paris.',
    );
    expect(choices.at(-1)!.finish_reason).toBe('stop');
    const last = all.at(-1)!;
    expect(last['choices']).toEqual([]);
    expect(last['usage']).toMatchObject({ prompt_tokens: 18, completion_tokens: 210, total_tokens: 228 });
    expect(gateway.logs.accessLines().at(-1)!['completionTokens']).toBe(210);
  });

  it('counts the usage of a stream that did not ask for it, without sending it', async () => {
    const response = await post({
      model: 'o3-pro',
      messages: [{ role: 'user', content: 'Capital of France?' }],
      stream: true,
    });
    expect(response.statusCode).toBe(200);
    const all = chunks(response.body);
    expect(all.some((chunk) => 'usage' in chunk)).toBe(false);
    expect(all.at(-1)!['choices']).not.toEqual([]);
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line['promptTokens']).toBe(18);
    expect(line['completionTokens']).toBe(210);
  });

  it('streams parallel tool calls with increasing indexes and their own ids', async () => {
    const response = await post({
      model: 'o3-pro',
      messages: [{ role: 'user', content: 'Weather in Paris and Tokyo?' }],
      tools: [weatherTool],
      stream: true,
    });
    const all = chunks(response.body);
    for (const chunk of all) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    const calls = new Map<number, { id?: string; name?: string; arguments: string }>();
    for (const chunk of all) {
      for (const choice of chunk['choices'] as {
        delta: {
          tool_calls?: { index: number; id?: string; function: { name?: string; arguments?: string } }[];
        };
      }[]) {
        for (const call of choice.delta.tool_calls ?? []) {
          const known = calls.get(call.index) ?? { arguments: '' };
          known.id ??= call.id;
          known.name ??= call.function.name;
          known.arguments += call.function.arguments ?? '';
          calls.set(call.index, known);
        }
      }
    }
    expect([...calls.entries()]).toEqual([
      [
        0,
        {
          id: 'call_Xq2hT9vKp3LmN8rB4sWd6YzA',
          name: 'get_weather',
          arguments: '{"location":"Paris, France"}',
        },
      ],
      [
        1,
        {
          id: 'call_R7uJ1kWq9PzX3nVb5tHc2MsE',
          name: 'get_weather',
          arguments: '{"location":"Tokyo, Japan"}',
        },
      ],
    ]);
    const finish = all.flatMap((chunk) => chunk['choices'] as { finish_reason: string | null }[]).at(-1);
    expect(finish?.finish_reason).toBe('tool_calls');
  });

  it('drops chat parameters the Responses API has no place for, with a warning', async () => {
    const response = await post({
      model: 'o3-pro',
      messages: [{ role: 'user', content: 'Hi' }],
      n: 1,
      stop: ['END'],
      seed: 7,
    });
    expect(response.statusCode).toBe(200);
    const sent = upstream.last().json as Record<string, unknown>;
    expect(sent['n']).toBeUndefined();
    expect(sent['stop']).toBeUndefined();
    expect(sent['seed']).toBeUndefined();
    expect(response.headers['x-gateway-warnings']).toContain("dropped unsupported parameter 'stop'");
  });

  it('ends the stream with an error event when the response fails mid-stream', async () => {
    const failed = RESPONSE_STREAM.slice(
      0,
      RESPONSE_STREAM.indexOf('event: response.output_item.added'),
    ).concat(
      'event: response.failed\ndata: {"type":"response.failed","sequence_number":2,"response":{"id":"resp_x","object":"response","status":"failed","error":{"code":"server_error","message":"The model failed."}}}\n\n',
    );
    upstream.enqueue('POST', '/v1/responses', streamChat(failed));
    const response = await post({
      model: 'o3-pro',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const last = response.body.split('\n\n').filter(Boolean).at(-1)!;
    expect(response.body).not.toContain('[DONE]');
    const envelope = JSON.parse(last.slice(6));
    assertOpenAISchema('ErrorResponse', envelope);
    expect(envelope.error).toMatchObject({ code: 'server_error', message: 'The model failed.' });
  });

  it('answers a client error of another kind as it is, without falling back', async () => {
    upstream.enqueue('POST', '/v1/responses', openaiError(400, 'error-context-length.json'));
    const response = await post({ model: 'o3-pro', messages: [{ role: 'user', content: 'Hi' }] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('context_length_exceeded');
    expect(upstream.received('/v1/chat/completions')).toHaveLength(0);
  });
});

describe('falling back to chat completions', () => {
  it('uses /v1/chat/completions when the Responses API does not serve the model, and remembers it', async () => {
    upstream.enqueue('POST', '/v1/responses', openaiError(404, 'error-responses-model-not-found.json'));
    const first = await post({ model: 'o1-pro', messages: [{ role: 'user', content: 'Hi' }], n: 1 });
    expect(first.statusCode).toBe(200);
    expect(first.body).toBe(CHAT_COMPLETION);
    expect(upstream.requests.map((request) => request.path)).toEqual([
      '/v1/responses',
      '/v1/chat/completions',
    ]);
    expect(first.headers['x-gateway-warnings']).toContain('served by chat completions');

    upstream.reset();
    const second = await post({
      model: 'o1-pro',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      n: 1,
    });
    expect(second.statusCode).toBe(200);
    expect(upstream.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
    // Served by chat completions now, every chat parameter is honoured again.
    expect((upstream.last().json as { n?: number }).n).toBe(1);
  });

  it('falls back on a 400 that names the model, in a stream too', async () => {
    upstream.enqueue('POST', '/v1/responses', {
      status: 400,
      json: {
        error: {
          message: 'The requested model is not supported by the Responses API.',
          type: 'invalid_request_error',
          param: 'model',
          code: 'unsupported_model',
        },
      },
    });
    const response = await post({
      model: 'o4-mini-deep-research',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    expect(response.statusCode).toBe(200);
    expect(upstream.requests.map((request) => request.path)).toEqual([
      '/v1/responses',
      '/v1/chat/completions',
    ]);
    chunks(response.body);
  });
});

describe('OPENAI_USE_RESPONSES_API=false', () => {
  it('sends every chat completion to /v1/chat/completions', async () => {
    const plain = await buildTestApp({
      env: {
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: `${upstream.origin}/v1`,
        OPENAI_USE_RESPONSES_API: 'false',
      },
    });
    try {
      const response = await post({ model: 'o3-pro', messages: [{ role: 'user', content: 'Hi' }] }, plain);
      expect(response.statusCode).toBe(200);
      expect(upstream.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
    } finally {
      await plain.close();
    }
  });

  it('refuses a setting that is not a boolean, naming the key', async () => {
    await expect(
      buildTestApp({
        env: { OPENAI_API_KEY: OPENAI_KEY },
        configure: (config) => {
          (config.gateway.providers['openai'] as Record<string, unknown>)['useResponsesApi'] = 'sometimes';
        },
      }),
    ).rejects.toThrow(/providers\.openai\.useResponsesApi: must be true or false/);
  });
});
