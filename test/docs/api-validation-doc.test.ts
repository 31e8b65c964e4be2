/**
 * Keeps docs/api-validation.md in step with the code: every documented example is sent to the
 * gateway and must get the documented answer, and every field of the chat schema is documented.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatCompletionRequestSchema } from '../../schemas/chat.js';
import { authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';

const doc = readFileSync(new URL('../../docs/api-validation.md', import.meta.url), 'utf8');

interface Example {
  endpoint: string;
  expected: Record<string, string>;
  body: string;
}

function examples(): Example[] {
  const found: Example[] = [];
  let endpoint = '';
  const lines = doc.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const heading = /^## (POST|GET) (\S+)/.exec(line);
    if (heading) endpoint = heading[2]!;
    const example = /^<!-- example: (.*) -->$/.exec(line);
    if (example) {
      const expected = Object.fromEntries(
        example[1]!.split(' ').map((pair) => pair.split('=') as [string, string]),
      );
      const start = lines.indexOf('```json', index) + 1;
      const end = lines.indexOf('```', start);
      found.push({ endpoint, expected, body: lines.slice(start, end).join('\n') });
    }
  }
  return found;
}

let gateway: TestApp;
beforeAll(async () => {
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: 'sk-unused', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
  });
});
afterAll(() => gateway.close());

describe('docs/api-validation.md', () => {
  const all = examples();

  it('has examples', () => {
    expect(all.length).toBeGreaterThan(10);
  });

  it.each(all.map((example) => [example.body, example] as const))('%s', async (_body, example) => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: example.endpoint,
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      payload: example.body,
    });
    const error = response.json().error;
    expect(response.statusCode).toBe(Number(example.expected['status']));
    for (const key of ['type', 'code', 'param'] as const) {
      if (example.expected[key] !== undefined) expect(error[key], key).toBe(example.expected[key]);
    }
  });

  it('documents every field of the chat completion request schema', () => {
    const section = doc.slice(doc.indexOf('## POST /v1/chat/completions'), doc.indexOf('## GET /v1/models'));
    for (const field of Object.keys(ChatCompletionRequestSchema.properties)) {
      expect(section, field).toContain(`\`${field}\``);
    }
  });
});
