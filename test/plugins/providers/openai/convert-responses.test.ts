/** The pure converters between chat completions, the Responses API and multipart forms. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../../schemas/chat.js';
import { GatewayError } from '../../../../src/errors.js';
import type { Target } from '../../../../src/provider.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import { convertToOpenAIForm } from '../../../../plugins/providers/openai/convert-to-openai-form.js';
import { convertToResponsesRequest } from '../../../../plugins/providers/openai/convert-to-responses-request.js';
import { convertResponsesResponse } from '../../../../plugins/providers/openai/convert-responses-response.js';
import { openaiFixture } from '../../../helpers/fake-openai.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';

const target: Target = { deploymentId: 'openai/o3-pro', upstreamModel: 'o3-pro', model: undefined };

describe('convertToResponsesRequest', () => {
  it('turns image and file parts into input parts and web_search_options into the search tool', () => {
    const body = convertToResponsesRequest(
      {
        model: 'o3-deep-research',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
              { type: 'file', file: { file_id: 'file-1' } },
            ],
          },
        ],
        web_search_options: {
          search_context_size: 'high',
          user_location: { approximate: { country: 'FR' } },
        },
      } as ChatCompletionRequest,
      target,
    );
    expect(body['input']).toEqual([
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is this?' },
          { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
          { type: 'input_file', file_id: 'file-1' },
        ],
      },
    ]);
    expect(body['tools']).toEqual([
      {
        type: 'web_search_preview',
        search_context_size: 'high',
        user_location: { type: 'approximate', country: 'FR' },
      },
    ]);
  });

  it('refuses what the Responses API cannot take, naming it', () => {
    const audio = () =>
      convertToResponsesRequest(
        {
          model: 'o3-pro',
          messages: [
            { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }] },
          ],
        } as ChatCompletionRequest,
        target,
      );
    expect(audio).toThrow(GatewayError);
    expect(audio).toThrow(/messages\[0\]\.content\[0\]/);
    const legacy = () =>
      convertToResponsesRequest(
        {
          model: 'o3-pro',
          messages: [{ role: 'function', name: 'f', content: 'x' }],
        } as ChatCompletionRequest,
        target,
      );
    expect(legacy).toThrow(/function messages/);
  });
});

describe('convertResponsesResponse', () => {
  const base = JSON.parse(openaiFixture('response.json'));

  it.each([
    ['max_output_tokens', 'length'],
    ['content_filter', 'content_filter'],
  ])('maps an incomplete response (%s) to finish_reason %s', (reason, finish) => {
    const completion = convertResponsesResponse(
      { ...base, status: 'incomplete', incomplete_details: { reason } },
      'openai',
      'o3-pro',
    );
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    expect(completion.choices[0]?.finish_reason).toBe(finish);
  });

  it('keeps refusals and url citations', () => {
    const completion = convertResponsesResponse(
      {
        ...base,
        output: [
          {
            type: 'message',
            content: [
              {
                type: 'output_text',
                text: 'See the source.',
                annotations: [
                  {
                    type: 'url_citation',
                    url: 'https://example.org',
                    title: 'Ex',
                    start_index: 4,
                    end_index: 10,
                  },
                ],
              },
              { type: 'refusal', refusal: 'Not that part.' },
            ],
          },
        ],
      },
      'openai',
      'o3-pro',
    );
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    expect(completion.choices[0]?.message).toMatchObject({
      content: 'See the source.',
      refusal: 'Not that part.',
      annotations: [
        {
          type: 'url_citation',
          url_citation: { url: 'https://example.org', title: 'Ex', start_index: 4, end_index: 10 },
        },
      ],
    });
  });

  it('turns a failed response into the provider error', () => {
    const failed = () =>
      convertResponsesResponse(
        { ...base, status: 'failed', error: { code: 'server_error', message: 'Boom.' } },
        'openai',
        'o3-pro',
      );
    expect(failed).toThrow(UpstreamFailure);
    expect(failed).toThrow('Boom.');
  });
});

describe('convertToOpenAIForm', () => {
  it('writes the fields in order, the model renamed, the file streamed, and quotes names safely', async () => {
    const form = convertToOpenAIForm(
      {
        file: {
          stream: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
          filename: 'my "best"\r\ntake.mp3',
          contentType: 'audio/mpeg',
          size: undefined,
        },
        fields: [
          { name: 'model', value: 'my-alias' },
          { name: 'language', value: 'fr' },
        ],
        fieldsAfterFile: async () => [{ name: 'timestamp_granularities[]', value: 'word' }],
      },
      'whisper-1',
    );
    const chunks: Buffer[] = [];
    for await (const chunk of form.body) chunks.push(chunk);
    const parsed = await new Request('http://x.invalid/', {
      method: 'POST',
      headers: { 'content-type': form.contentType },
      body: Buffer.concat(chunks),
    }).formData();
    expect([...parsed.entries()].filter(([, value]) => typeof value === 'string')).toEqual([
      ['model', 'whisper-1'],
      ['language', 'fr'],
      ['timestamp_granularities[]', 'word'],
    ]);
    const file = parsed.get('file') as File;
    // Quoted on the wire, so a parser reads the name back as it was.
    expect(file.name).toBe('my "best"\r\ntake.mp3');
    expect(Buffer.from(await file.arrayBuffer()).toString()).toBe('abcdef');
  });
});
