/**
 * OpenAI chat requests → Gemini generateContent requests (pure: image downloads are a stand-in).
 */
import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../../schemas/chat.js';
import type { ProviderInstanceOptions } from '../../../../schemas/options.js';
import {
  convertToGeminiRequest,
  type GeminiRequestContext,
} from '../../../../plugins/providers/gemini/convert-to-gemini-request.js';
import { parseDataUri } from '../../../../src/provider-toolkit.js';
import { convertToGeminiSchema } from '../../../../plugins/providers/gemini/convert-to-gemini-schema.js';
import {
  GeminiSettingsSchema,
  type GeminiSettings,
} from '../../../../plugins/providers/gemini/gemini-options.js';
import { PROVIDERS } from '../../../../plugins/providers/index.js';
import { ProviderConfigError, resolveInstanceSettings } from '../../../../src/provider-registry.js';
import { GatewayError } from '../../../../src/errors.js';
import type { Target } from '../../../../src/provider.js';
import { Catalog, loadShippedCatalog } from '../../../../src/catalog.js';

const catalog = new Catalog(loadShippedCatalog(PROVIDERS));
const resolveGeminiSettings = (id: string, options: ProviderInstanceOptions) =>
  resolveInstanceSettings<GeminiSettings>(GeminiSettingsSchema, id, options);

/** Instance options with the provider's own settings (the gateway's schema leaves them open). */
function instance(settings: Record<string, unknown>): ProviderInstanceOptions {
  return { baseUrl: 'x', ...settings } as ProviderInstanceOptions;
}
const FILES = 'https://generativelanguage.googleapis.com/v1beta/files/';

function target(model: string): Target {
  const entry = catalog.get(model);
  return { deploymentId: `gemini/${model}`, upstreamModel: entry?.upstream ?? model, model: entry };
}

function context(settings: Partial<GeminiSettings> = {}, fetched: string[] = []) {
  const warnings: string[] = [];
  const value: GeminiRequestContext = {
    settings: { ...resolveGeminiSettings('gemini', { baseUrl: 'x' }), ...settings },
    warnings,
    fileUriPrefixes: [FILES],
    async fetchImage(url) {
      fetched.push(url);
      return { mimeType: 'image/png', data: Buffer.from('png-bytes') };
    },
  };
  return value;
}

async function convert(
  request: Record<string, unknown>,
  model = 'gemini-2.5-flash',
  requestContext = context(),
) {
  const body = await convertToGeminiRequest(
    { model, messages: [{ role: 'user', content: 'Hi' }], ...request } as ChatCompletionRequest,
    target(model),
    requestContext,
  );
  return { body, warnings: requestContext.warnings };
}

