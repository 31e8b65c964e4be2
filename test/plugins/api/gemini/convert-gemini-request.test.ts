/**
 * The Gemini door's request converters, as pure functions: a Gemini generateContent request → the
 * internal chat request, with what it cannot carry noted rather than acted on.
 */
import { describe, expect, it } from 'vitest';
import { encodeCarriedExtensions } from '../../../../plugins/api/gemini/carried-extensions.js';
import { convertGeminiRequest } from '../../../../plugins/api/gemini/convert-gemini-request.js';
import { convertGeminiSchema } from '../../../../plugins/api/gemini/convert-gemini-schema.js';
import type { GenerateContentRequest } from '../../../../plugins/api/gemini/gemini-schemas.js';
import { ERRORS } from '../../../../src/errors.js';

const convert = (body: GenerateContentRequest, stream = false) =>
  convertGeminiRequest(body, 'some-model', stream);
const user = (text: string) => ({ role: 'user' as const, parts: [{ text }] });

describe('contents and roles', () => {
  it('maps the system instruction, user and model turns, in order', () => {
    const { request, notes } = convert({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [user('Hi'), { role: 'model', parts: [{ text: 'Hello!' }] }, { parts: [{ text: 'Again' }] }],
    });
    expect(request).toEqual({
      model: 'some-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: [{ type: 'text', text: 'Again' }] },
      ],
    });
    expect(notes).toEqual({ unsupported: [], refusals: [] });
  });

  it('keeps several system parts as text parts', () => {
    const { request } = convert({
      systemInstruction: { parts: [{ text: 'One.' }, { text: 'Two.' }] },
      contents: [user('Hi')],
    });
    expect(request.messages[0]).toEqual({
      role: 'system',
      content: [
        { type: 'text', text: 'One.' },
        { type: 'text', text: 'Two.' },
      ],
    });
  });

  it('joins a streamed answer kept as several model turns into one assistant message, without thoughts', () => {
    const { request } = convert({
      contents: [
        user('Count'),
        { role: 'model', parts: [{ text: 'Let me think', thought: true }, { text: '1 ' }] },
        { role: 'model', parts: [{ text: '2 ' }] },
        { role: 'model', parts: [{ text: '3' }] },
        user('Thanks'),
      ],
    });
    expect(request.messages[1]).toEqual({ role: 'assistant', content: '1 2 3' });
    expect(request.messages).toHaveLength(3);
  });

  it('maps inline images, audio and documents, and http(s) images given by URL', () => {
    const { request, notes } = convert({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Look' },
            { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
            { inlineData: { mimeType: 'audio/mpeg', data: 'SUQz' } },
            { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.jpg' } },
            { fileData: { fileUri: 'https://example.com/dog.png?size=2' } },
          ],
        },
      ],
    });
    expect(request.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'Look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'input_audio', input_audio: { data: 'SUQz', format: 'mp3' } },
        { type: 'file', file: { filename: 'file-3.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        { type: 'image_url', image_url: { url: 'https://example.com/dog.png?size=2' } },
      ],
    });
    expect(notes.refusals).toEqual([]);
  });

  it('notes a Files API file as content only Gemini can read (a 400 for a translated target)', () => {
    const { request, notes } = convert({
      contents: [
        {
          parts: [
            { text: 'Summarize' },
            {
              fileData: {
                mimeType: 'application/pdf',
                fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc',
              },
            },
          ],
        },
      ],
    });
    expect(request.messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'Summarize' }] });
    expect(notes.refusals).toHaveLength(1);
    expect(notes.refusals[0]!.gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_CONTENT');
    expect(notes.refusals[0]!.param).toBe('contents[0].parts[1].fileData');
    expect(notes.refusals[0]!.statusCode).toBe(ERRORS.GW_ERR_REQUEST_UNSUPPORTED_CONTENT.status);
  });

  it('names the part fields it cannot read', () => {
    const { notes } = convert({
      contents: [
        {
          parts: [
            { text: 'Run it', videoMetadata: { startOffset: '1s' } } as never,
            { executableCode: { language: 'PYTHON', code: 'print(1)' } } as never,
          ],
        },
      ],
    });
    expect(notes.unsupported.map((entry) => entry.param)).toEqual([
      'contents[0].parts[0].videoMetadata',
      'contents[0].parts[1].executableCode',
    ]);
  });
});

