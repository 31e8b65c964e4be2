import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/build-app.js';

let gateway: TestApp;
let document: {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: {
          content: Record<
            string,
            {
              schema: { properties: Record<string, { type?: string; format?: string }>; required?: string[] };
            }
          >;
        };
      }
    >
  >;
};

beforeAll(async () => {
  gateway = await buildTestApp({ env: { OPENAI_API_KEY: 'sk-unused-0000' } });
  document = (await gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => gateway.close());

describe('the OpenAPI document of the audio and Responses endpoints', () => {
  it.each(['/v1/audio/transcriptions', '/v1/audio/translations'])(
    'documents the multipart form of %s, with the file as binary',
    (path) => {
      const form = document.paths[path]?.['post']?.requestBody?.content['multipart/form-data']?.schema;
      expect(form?.properties['file']).toMatchObject({ type: 'string', format: 'binary' });
      expect(form?.required).toEqual(expect.arrayContaining(['file', 'model']));
    },
  );

  it.each([
    ['/v1/images/edits', ['image', 'prompt']],
    ['/v1/images/variations', ['image']],
  ])('documents the multipart form of %s, with the image as binary', (path, required) => {
    const form = document.paths[path]?.['post']?.requestBody?.content['multipart/form-data']?.schema;
    expect(form?.properties['model']).toMatchObject({ type: 'string' });
    expect(form?.required).toEqual(required);
    expect(JSON.stringify(form?.properties['image'])).toContain('"format":"binary"');
  });

  it('documents speech and the Responses API', () => {
    expect(
      document.paths['/v1/audio/speech']?.['post']?.requestBody?.content['application/json'],
    ).toBeDefined();
    expect(document.paths['/v1/responses']?.['post']?.requestBody?.content['application/json']).toBeDefined();
    expect(Object.keys(document.paths['/v1/responses/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
  });

  it('lists the new endpoints on the discovery page', async () => {
    const endpoints = (await gateway.app.inject({ method: 'GET', url: '/v1/' })).json().endpoints;
    expect(endpoints).toEqual(
      expect.arrayContaining([
        'POST /v1/audio/transcriptions',
        'POST /v1/audio/translations',
        'POST /v1/audio/speech',
        'POST /v1/responses',
        'GET /v1/responses/{id}',
        'DELETE /v1/responses/{id}',
        'POST /v1/images/edits',
        'POST /v1/images/variations',
      ]),
    );
  });
});

describe('the OpenAPI document as Swagger UI shows it', () => {
  it('lists the model endpoints first', () => {
    const tags = (document as unknown as { tags: { name: string }[] }).tags.map((tag) => tag.name);
    expect(tags.slice(0, 5)).toEqual(['chat', 'embeddings', 'audio', 'responses', 'models']);
  });

  it('shows /v1/models/{model} with a named parameter, not a wildcard', () => {
    const paths = Object.keys(document.paths);
    expect(paths).toContain('/v1/models/{model}');
    expect(paths.filter((path) => path.includes('*'))).toEqual([]);
    const parameters = (
      document.paths['/v1/models/{model}']?.['get'] as unknown as {
        parameters: { name: string; in: string }[];
      }
    ).parameters;
    expect(parameters).toEqual([expect.objectContaining({ name: 'model', in: 'path' })]);
  });
});