async function refusal(request: Record<string, unknown>, model = 'gemini-2.5-flash'): Promise<GatewayError> {
  try {
    await convert(request, model);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('converted without an error');
}

describe('messages', () => {
  it('puts system and developer messages in systemInstruction and maps roles', async () => {
    const { body } = await convert({
      messages: [
        { role: 'system', content: 'Rule 1' },
        { role: 'developer', content: [{ type: 'text', text: 'Rule 2' }] },
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi there' },
        { role: 'user', content: [{ type: 'text', text: 'How are you?' }] },
      ],
    });
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Rule 1' }, { text: 'Rule 2' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Hello' }] },
      { role: 'model', parts: [{ text: 'Hi there' }] },
      { role: 'user', parts: [{ text: 'How are you?' }] },
    ]);
  });

  it('merges consecutive turns of one role, parallel tool results included', async () => {
    const { body } = await convert({
      messages: [
        { role: 'user', content: 'A' },
        { role: 'user', content: 'B' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_2', content: 'noon' },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: '{"temp": 20}' }] },
      ],
    });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'A' }, { text: 'B' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'weather', args: { city: 'Paris' } } },
          { functionCall: { name: 'time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'time', response: { output: 'noon' } } },
          { functionResponse: { name: 'weather', response: { temp: 20 } } },
        ],
      },
    ]);
  });

  it('names each tool result after the call it answers, never a placeholder', async () => {
    const { body } = await convert({
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'x1', type: 'function', function: { name: 'lookup_order', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'x1', content: '[1,2]' },
      ],
    });
    expect(body.contents[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'lookup_order', response: { output: '[1,2]' } } }],
    });
  });

  it('sends back the thought signature of each call that had one', async () => {
    const { body } = await convert({
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          tool_calls: [
            {
              id: 'a',
              type: 'function',
              function: { name: 'f', arguments: '{}' },
              extra_content: { google: { thought_signature: 'SIG==' } },
            },
            { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'a', content: '1' },
        { role: 'tool', tool_call_id: 'b', content: '2' },
      ],
    });
    expect(body.contents[1]!.parts).toEqual([
      { functionCall: { name: 'f', args: {} }, thoughtSignature: 'SIG==' },
      { functionCall: { name: 'g', args: {} } },
    ]);
  });

  it('converts the deprecated function_call and function messages', async () => {
    const { body } = await convert({
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{"a":1}' } },
        { role: 'function', name: 'f', content: 'done' },
      ],
    });
    expect(body.contents.slice(1)).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'f', args: { a: 1 } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: 'done' } } }] },
    ]);
  });

  it.each([
    [
      [
        { role: 'user', content: 'Hi' },
        { role: 'tool', tool_call_id: 'nope', content: 'x' },
      ],
      'messages[1].tool_call_id',
    ],
    [
      [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{bad' } }],
        },
      ],
      'messages[1].tool_calls[0].function.arguments',
    ],
    [
      [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '[1]' } }],
        },
      ],
      'messages[1].tool_calls[0].function.arguments',
    ],
    [
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', tool_calls: [{ id: 'a', type: 'custom', custom: { name: 'c', input: 'x' } }] },
      ],
      'messages[1].tool_calls[0]',
    ],
    [[{ role: 'system', content: 'Only rules' }], 'messages'],
    [
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: null, audio: { id: 'audio_1' } },
      ],
      'messages[1].audio',
    ],
  ])('refuses %j with a 400 naming %s', async (messages, param) => {
    const error = await refusal({ messages });
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe(param);
  });
});

describe('content parts', () => {
  it('takes data URIs, downloads http(s) images and passes file URIs by reference', async () => {
    const fetched: string[] = [];
    const { body } = await convert(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare' },
              { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/AA==' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'high' } },
              { type: 'image_url', image_url: { url: 'gs://bucket/dog.webp' } },
              { type: 'image_url', image_url: { url: `${FILES}abc123` } },
              { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
              { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } },
              { type: 'file', file: { filename: 'clip.mp4', file_data: 'AAAA' } },
              { type: 'file', file: { file_id: 'files/xyz' } },
            ],
          },
        ],
      },
      'gemini-2.5-flash',
      context({}, fetched),
    );
    expect(fetched).toEqual(['https://example.com/cat.png']);
    expect(body.contents[0]!.parts).toEqual([
      { text: 'Compare' },
      { inlineData: { mimeType: 'image/jpeg', data: '/9j/AA==' } },
      { inlineData: { mimeType: 'image/png', data: Buffer.from('png-bytes').toString('base64') } },
      { fileData: { fileUri: 'gs://bucket/dog.webp', mimeType: 'image/webp' } },
      { fileData: { fileUri: `${FILES}abc123` } },
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { inlineData: { mimeType: 'video/mp4', data: 'AAAA' } },
      { fileData: { fileUri: `${FILES}xyz` } },
    ]);
  });

  it('downloads nothing for a request it refuses', async () => {
    const fetched: string[] = [];
    const requestContext = context({}, fetched);
    const request = {
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
      ],
      top_logprobs: 2,
    } as ChatCompletionRequest;
    await expect(convertToGeminiRequest(request, target('gemini-2.5-flash'), requestContext)).rejects.toThrow(
      /top_logprobs/,
    );
    expect(fetched).toEqual([]);
  });

  it('reads data URIs that are not base64', () => {
    expect(parseDataUri('data:text/plain,Hello%20world')).toEqual({
      mimeType: 'text/plain',
      data: Buffer.from('Hello world').toString('base64'),
    });
    expect(parseDataUri('data:;base64,QQ==')).toEqual({ mimeType: 'text/plain', data: 'QQ==' });
    expect(parseDataUri('data:image/png;base64')).toBeUndefined();
  });

  it.each([
    [
      { type: 'image_url', image_url: { url: 'ftp://example.com/a.png' } },
      'messages[0].content[0].image_url.url',
    ],
    [
      { type: 'image_url', image_url: { url: 'data:application/zip;base64,UEs=' } },
      'messages[0].content[0].image_url.url',
    ],
    [
      { type: 'input_audio', input_audio: { data: 'AA', format: 'opus' } },
      'messages[0].content[0].input_audio.format',
    ],
    [{ type: 'file', file: { file_data: 'AAAA' } }, 'messages[0].content[0].file.file_data'],
    [{ type: 'file', file: { file_id: 'file-abc123' } }, 'messages[0].content[0].file.file_id'],
    [{ type: 'file', file: { filename: 'a.pdf' } }, 'messages[0].content[0].file'],
  ])('refuses the part %j naming %s', async (part, param) => {
    const error = await refusal({ messages: [{ role: 'user', content: [part] }] });
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe(param);
  });
});