describe('function calls and results', () => {
  it('maps calls to tool_calls and results to tool messages, matched by id', () => {
    const { request, notes } = convert({
      contents: [
        user('Weather in Paris and Tokyo?'),
        {
          role: 'model',
          parts: [
            { functionCall: { id: 'call_a', name: 'get_weather', args: { city: 'Paris' } } },
            { functionCall: { id: 'call_b', name: 'get_weather', args: { city: 'Tokyo' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { id: 'call_b', name: 'get_weather', response: { output: '25C' } } },
            { functionResponse: { id: 'call_a', name: 'get_weather', response: { temperature: 18 } } },
          ],
        },
      ],
    });
    expect(notes.refusals).toEqual([]);
    expect(request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_a',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'call_b',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_b', content: '25C' },
      { role: 'tool', tool_call_id: 'call_a', content: '{"temperature":18}' },
    ]);
  });

  it('gives calls without an id one that is the same on every request, and matches results by name', () => {
    const body: GenerateContentRequest = {
      contents: [
        user('Two lookups'),
        {
          role: 'model',
          parts: [
            { text: 'Checking.' },
            { functionCall: { name: 'lookup', args: { q: 'a' } } },
            { functionCall: { name: 'lookup', args: { q: 'b' } } },
          ],
        },
        // @google/generative-ai sends results in a 'function' turn.
        {
          role: 'function',
          parts: [
            { functionResponse: { name: 'lookup', response: { output: 'A' } } },
            { functionResponse: { name: 'lookup', response: { output: 'B' } } },
          ],
        },
        user('And?'),
      ],
    };
    const first = convert(body).request;
    expect(first.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } },
          { id: 'call_1_2', type: 'function', function: { name: 'lookup', arguments: '{"q":"b"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1_1', content: 'A' },
      { role: 'tool', tool_call_id: 'call_1_2', content: 'B' },
      { role: 'user', content: [{ type: 'text', text: 'And?' }] },
    ]);
    expect(convert(body).request).toEqual(first);
  });

  it('notes a result that answers no call', () => {
    const { notes, request } = convert({
      contents: [
        { role: 'user', parts: [{ functionResponse: { name: 'orphan', response: { output: 'x' } } }] },
      ],
    });
    expect(request.messages).toEqual([]);
    expect(notes.refusals[0]!.param).toBe('contents[0].parts[0].functionResponse');
  });

  it('reads back the extension fields the gateway carried in thought signatures, and leaves out foreign ones', () => {
    const blocks = {
      anthropic: { thinking_blocks: [{ type: 'thinking', thinking: 'Hmm', signature: 'sig' }] },
    };
    const { request } = convert({
      contents: [
        user('Time?'),
        {
          role: 'model',
          parts: [
            {
              functionCall: { id: 'toolu_1', name: 'now', args: {} },
              thoughtSignature: encodeCarriedExtensions({ message: blocks, call: { vendor: { id: 7 } } }),
            },
            {
              functionCall: { id: 'toolu_2', name: 'zone', args: {} },
              thoughtSignature: 'CtQOAVSoXO74PmYr9AFu',
            },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { id: 'toolu_1', name: 'now', response: { output: 'noon' } } },
            { functionResponse: { id: 'toolu_2', name: 'zone', response: { output: 'UTC' } } },
          ],
        },
      ],
    });
    expect(request.messages[1]).toEqual({
      role: 'assistant',
      content: null,
      extra_content: blocks,
      tool_calls: [
        {
          id: 'toolu_1',
          type: 'function',
          function: { name: 'now', arguments: '{}' },
          extra_content: { vendor: { id: 7 } },
        },
        { id: 'toolu_2', type: 'function', function: { name: 'zone', arguments: '{}' } },
      ],
    });
  });
});

