/**
 * OpenAI chat requests → Anthropic Messages requests (pure: image downloads are a stand-in).
 */
import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../../schemas/chat.js';
import anthropicProvider from '../../../../plugins/providers/anthropic/index.js';
import { claudeVersion } from '../../../../plugins/providers/anthropic/anthropic-models.js';
import {
  AnthropicSettingsSchema,
  type AnthropicSettings,
} from '../../../../plugins/providers/anthropic/anthropic-options.js';
import {
  FALLBACK_MAX_TOKENS,
  convertToAnthropicRequest,
  type AnthropicRequestContext,
} from '../../../../plugins/providers/anthropic/convert-to-anthropic-request.js';
import { parseDataUri } from '../../../../src/provider-toolkit.js';
import { ProviderConfigError, resolveInstanceSettings } from '../../../../src/provider-registry.js';
import { Catalog, loadShippedCatalog } from '../../../../src/catalog.js';
import { GatewayError } from '../../../../src/errors.js';
import type { Target } from '../../../../src/provider.js';

const catalog = new Catalog(loadShippedCatalog([anthropicProvider]));

function target(model: string): Target {
  const entry = catalog.get(model);
  return { deploymentId: `anthropic/${model}`, upstreamModel: entry?.upstream ?? model, model: entry };
}

function settingsOf(options: Record<string, unknown> = {}): AnthropicSettings {
  return resolveInstanceSettings<AnthropicSettings>(AnthropicSettingsSchema, 'anthropic', options);
}

function context(
  options: Record<string, unknown> = {},
  extra: Partial<AnthropicRequestContext> = {},
  fetched: string[] = [],
): AnthropicRequestContext {
  const settings = settingsOf(options);
  return {
    settings,
    unsupportedParameters: 'drop',
    warnings: [],
    imageUrls: settings.imageUrls,
    async fetchImage(url) {
      fetched.push(url);
      return { mimeType: 'image/png', data: Buffer.from('png-bytes') };
    },
    ...extra,
  };
}

async function convert(
  request: Record<string, unknown>,
  model = 'claude-sonnet-4-5',
  requestContext = context(),
) {
  const converted = await convertToAnthropicRequest(
    { model, messages: [{ role: 'user', content: 'Hi' }], ...request } as ChatCompletionRequest,
    target(model),
    requestContext,
  );
  return { ...converted, warnings: requestContext.warnings };
}