describe('tools', () => {
  const weather = {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather now',
      strict: true,
      parameters: {
        type: 'object',
        properties: { city: { type: 'string', format: 'email' }, when: { $ref: '#/$defs/when' } },
        required: ['city'],
        additionalProperties: false,
        $defs: { when: { type: 'string', const: 'now' } },
      },
    },
  } as const;

  it('passes JSON Schema as written to models that take it', async () => {
    const { body, warnings } = await convert({ tools: [weather] });
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather now',
            parametersJsonSchema: weather.function.parameters,
          },
        ],
      },
    ]);
    expect(warnings).toEqual([
      "'tools[0].function.strict' is not enforced by Gemini: validate the arguments",
    ]);
  });

  it('rewrites the schema for older models, naming what it removed', async () => {
    const { body, warnings } = await convert({ tools: [weather] }, 'gemini-2.0-flash');
    expect(body.tools![0]!.functionDeclarations[0]!.parameters).toEqual({
      type: 'object',
      properties: { city: { type: 'string' }, when: { type: 'string', enum: ['now'] } },
      required: ['city'],
    });
    expect(warnings[0]).toBe(
      "removed from 'tools[0].function.parameters' what this model's schema subset does not take: additionalProperties, format \"email\"",
    );
  });

  it('leaves out the schema of a function without parameters on older models', async () => {
    const { body } = await convert(
      {
        tools: [
          { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
        ],
      },
      'gemini-1.5-flash',
    );
    expect(body.tools![0]!.functionDeclarations).toEqual([{ name: 'now' }]);
  });

  it('refuses a recursive schema for older models', async () => {
    const error = await refusal(
      {
        tools: [
          {
            type: 'function',
            function: {
              name: 'tree',
              parameters: {
                $ref: '#/$defs/node',
                $defs: { node: { type: 'object', properties: { child: { $ref: '#/$defs/node' } } } },
              },
            },
          },
        ],
      },
      'gemini-2.0-flash',
    );
    expect(error.param).toBe('tools[0].function.parameters');
  });

  it('rewrites nested unions and one-element allOf', () => {
    const warnings: string[] = [];
    expect(
      convertToGeminiSchema(
        {
          type: 'object',
          properties: {
            value: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
            either: { type: ['string', 'integer'] },
            merged: { allOf: [{ type: 'number', minimum: 0 }] },
            list: { type: 'array', items: { type: 'string', const: 1 } },
          },
        },
        'x',
        warnings,
      ),
    ).toEqual({
      type: 'object',
      properties: {
        value: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        merged: { type: 'number', minimum: 0 },
        list: { type: 'array', items: { type: 'string' } },
      },
    });
    expect(warnings).toEqual(["removed from 'x' what this model's schema subset does not take: const"]);
  });

  it.each([
    ['none', { mode: 'NONE' }],
    ['auto', { mode: 'AUTO' }],
    ['required', { mode: 'ANY' }],
    [
      { type: 'function', function: { name: 'b' } },
      { mode: 'ANY', allowedFunctionNames: ['b'] },
    ],
    [
      {
        type: 'allowed_tools',
        allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'a' } }] },
      },
      { mode: 'ANY', allowedFunctionNames: ['a'] },
    ],
  ])('tool_choice %j → %j', async (choice, config) => {
    const tools = ['a', 'b'].map((name) => ({ type: 'function', function: { name } }));
    const { body } = await convert({ tools, tool_choice: choice });
    expect(body.toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('allowed_tools in auto mode offers only the allowed functions', async () => {
    const tools = ['a', 'b'].map((name) => ({ type: 'function', function: { name } }));
    const { body } = await convert({
      tools,
      tool_choice: {
        type: 'allowed_tools',
        allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'b' } }] },
      },
    });
    expect(body.tools![0]!.functionDeclarations.map((item) => item.name)).toEqual(['b']);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
  });

  it('converts the deprecated functions and function_call', async () => {
    const { body } = await convert({ functions: [{ name: 'f' }], function_call: { name: 'f' } });
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: 'f' }] }]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } });
  });

  it.each([
    [{ tools: [{ type: 'custom', custom: { name: 'c' } }] }, 'tools[0]'],
    [
      {
        tools: [{ type: 'function', function: { name: 'a' } }],
        tool_choice: { type: 'function', function: { name: 'zzz' } },
      },
      'tool_choice',
    ],
  ])('refuses %j naming %s', async (request, param) => {
    expect((await refusal(request)).param).toBe(param);
  });
});

