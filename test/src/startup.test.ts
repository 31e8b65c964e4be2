/** The start-up lines a newcomer reads: where the gateway listens, its providers, and what to try. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { describeStartup } from '../../src/server.js';

const load = (env: Record<string, string>) =>
  loadConfig({ env: { NODE_ENV: 'development', ...env }, configDirectory: join(PACKAGE_ROOT, 'config') });

describe('the start-up lines', () => {
  it('with no key at all: the built-in model to try, and the variables that configure the others', () => {
    const lines = describeStartup(load({}), 'http://localhost:8080');
    expect(lines[0]).toMatch(/^LLM gateway \d+\.\d+\.\d+ listening on http:\/\/localhost:8080$/);
    expect(lines[1]).toContain('openai (set OPENAI_API_KEY)');
    expect(lines[1]).toContain('gemini (set GEMINI_API_KEY)');
    expect(lines[1]).toContain('echo (built in)');
    expect(lines[2]).toBe(
      `Try it: curl http://localhost:8080/v1/chat/completions -H 'content-type: application/json' ` +
        `-d '{"model":"gateway/echo","messages":[{"role":"user","content":"Hello!"}]}'`,
    );
    expect(lines[3]).toBe('API reference and Try it out: http://localhost:8080/docs');
  });

  it('with a provider key and gateway keys: one of its models, and the key header', () => {
    const lines = describeStartup(
      load({ OPENAI_API_KEY: 'sk-1', GATEWAY_API_KEYS: 'gw-key-123456' }),
      'http://localhost:9000',
    );
    expect(lines[1]).toContain('openai (configured)');
    expect(lines[2]).toContain('-H "authorization: Bearer $GATEWAY_API_KEY"');
    expect(lines[2]).toMatch(/"model":"gpt-[^"]+"/);
  });

  it('with nothing to call: how to list the models', () => {
    const lines = describeStartup(
      load({ ECHO_ENABLED: 'false', DOCS_ENABLED: 'false' }),
      'http://localhost:8080',
    );
    expect(lines.slice(2)).toEqual(['Try it: curl http://localhost:8080/v1/models']);
  });
});