async function refusal(
  request: Record<string, unknown>,
  model = 'claude-sonnet-4-5',
  requestContext = context(),
): Promise<GatewayError> {
  try {
    await convert(request, model, requestContext);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('converted without an error');
}

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('plain parameters', () => {
  it('sends the upstream model, the client max_tokens and the sampling parameters', async () => {
    const { body, betas, warnings } = await convert({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      max_tokens: 100,
      temperature: 0.3,
      top_p: 0.9,
      stop: 'END',
      user: 'user-42',
    });
    expect(body).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 100,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      temperature: 0.3,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
    });
    expect(betas).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('prefers max_completion_tokens, and safety_identifier as the end user', async () => {
    const { body } = await convert({
      max_tokens: 100,
      max_completion_tokens: 200,
      user: 'old',
      safety_identifier: 'hashed-id',
      stop: ['a', 'b'],
    });
    expect(body.max_tokens).toBe(200);
    expect(body.metadata).toEqual({ user_id: 'hashed-id' });
    expect(body.stop_sequences).toEqual(['a', 'b']);
  });

  it('defaults max_tokens to the catalog output limit, else a constant, else the configured number', async () => {
    expect((await convert({}, 'claude-opus-4-1')).body.max_tokens).toBe(32000);
    expect((await convert({}, 'claude-3-5-haiku-20241022')).body.max_tokens).toBe(FALLBACK_MAX_TOKENS);
    const fixed = context({ defaultMaxTokens: 2048 });
    expect((await convert({}, 'claude-opus-4-1', fixed)).body.max_tokens).toBe(2048);
  });

  it('drops n above 1 with a warning, or refuses it with the reject policy', async () => {
    const { body, warnings } = await convert({ n: 3 });
    expect(body).not.toHaveProperty('n');
    expect(warnings).toEqual(["dropped unsupported parameter 'n=3' for model 'claude-sonnet-4-5'"]);
    expect((await convert({ n: 1 })).warnings).toEqual([]);
    const refused = await refusal(
      { n: 2 },
      'claude-sonnet-4-5',
      context({}, { unsupportedParameters: 'reject' }),
    );
    expect(refused.gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER');
    expect(refused.param).toBe('n');
  });
});

describe('messages', () => {
  it('puts system and developer messages in system, merges turns of one role', async () => {
    const { body } = await convert({
      messages: [
        { role: 'system', content: 'Rule 1' },
        { role: 'system', content: '' },
        { role: 'user', content: 'Hello' },
        { role: 'developer', content: [{ type: 'text', text: 'Rule 2' }] },
        { role: 'user', content: [{ type: 'text', text: 'Again' }] },
        { role: 'assistant', content: 'Hi there' },
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] },
        { role: 'user', content: 'Why?', name: 'ann' },
      ],
    });
    expect(body.system).toEqual([
      { type: 'text', text: 'Rule 1' },
      { type: 'text', text: 'Rule 2' },
    ]);
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hello' },
          { type: 'text', text: 'Again' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Hi there' },
          { type: 'text', text: 'No.' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Why?' }] },
    ]);
  });

  it('sends tool calls as tool_use and results as tool_result in one user turn, matched by id', async () => {
    const { body } = await convert({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'toolu_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
        { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: 'Rain' }] },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [weather],
    });
    expect(body.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'Rain' }] },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ]);
  });

  it('answers the deprecated function protocol with generated ids', async () => {
    const { body } = await convert({
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          function_call: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
        },
        { role: 'function', name: 'get_weather', content: 'Snow' },
      ],
      functions: [weather.function],
      function_call: { name: 'get_weather' },
    });
    const use = body.messages[1]!.content[0] as { id: string };
    expect(body.messages[1]!.content).toEqual([
      { type: 'tool_use', id: use.id, name: 'get_weather', input: { city: 'Oslo' } },
    ]);
    expect(body.messages[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: use.id, content: 'Snow' },
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
  });

  it('refuses a tool result without its call, bad arguments, audio and custom tool calls', async () => {
    const orphan = await refusal({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'tool', tool_call_id: 'nope', content: 'y' },
      ],
    });
    expect(orphan.param).toBe('messages[1].tool_call_id');
    const badArguments = await refusal({
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '[1]' } }],
        },
      ],
    });
    expect(badArguments.param).toBe('messages[1].tool_calls[0].function.arguments');
    const audio = await refusal({
      messages: [
        { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] },
      ],
    });
    expect(audio.gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_CONTENT');
    expect(audio.param).toBe('messages[0].content[0]');
    const custom = await refusal({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'f', input: 'x' } }] },
      ],
    });
    expect(custom.param).toBe('messages[1].tool_calls[0]');
    const onlySystem = await refusal({ messages: [{ role: 'system', content: 'x' }] });
    expect(onlySystem.param).toBe('messages');
  });

  it('sends data-URI images as base64, http(s) URLs as URL sources, or downloads them when configured', async () => {
    const png = 'iVBORw0KGgo=';
    const parts = [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}`, detail: 'high' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
    ];
    const passed = await convert({ messages: [{ role: 'user', content: parts }] });
    expect(passed.body.messages[0]!.content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
    const fetched: string[] = [];
    const downloading = context({ imageUrls: 'download' }, {}, fetched);
    const downloaded = await convert(
      { messages: [{ role: 'user', content: parts }] },
      'claude-sonnet-4-5',
      downloading,
    );
    expect(fetched).toEqual(['https://example.com/cat.jpg']);
    expect(downloaded.body.messages[0]!.content[2]).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: Buffer.from('png-bytes').toString('base64') },
    });
  });

  it('refuses images Claude cannot read, and URLs that are neither http(s) nor data:', async () => {
    const tiff = await refusal({
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AAAA' } }] },
      ],
    });
    expect(tiff.param).toBe('messages[0].content[0].image_url.url');
    expect(tiff.message).toContain('image/tiff');
    const ftp = await refusal({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }],
    });
    expect(ftp.param).toBe('messages[0].content[0].image_url.url');
  });

  it('sends PDF files as document blocks, plain text as text documents, and refuses file ids', async () => {
    const pdf = Buffer.from('%PDF-1.4').toString('base64');
    const { body } = await convert({
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'file',
              file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${pdf}` },
            },
            {
              type: 'file',
              file: { filename: 'notes.txt', file_data: Buffer.from('plain notes').toString('base64') },
            },
            { type: 'text', text: 'Summarize both.' },
          ],
        },
      ],
    });
    expect(body.messages[0]!.content).toEqual([
      {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: pdf },
        title: 'report.pdf',
      },
      {
        type: 'document',
        source: { type: 'text', media_type: 'text/plain', data: 'plain notes' },
        title: 'notes.txt',
      },
      { type: 'text', text: 'Summarize both.' },
    ]);
    const stored = await refusal({
      messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }],
    });
    expect(stored.param).toBe('messages[0].content[0].file.file_id');
    const video = await refusal({
      messages: [
        { role: 'user', content: [{ type: 'file', file: { file_data: 'data:video/mp4;base64,AAAA' } }] },
      ],
    });
    expect(video.param).toBe('messages[0].content[0].file');
  });

  it('parses data URIs with and without base64', () => {
    expect(parseDataUri('data:text/plain,a%20b')).toEqual({
      mimeType: 'text/plain',
      data: Buffer.from('a b').toString('base64'),
    });
    expect(parseDataUri('data:image/PNG;base64,AAAA')).toEqual({ mimeType: 'image/png', data: 'AAAA' });
    expect(parseDataUri('https://x')).toBeUndefined();
    expect(parseDataUri('data:nocomma')).toBeUndefined();
  });
});

