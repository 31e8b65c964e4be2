/** The playground's code: curl and the SDKs, runnable as shown, never with the signed-in key. */
import { describe, expect, it } from 'vitest';
import {
  buildCurlSnippet,
  buildJavaScriptSnippet,
  buildPythonSnippet,
  quoteForShell,
} from '../../ui/src/build-snippets.js';

const input = {
  baseUrl: 'http://localhost:8080',
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: "It's fine" }],
  stream: true,
};

describe('the playground’s code snippets', () => {
  it('quotes for a POSIX shell', () => {
    expect(quoteForShell("it's")).toBe(`'it'\\''s'`);
  });

  it('builds curl with the key from the shell and the body as sent', () => {
    const curl = buildCurlSnippet(input);
    expect(curl).toContain(`curl -N 'http://localhost:8080/v1/chat/completions'`);
    expect(curl).toContain('Authorization: Bearer $GATEWAY_API_KEY');
    const body = /-d '(.*)'$/s.exec(curl)![1]!.replaceAll(`'\\''`, "'");
    expect(JSON.parse(body)).toEqual({ model: 'gpt-4o-mini', messages: input.messages, stream: true });
    expect(buildCurlSnippet({ ...input, stream: false })).not.toContain('-N');
  });

  it('builds the SDK calls against the gateway’s /v1', () => {
    const javascript = buildJavaScriptSnippet(input);
    expect(javascript).toContain('baseURL: "http://localhost:8080/v1"');
    expect(javascript).toContain('apiKey: process.env.GATEWAY_API_KEY');
    expect(javascript).toContain('for await (const chunk of answer)');
    const python = buildPythonSnippet({ ...input, stream: false });
    expect(python).toContain('base_url="http://localhost:8080/v1"');
    expect(python).toContain(`messages=[{"role": "user", "content": "It's fine"}]`);
    expect(python).toContain('print(answer.choices[0].message.content)');
  });
});