describe('generation settings', () => {
  it('maps the sampling and length parameters', async () => {
    const { body } = await convert({
      temperature: 0.7,
      top_p: 0.9,
      max_completion_tokens: 500,
      max_tokens: 100,
      stop: ['###', 'END'],
      n: 2,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      seed: 42,
      logprobs: true,
      top_logprobs: 3,
    });
    expect(body.generationConfig).toEqual({
      temperature: 0.7,
      topP: 0.9,
      maxOutputTokens: 500,
      stopSequences: ['###', 'END'],
      candidateCount: 2,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      seed: 42,
      responseLogprobs: true,
      logprobs: 3,
    });
  });

  it('sends a string stop as one stop sequence, and nulls as nothing', async () => {
    const { body } = await convert({ stop: 'STOP HERE', temperature: null, max_tokens: 64 });
    expect(body.generationConfig).toEqual({ stopSequences: ['STOP HERE'], maxOutputTokens: 64 });
  });

  it('refuses top_logprobs without logprobs, as OpenAI does', async () => {
    expect((await refusal({ top_logprobs: 2 })).param).toBe('top_logprobs');
  });

  it.each([
    [{ type: 'text' }, 'gemini-2.5-flash', undefined],
    [{ type: 'json_object' }, 'gemini-2.5-flash', { responseMimeType: 'application/json' }],
    [
      {
        type: 'json_schema',
        json_schema: { name: 'r', schema: { type: 'object', additionalProperties: false } },
      },
      'gemini-2.5-flash',
      {
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', additionalProperties: false },
      },
    ],
    [
      {
        type: 'json_schema',
        json_schema: { name: 'r', schema: { type: 'object', additionalProperties: false } },
      },
      'gemini-2.0-flash',
      { responseMimeType: 'application/json', responseSchema: { type: 'object' } },
    ],
  ])('response_format %j on %s', async (format, model, config) => {
    const { body } = await convert({ response_format: format }, model);
    expect(body.generationConfig).toEqual(config);
  });

  it.each([
    ['gemini-2.5-flash', 'none', { thinkingBudget: 0 }],
    ['gemini-2.5-flash', 'low', { thinkingBudget: 1024 }],
    ['gemini-2.5-pro', 'medium', { thinkingBudget: 8192 }],
    ['gemini-2.5-pro', 'high', { thinkingBudget: 24576 }],
    ['gemini-3-pro-preview', 'low', { thinkingLevel: 'low' }],
    ['gemini-3-pro-preview', 'high', { thinkingLevel: 'high' }],
  ])('%s: reasoning_effort %s → %j', async (model, effort, thinking) => {
    const { body, warnings } = await convert({ reasoning_effort: effort }, model);
    expect(body.generationConfig).toEqual({ thinkingConfig: thinking });
    expect(warnings).toEqual([]);
  });

  it('says so when an effort has no exact Gemini equivalent', async () => {
    const { body, warnings } = await convert({ reasoning_effort: 'xhigh' }, 'gemini-3-pro-preview');
    expect(body.generationConfig).toEqual({ thinkingConfig: { thinkingLevel: 'high' } });
    expect(warnings[0]).toContain("reasoning_effort 'xhigh' sent as thinkingLevel 'high'");
  });

  it('drops reasoning_effort with a warning for a model that does not think', async () => {
    const { body, warnings } = await convert({ reasoning_effort: 'low' }, 'gemini-2.0-flash');
    expect(body.generationConfig).toBeUndefined();
    expect(warnings).toEqual(["dropped 'reasoning_effort': gemini-2.0-flash does not think"]);
  });

  it('asks thinking models for thought summaries when thoughts are exposed', async () => {
    const exposed = context({ thoughts: 'expose' });
    expect((await convert({}, 'gemini-2.5-flash', exposed)).body.generationConfig).toEqual({
      thinkingConfig: { includeThoughts: true },
    });
    expect(
      (await convert({}, 'gemini-2.0-flash', context({ thoughts: 'expose' }))).body.generationConfig,
    ).toBeUndefined();
  });
});