describe('tools', () => {
  it('sends functions as tools with their schema and maps all four tool_choice forms', async () => {
    const forms: [unknown, unknown][] = [
      ['none', { type: 'none' }],
      ['auto', { type: 'auto' }],
      ['required', { type: 'any' }],
      [
        { type: 'function', function: { name: 'get_weather' } },
        { type: 'tool', name: 'get_weather' },
      ],
    ];
    for (const [choice, expected] of forms) {
      const { body } = await convert({ tools: [weather], tool_choice: choice });
      expect(body.tools).toEqual([
        {
          name: 'get_weather',
          description: 'The weather in a city',
          input_schema: weather.function.parameters,
        },
      ]);
      expect(body.tool_choice).toEqual(expected);
    }
  });

  it('narrows allowed_tools, turns parallel_tool_calls false into disable_parallel_tool_use', async () => {
    const other = { type: 'function', function: { name: 'get_time' } };
    const { body } = await convert({
      tools: [weather, other],
      tool_choice: {
        type: 'allowed_tools',
        allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_time' } }] },
      },
      parallel_tool_calls: false,
    });
    expect(body.tools).toEqual([{ name: 'get_time', input_schema: { type: 'object', properties: {} } }]);
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    const plain = await convert({ tools: [weather], parallel_tool_calls: false });
    expect(plain.body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  it('passes strict on models with structured outputs, and warns elsewhere', async () => {
    const strict = { type: 'function', function: { ...weather.function, strict: true } };
    expect((await convert({ tools: [strict] })).body.tools![0]!.strict).toBe(true);
    const older = await convert({ tools: [strict] }, 'claude-opus-4-1');
    expect(older.body.tools![0]).not.toHaveProperty('strict');
    expect(older.warnings).toEqual([
      "'tools[0].function.strict' is not enforced by this Claude model: validate the arguments",
    ]);
  });

  it('refuses custom tools, unknown named functions and non-object schemas', async () => {
    expect((await refusal({ tools: [{ type: 'custom', custom: { name: 'x' } }] })).param).toBe('tools[0]');
    expect(
      (await refusal({ tools: [weather], tool_choice: { type: 'function', function: { name: 'nope' } } }))
        .param,
    ).toBe('tool_choice');
    const arraySchema = { type: 'function', function: { name: 'f', parameters: { type: 'array' } } };
    expect((await refusal({ tools: [arraySchema] })).param).toBe('tools[0].function.parameters');
  });
});

describe('JSON answers', () => {
  const recipe = {
    type: 'json_schema',
    json_schema: {
      name: 'recipe',
      description: 'A recipe',
      schema: {
        type: 'object',
        properties: { name: { type: 'string' } },
        required: ['name'],
        additionalProperties: false,
      },
      strict: true,
    },
  };

  it('uses structured outputs where the model has them', async () => {
    const { body, jsonTool } = await convert({ response_format: recipe });
    expect(body.output_config).toEqual({
      format: { type: 'json_schema', schema: recipe.json_schema.schema },
    });
    expect(body).not.toHaveProperty('tools');
    expect(jsonTool).toBeUndefined();
  });

  it('uses a forced tool on models without them, and for json_object', async () => {
    const older = await convert({ response_format: recipe }, 'claude-opus-4-1');
    expect(older.jsonTool).toBe('recipe');
    expect(older.body.tools).toEqual([
      { name: 'recipe', description: 'A recipe', input_schema: recipe.json_schema.schema },
    ]);
    expect(older.body.tool_choice).toEqual({ type: 'tool', name: 'recipe' });
    expect(older.body).not.toHaveProperty('output_config');
    const object = await convert({ response_format: { type: 'json_object' } });
    expect(object.jsonTool).toBe('json');
    expect(object.body.tools![0]!.input_schema).toEqual({ type: 'object', properties: {} });
    expect(object.body.tool_choice).toEqual({ type: 'tool', name: 'json' });
  });

  it('lets the model call its own tools or the JSON tool, under a name no tool has', async () => {
    const clash = { type: 'function', function: { name: 'json', parameters: { type: 'object' } } };
    const { body, jsonTool } = await convert({
      response_format: { type: 'json_object' },
      tools: [weather, clash],
    });
    expect(jsonTool).toBe('json_response');
    expect(body.tools!.map((tool) => tool.name)).toEqual(['get_weather', 'json', 'json_response']);
    expect(body.tool_choice).toEqual({ type: 'any' });
  });

  it('ignores a text response_format', async () => {
    const { body, jsonTool } = await convert({ response_format: { type: 'text' } });
    expect(body).not.toHaveProperty('output_config');
    expect(jsonTool).toBeUndefined();
  });
});

describe('reasoning', () => {
  it('asks budget models for a thinking budget by effort, below max_tokens', async () => {
    const { body, warnings } = await convert({ reasoning_effort: 'medium' });
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(body.max_tokens).toBe(64000);
    expect(warnings).toEqual([]);
    const configured = context({ thinkingBudgets: { high: 30000 } });
    expect(
      (await convert({ reasoning_effort: 'high' }, 'claude-sonnet-4-5', configured)).body.thinking,
    ).toEqual({
      type: 'enabled',
      budget_tokens: 30000,
    });
  });

  it('lowers a budget that does not fit max_tokens, and drops thinking that cannot fit at all', async () => {
    const lowered = await convert({ reasoning_effort: 'high', max_completion_tokens: 5000 });
    expect(lowered.body.thinking).toEqual({ type: 'enabled', budget_tokens: 4999 });
    expect(lowered.warnings).toEqual([
      "thinking budget for reasoning_effort 'high' lowered from 16384 to 4999 tokens to stay below max_tokens",
    ]);
    const none = await convert({ reasoning_effort: 'low', max_tokens: 1000 });
    expect(none.body).not.toHaveProperty('thinking');
    expect(none.warnings[0]).toContain("dropped 'reasoning_effort': max_tokens 1000");
  });

  it('asks adaptive models for an effort', async () => {
    const { body, warnings } = await convert({ reasoning_effort: 'xhigh' }, 'claude-opus-4-7');
    expect(body.thinking).toEqual({ type: 'adaptive' });
    expect(body.output_config).toEqual({ effort: 'xhigh' });
    expect(warnings).toEqual([]);
    const minimal = await convert({ reasoning_effort: 'minimal' }, 'claude-sonnet-4-6');
    expect(minimal.body.output_config).toEqual({ effort: 'low' });
    expect(minimal.warnings).toEqual([
      "reasoning_effort 'minimal' sent as effort 'low', the lowest Claude takes",
    ]);
    const overridden = context({ thinkingModes: { 'claude-sonnet-4-6': 'budget' } });
    expect(
      (await convert({ reasoning_effort: 'low' }, 'claude-sonnet-4-6', overridden)).body.thinking,
    ).toEqual({
      type: 'enabled',
      budget_tokens: 2048,
    });
  });

  it("turns thinking off for 'none', and drops reasoning_effort for models that do not think", async () => {
    expect((await convert({ reasoning_effort: 'none' })).body.thinking).toEqual({ type: 'disabled' });
    const old = await convert({ reasoning_effort: 'high' }, 'claude-3-5-haiku-20241022');
    expect(old.body).not.toHaveProperty('thinking');
    expect(old.warnings).toEqual(["dropped 'reasoning_effort': claude-3-5-haiku-20241022 does not think"]);
  });

  it('drops temperature, a low top_p and a forced tool choice while thinking, with warnings', async () => {
    const { body, warnings } = await convert({
      reasoning_effort: 'low',
      temperature: 0.2,
      top_p: 0.5,
      tools: [weather],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('top_p');
    expect(body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(warnings).toEqual([
      "dropped 'temperature' (0.2): Claude takes no temperature while it thinks",
      "dropped 'top_p' (0.5): Claude takes a top_p from 0.95 to 1 while it thinks",
      "'tool_choice' sent as 'auto': Claude cannot be made to call a tool while it thinks",
    ]);
    const kept = await convert({ reasoning_effort: 'low', temperature: 1, top_p: 0.97 });
    expect(kept.body.temperature).toBe(1);
    expect(kept.body.top_p).toBe(0.97);
    expect(kept.warnings).toEqual([]);
  });

  it('does not think when the JSON answer is a forced tool call', async () => {
    const { body, warnings } = await convert({
      reasoning_effort: 'low',
      response_format: { type: 'json_object' },
    });
    expect(body).not.toHaveProperty('thinking');
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'json' });
    expect(warnings[0]).toContain('forced tool call');
  });

  it('carries thinking blocks back first in their turn, and thinks in a tool loop only with them', async () => {
    const thinking = { type: 'thinking', thinking: 'Paris first.', signature: 'c2lnbmF0dXJl' };
    const redacted = { type: 'redacted_thinking', data: 'ZW5jcnlwdGVk' };
    const turn = (extra: unknown) => [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
        ...(extra === undefined ? {} : { extra_content: extra }),
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
    ];
    const carried = await convert({
      messages: turn({ anthropic: { thinking_blocks: [thinking, redacted] } }),
      tools: [weather],
      reasoning_effort: 'low',
    });
    expect(carried.body.messages[1]!.content).toEqual([
      thinking,
      redacted,
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(carried.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(carried.warnings).toEqual([]);

    const forgotten = await convert({ messages: turn(undefined), tools: [weather], reasoning_effort: 'low' });
    expect(forgotten.body).not.toHaveProperty('thinking');
    expect(forgotten.warnings[0]).toContain('has no thinking blocks');

    const mangled = await refusal({
      messages: turn({ anthropic: { thinking_blocks: [{ type: 'thinking', thinking: 'x' }] } }),
    });
    expect(mangled.param).toBe('messages[1].extra_content.anthropic.thinking_blocks[0]');
  });
});

describe('prompt caching', () => {
  it('passes cache_control from parts, messages and tools through', async () => {
    const { body } = await convert({
      messages: [
        {
          role: 'system',
          content: [{ type: 'text', text: 'Long rules', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        },
        { role: 'user', content: 'Question', cache_control: { type: 'ephemeral' } },
      ],
      tools: [{ ...weather, cache_control: { type: 'ephemeral' } }],
    });
    expect(body.system).toEqual([
      { type: 'text', text: 'Long rules', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    expect(body.messages[0]!.content).toEqual([
      { type: 'text', text: 'Question', cache_control: { type: 'ephemeral' } },
    ]);
    expect(body.tools![0]!.cache_control).toEqual({ type: 'ephemeral' });
  });

  it('refuses a malformed cache_control naming it', async () => {
    const wrongType = await refusal({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'persistent' } }] },
      ],
    });
    expect(wrongType.param).toBe('messages[0].content[0].cache_control.type');
    const extraKey = await refusal({
      messages: [{ role: 'user', content: 'x', cache_control: { type: 'ephemeral', size: 1 } }],
    });
    expect(extraKey.param).toBe('messages[0].cache_control.size');
    expect((await refusal({ tools: [{ ...weather, cache_control: 'yes' }] })).param).toBe(
      'tools[0].cache_control',
    );
  });

  it('adds the instance breakpoints after the tools and the system prompt, within four', async () => {
    const automatic = context({ promptCaching: { system: true, tools: true, ttl: '1h' } });
    const { body } = await convert(
      {
        messages: [
          { role: 'system', content: 'Rules' },
          { role: 'user', content: 'Hi' },
        ],
        tools: [weather, weather],
      },
      'claude-sonnet-4-5',
      automatic,
    );
    expect(body.tools![0]).not.toHaveProperty('cache_control');
    expect(body.tools![1]!.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(body.system![0]!.cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });

    const busy = context({ promptCaching: { system: true, tools: true } });
    const marked = (text: string) => ({ role: 'user', content: text, cache_control: { type: 'ephemeral' } });
    const crowded = await convert(
      {
        messages: [
          { role: 'system', content: 'Rules' },
          marked('a'),
          { role: 'assistant', content: 'b' },
          marked('c'),
        ],
        tools: [{ ...weather, cache_control: { type: 'ephemeral' } }],
      },
      'claude-sonnet-4-5',
      busy,
    );
    expect(crowded.body.system![0]!.cache_control).toEqual({ type: 'ephemeral' });
    expect(crowded.warnings).toEqual([]);
    const full = await convert(
      {
        messages: [
          { role: 'system', content: 'Rules' },
          marked('a'),
          { role: 'assistant', content: 'b' },
          marked('c'),
          { role: 'assistant', content: 'd' },
          marked('e'),
        ],
        tools: [weather],
      },
      'claude-sonnet-4-5',
      busy,
    );
    expect(full.body.tools![0]!.cache_control).toEqual({ type: 'ephemeral' });
    expect(full.body.system![0]).not.toHaveProperty('cache_control');
    expect(full.warnings).toEqual([
      'left out 1 automatic cache breakpoint(s): the request has 3 of its own and Anthropic takes 4',
    ]);
  });
});

describe('betas and the extension field', () => {
  it('merges the instance, model and request betas, each once', async () => {
    const configured = context({
      betas: ['interleaved-thinking-2025-05-14'],
      modelBetas: {
        'claude-sonnet-4-5': ['context-1m-2025-08-07'],
        'claude-opus-4-1-20250805': ['other-beta'],
      },
    });
    const { betas, body } = await convert(
      { anthropic: { betas: ['context-1m-2025-08-07', 'files-api-2025-04-14'] } },
      'claude-sonnet-4-5',
      configured,
    );
    expect(betas).toEqual([
      'interleaved-thinking-2025-05-14',
      'context-1m-2025-08-07',
      'files-api-2025-04-14',
    ]);
    expect(body).not.toHaveProperty('anthropic');
    const byUpstreamName = await convert(
      {},
      'claude-opus-4-1',
      context({ modelBetas: { 'claude-opus-4-1-20250805': ['other-beta'] } }),
    );
    expect(byUpstreamName.betas).toEqual(['other-beta']);
  });

  it('checks the extension field, and refuses request betas when the instance forbids them', async () => {
    expect((await refusal({ anthropic: 'x' })).param).toBe('anthropic');
    expect((await refusal({ anthropic: { top_k: 3 } })).param).toBe('anthropic.top_k');
    expect((await refusal({ anthropic: { betas: ['bad beta'] } })).param).toBe('anthropic.betas[0]');
    const locked = await refusal(
      { anthropic: { betas: ['x-1'] } },
      'claude-sonnet-4-5',
      context({ allowRequestBetas: false }),
    );
    expect(locked.gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER');
  });
});

describe('instance settings', () => {
  it('fills defaults and refuses a wrong setting naming its key', () => {
    const settings = settingsOf();
    expect(settings.defaultMaxTokens).toBe('model');
    expect(settings.thinkingBudgets).toEqual({
      minimal: 1024,
      low: 2048,
      medium: 8192,
      high: 16384,
      xhigh: 32768,
      max: 63999,
    });
    expect(settings.promptCaching).toEqual({ system: false, tools: false, ttl: '5m' });
    expect(() => settingsOf({ thinkingBudgets: { low: 10 } })).toThrow(ProviderConfigError);
    expect(() => settingsOf({ thinkingBudgets: { low: 10 } })).toThrow(
      /providers\.anthropic\.thinkingBudgets\.low/,
    );
    expect(() => settingsOf({ betaz: [] })).toThrow(ProviderConfigError);
    expect(() => settingsOf({ betas: ['a,b'] })).toThrow(/providers\.anthropic\.betas\.0/);
  });

  it('reads Claude versions from both naming schemes', () => {
    expect(claudeVersion('claude-sonnet-4-5-20250929')).toBe(4.5);
    expect(claudeVersion('claude-opus-4-20250514')).toBe(4);
    expect(claudeVersion('claude-sonnet-5')).toBe(5);
    expect(claudeVersion('claude-3-7-sonnet-20250219')).toBe(3.7);
    expect(claudeVersion('claude-3-haiku-20240307')).toBe(3);
    expect(claudeVersion('my-proxy-model')).toBeUndefined();
  });
});