describe('tools and tool config', () => {
  it('maps declarations with either schema kind, and notes Gemini-only tools', () => {
    const { request, notes } = convert({
      contents: [user('Hi')],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Weather of a city',
              parameters: {
                type: 'OBJECT',
                properties: {
                  city: { type: 'STRING', nullable: true },
                  days: { type: 'INTEGER', format: 'int32' },
                },
                required: ['city'],
                propertyOrdering: ['city', 'days'],
              },
            },
            { name: 'now', parametersJsonSchema: { type: 'object', properties: {} } },
            { name: 'ping' },
          ],
        },
        { googleSearch: {} } as never,
      ],
    });
    expect(request.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather of a city',
          parameters: {
            type: 'object',
            properties: { city: { type: ['string', 'null'] }, days: { type: 'integer' } },
            required: ['city'],
          },
        },
      },
      { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
      { type: 'function', function: { name: 'ping' } },
    ]);
    expect(notes.unsupported).toEqual([{ param: 'tools[1].googleSearch' }]);
  });

  it.each([
    [{ mode: 'AUTO' }, 'auto'],
    [{ mode: 'NONE' }, 'none'],
    [{ mode: 'ANY' }, 'required'],
    [
      { mode: 'ANY', allowedFunctionNames: ['now'] },
      { type: 'function', function: { name: 'now' } },
    ],
    [
      { mode: 'ANY', allowedFunctionNames: ['now', 'zone'] },
      {
        type: 'allowed_tools',
        allowed_tools: {
          mode: 'required',
          tools: [
            { type: 'function', function: { name: 'now' } },
            { type: 'function', function: { name: 'zone' } },
          ],
        },
      },
    ],
    [
      { mode: 'AUTO', allowedFunctionNames: ['now'] },
      {
        type: 'allowed_tools',
        allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'now' } }] },
      },
    ],
    [{}, undefined],
  ] as const)('functionCallingConfig %j → tool_choice %j', (functionCallingConfig, choice) => {
    const { request } = convert({
      contents: [user('Hi')],
      tools: [{ functionDeclarations: [{ name: 'now' }, { name: 'zone' }] }],
      toolConfig: { functionCallingConfig: functionCallingConfig as never },
    });
    expect(request.tool_choice).toEqual(choice);
  });

  it('serves VALIDATED as AUTO, with a note', () => {
    const { request, notes } = convert({
      contents: [user('Hi')],
      toolConfig: { functionCallingConfig: { mode: 'VALIDATED' } },
    });
    expect(request.tool_choice).toBe('auto');
    expect(notes.unsupported[0]!.label).toContain('VALIDATED');
  });
});