describe('safety settings', () => {
  const settings = resolveGeminiSettings(
    'gemini',
    instance({
      safetySettings: [
        { category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_MEDIUM_AND_ABOVE' },
        { category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_MEDIUM_AND_ABOVE' },
      ],
      modelSafetySettings: {
        'gemini-2.5-flash': [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_ONLY_HIGH' }],
      },
    }),
  );

  it('merges the instance, model and request settings by category, the last one winning', async () => {
    const { body } = await convert(
      { google: { safety_settings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] } },
      'gemini-2.5-flash',
      context(settings),
    );
    expect(body.safetySettings).toEqual([
      { category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' },
      { category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_ONLY_HIGH' },
    ]);
    const other = await convert({}, 'gemini-2.5-pro', context(settings));
    expect(other.body.safetySettings).toEqual(settings.safetySettings);
    expect((await convert({})).body.safetySettings).toBeUndefined();
  });

  it.each([
    [{ google: 'x' }, 'google'],
    [{ google: { thinking: true } }, 'google.thinking'],
    [{ google: { safety_settings: {} } }, 'google.safety_settings'],
    [
      { google: { safety_settings: [{ category: 'HARM_CATEGORY_HARASSMENT' }] } },
      'google.safety_settings[0].threshold',
    ],
  ])('refuses the extension %j naming %s', async (request, param) => {
    expect((await refusal(request)).param).toBe(param);
  });

  it('refuses request safety settings when the instance turns them off', async () => {
    const error = await convert(
      { google: { safety_settings: [] } },
      'gemini-2.5-flash',
      context({ allowRequestSafetySettings: false }),
    ).catch((caught: unknown) => caught as GatewayError);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER');
  });

  it('refuses bad instance settings naming the key', () => {
    expect(() => resolveGeminiSettings('gemini', instance({ thoughts: 'show' }))).toThrow(
      ProviderConfigError,
    );
    expect(() =>
      resolveGeminiSettings(
        'gemini',
        instance({
          safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT' }],
        }),
      ),
    ).toThrow(/providers\.gemini\.safetySettings\.0\.threshold/);
    expect(() => resolveGeminiSettings('gemini', instance({ safetyLevel: 'high' }))).toThrow(/safetyLevel/);
  });
});