describe('generation config', () => {
  it('maps sampling, length, candidates, stops, penalties, seed and log probabilities', () => {
    const { request, notes } = convert({
      contents: [user('Hi')],
      generationConfig: {
        temperature: 0.3,
        topP: 0.9,
        topK: 40,
        candidateCount: 2,
        maxOutputTokens: 256,
        stopSequences: ['END'],
        presencePenalty: 0.5,
        frequencyPenalty: 0.25,
        seed: 7,
        responseLogprobs: true,
        logprobs: 3,
      },
    });
    expect(request).toMatchObject({
      temperature: 0.3,
      top_p: 0.9,
      n: 2,
      max_completion_tokens: 256,
      stop: ['END'],
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      seed: 7,
      logprobs: true,
      top_logprobs: 3,
    });
    expect(notes.unsupported).toEqual([{ param: 'generationConfig.topK' }]);
  });

  it('maps a JSON type with a JSON schema, a Gemini schema, or none', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    const withJsonSchema = convert({
      contents: [user('Hi')],
      generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema },
    }).request;
    expect(withJsonSchema.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema },
    });
    const withGeminiSchema = convert({
      contents: [user('Hi')],
      generationConfig: {
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT', properties: { name: { type: 'STRING' } }, required: ['name'] },
      },
    }).request;
    expect(withGeminiSchema.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema },
    });
    const bare = convert({
      contents: [user('Hi')],
      generationConfig: { responseMimeType: 'application/json' },
    });
    expect(bare.request.response_format).toEqual({ type: 'json_object' });
    const enumType = convert({
      contents: [user('Hi')],
      generationConfig: { responseMimeType: 'text/x.enum' },
    });
    expect(enumType.notes.unsupported.map((entry) => entry.param)).toEqual([
      'generationConfig.responseMimeType',
    ]);
  });

  it.each([
    [{ thinkingLevel: 'LOW' }, 'low'],
    [{ thinkingLevel: 'high' }, 'high'],
    [{ thinkingBudget: 0 }, 'none'],
    [{ thinkingBudget: 512 }, 'low'],
    [{ thinkingBudget: 8192 }, 'medium'],
    [{ thinkingBudget: 24576 }, 'high'],
    [{ thinkingBudget: -1 }, undefined],
  ] as const)('thinkingConfig %j → reasoning_effort %s', (thinkingConfig, effort) => {
    const { request } = convert({ contents: [user('Hi')], generationConfig: { thinkingConfig } });
    expect(request.reasoning_effort).toBe(effort);
  });

  it('asks for thoughts when the client does', () => {
    const { includeThoughts } = convert({
      contents: [user('Hi')],
      generationConfig: { thinkingConfig: { includeThoughts: true } },
    });
    expect(includeThoughts).toBe(true);
  });

  it('notes audio and image answers, which a chat request cannot ask for', () => {
    const { notes } = convert({
      contents: [user('Hi')],
      generationConfig: { responseModalities: ['TEXT', 'AUDIO'], speechConfig: {} } as never,
    });
    expect(notes.unsupported.map((entry) => entry.label ?? entry.param)).toEqual([
      'generationConfig.speechConfig',
      'generationConfig.responseModalities AUDIO',
    ]);
  });
});

describe('the request as a whole', () => {
  it('asks a stream for its usage', () => {
    const { request } = convert({ contents: [user('Hi')] }, true);
    expect(request.stream).toBe(true);
    expect(request.stream_options).toEqual({ include_usage: true });
  });

  it('notes safety settings and unknown fields, and refuses a cached content for translated targets', () => {
    const { notes } = convert({
      contents: [user('Hi')],
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
      cachedContent: 'cachedContents/abc',
      generation_config: { temperature: 1 },
    } as GenerateContentRequest);
    expect(notes.unsupported.map((entry) => entry.param)).toEqual(['safetySettings', 'generation_config']);
    expect(notes.refusals.map((error) => error.param)).toEqual(['cachedContent']);
  });
});

describe("Gemini's Schema → JSON Schema", () => {
  it('lower-cases types, turns nullable into a null type, reads counts written as strings', () => {
    expect(
      convertGeminiSchema({
        type: 'ARRAY',
        description: 'Cities',
        minItems: '1',
        maxItems: 3,
        items: {
          type: 'OBJECT',
          nullable: true,
          properties: {
            name: { type: 'STRING', enum: ['Paris', 'Tokyo'], format: 'enum' },
            at: { type: 'STRING', format: 'date-time' },
            either: { anyOf: [{ type: 'STRING' }, { type: 'NUMBER', format: 'double' }], nullable: true },
          },
          example: { name: 'Paris' },
        },
      }),
    ).toEqual({
      type: 'array',
      description: 'Cities',
      minItems: 1,
      maxItems: 3,
      items: {
        type: ['object', 'null'],
        properties: {
          name: { type: 'string', enum: ['Paris', 'Tokyo'] },
          at: { type: 'string', format: 'date-time' },
          either: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] },
        },
      },
    });
  });
});
