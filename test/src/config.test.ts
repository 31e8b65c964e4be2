import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, environmentVariables, loadConfig } from '../../src/config.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';

const configDirectory = join(PACKAGE_ROOT, 'config');
const load = (env: Record<string, string | undefined>) => loadConfig({ env, configDirectory });

function failure(env: Record<string, string | undefined>): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig', () => {
  it('starts from the defaults with an empty environment', () => {
    const config = load({});
    expect(config.environment).toBe('development');
    expect(config.server.port).toBe(8080);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.gateway.auth.apiKeys).toEqual([]);
    expect(config.gateway.providers['openai']?.baseUrl).toBe('https://api.openai.com/v1');
    expect(config.gateway.providers['gemini']?.baseUrl).toBe('https://generativelanguage.googleapis.com');
    expect(config.gateway.models?.length).toBeGreaterThan(40);
  });

  it('maps every documented environment variable', () => {
    const config = load({
      GATEWAY_PORT: '9090',
      GATEWAY_HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'debug',
      GATEWAY_API_KEYS: ' key-one-123 , key-two-456 ,',
      OPENAI_API_KEY: 'sk-1',
      OPENAI_BASE_URL: 'http://127.0.0.1:1234/v1',
      GEMINI_API_KEY: 'g-1',
      GEMINI_BASE_URL: 'http://127.0.0.1:1235',
      CORS_ENABLED: 'true',
      REQUEST_TIMEOUT: '1234',
      MAX_CONCURRENT_REQUESTS: '7',
      CACHE_ENABLED: 'false',
      RATE_LIMITING_ENABLED: 'no',
      OPENAI_USE_RESPONSES_API: 'false',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(config.server).toMatchObject({ port: 9090, host: '127.0.0.1' });
    expect(config.environment).toBe('production');
    expect(config.logLevel).toBe('debug');
    expect(config.gateway.auth.apiKeys).toEqual(['key-one-123', 'key-two-456']);
    expect(config.gateway.providers['openai']).toMatchObject({
      apiKey: 'sk-1',
      baseUrl: 'http://127.0.0.1:1234/v1',
      useResponsesApi: false,
    });
    expect(config.gateway.providers['gemini']).toMatchObject({
      apiKey: 'g-1',
      baseUrl: 'http://127.0.0.1:1235',
    });
    expect(config.gateway.cors.enabled).toBe(true);
    expect(config.gateway.requestTimeout).toBe(1234);
    expect(config.gateway.maxConcurrentRequests).toBe(7);
    expect(config.gateway.cache.enabled).toBe(false);
    expect(config.gateway.rateLimit.enabled).toBe(false);
    expect(config.gateway.redis.url).toBe('redis://127.0.0.1:6379');
  });

  it.each([
    [{ GATEWAY_PORT: 'abc' }, 'GATEWAY_PORT', 'abc', 'port'],
    [{ GATEWAY_PORT: '99999' }, 'GATEWAY_PORT', '99999', 'port'],
    [{ REQUEST_TIMEOUT: '12abc' }, 'REQUEST_TIMEOUT', '12abc', 'milliseconds'],
    [{ REQUEST_TIMEOUT: '0' }, 'REQUEST_TIMEOUT', '0', 'milliseconds'],
    [{ CORS_ENABLED: 'banana' }, 'CORS_ENABLED', 'banana', 'true or false'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'loud', 'must be one of'],
    [{ OPENAI_BASE_URL: 'not a url' }, 'OPENAI_BASE_URL', 'not a url', 'URL'],
    [{ MAX_CONCURRENT_REQUESTS: '-1' }, 'MAX_CONCURRENT_REQUESTS', '-1', '0 or more'],
    [{ GATEWAY_API_KEYS: 'short' }, 'GATEWAY_API_KEYS', '', '8 characters'],
  ])(
    'fails on %j with one line naming the variable, the value and what is allowed',
    (env, name, value, allowed) => {
      const message = failure(env);
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toContain(name);
      expect(message).toContain(allowed);
      if (value) expect(message).toContain(value);
    },
  );

  it('never prints a secret value in a configuration error', () => {
    expect(failure({ GATEWAY_API_KEYS: 'short' })).not.toContain('short');
  });

  it('refuses an unknown NODE_ENV', () => {
    expect(failure({ NODE_ENV: 'staging' })).toMatch(/NODE_ENV.*staging/);
  });

  it('applies GATEWAY_CONFIG on top of the files, and the environment on top of it', () => {
    const folder = mkdtempSync(join(tmpdir(), 'gateway-config-'));
    const file = join(folder, 'gateway.yaml');
    writeFileSync(
      file,
      [
        'server: { port: 7000 }',
        'requestTimeout: 5000',
        'providers:',
        '  openai: { organization: org-1 }',
        '  local: { type: openai, baseUrl: "http://127.0.0.1:11434/v1", requiresApiKey: false }',
        'models:',
        '  - { id: my-model, provider: local, upstream: llama3, context_window: 8192 }',
        '  - { id: gpt-4o, provider: openai, pricing: { input: 1, output: 2 } }',
      ].join('\n'),
    );
    const config = load({ GATEWAY_CONFIG: file, REQUEST_TIMEOUT: '6000' });
    expect(config.sources.at(-1)).toBe(file);
    expect(config.server.port).toBe(7000);
    expect(config.gateway.requestTimeout).toBe(6000);
    expect(config.gateway.providers['openai']).toMatchObject({ organization: 'org-1' });
    expect(config.gateway.providers['local']).toMatchObject({ type: 'openai', requiresApiKey: false });
    const models = config.gateway.models as { id: string; pricing?: unknown; context_window?: number }[];
    expect(models.find((model) => model.id === 'my-model')).toBeTruthy();
    // An entry with a known id replaces the shipped values it names and keeps the rest.
    expect(models.find((model) => model.id === 'gpt-4o')).toMatchObject({
      pricing: { input: 1, output: 2 },
      context_window: 128000,
    });
  });

  it('names a missing GATEWAY_CONFIG file and a malformed one', () => {
    expect(failure({ GATEWAY_CONFIG: '/nonexistent/gateway.yaml' })).toContain('GATEWAY_CONFIG');
    const folder = mkdtempSync(join(tmpdir(), 'gateway-config-'));
    const file = join(folder, 'bad.yaml');
    writeFileSync(file, 'server: [unclosed');
    expect(failure({ GATEWAY_CONFIG: file })).toContain('not valid YAML');
    writeFileSync(file, 'nosuchsetting: 1');
    expect(failure({ GATEWAY_CONFIG: file })).toContain('nosuchsetting');
  });
});

describe('a production start without keys', () => {
  it('is refused, naming GATEWAY_API_KEYS and ALLOW_UNAUTHENTICATED', () => {
    const message = failure({ NODE_ENV: 'production' });
    expect(message).toContain('NODE_ENV is production');
    expect(message).toContain('GATEWAY_API_KEYS');
    expect(message).toContain('ALLOW_UNAUTHENTICATED=true');
    // Admin and metrics keys open no model route: they do not count.
    expect(
      failure({
        NODE_ENV: 'production',
        GATEWAY_ADMIN_KEYS: 'admin-key-123',
        METRICS_API_KEYS: 'scraper-1234',
      }),
    ).toContain('no key is configured');
    // Keys that the mode ignores do not count either.
    expect(failure({ NODE_ENV: 'production', AUTH_MODE: 'client', GATEWAY_API_KEYS: '' })).toContain(
      'ALLOW_UNAUTHENTICATED',
    );
  });

  it('is allowed with a key, with ALLOW_UNAUTHENTICATED=true, and outside production', () => {
    expect(
      load({ NODE_ENV: 'production', GATEWAY_API_KEYS: 'key-one-123' }).gateway.auth.apiKeys,
    ).toHaveLength(1);
    const allowed = load({ NODE_ENV: 'production', ALLOW_UNAUTHENTICATED: 'true' });
    expect(allowed.gateway.auth.allowUnauthenticated).toBe(true);
    expect(allowed.gateway.auth.apiKeys).toEqual([]);
    expect(load({ NODE_ENV: 'development' }).gateway.auth.apiKeys).toEqual([]);
    expect(load({}).environment).toBe('development');
  });
});

describe('.env.example', () => {
  it('lists every environment variable the configuration reads, each with a comment', () => {
    const example = readFileSync(join(PACKAGE_ROOT, '.env.example'), 'utf8').split('\n');
    for (const { name } of environmentVariables()) {
      const index = example.findIndex((line) => line.replace(/^# ?/, '').startsWith(`${name}=`));
      expect(index, name).toBeGreaterThan(0);
      expect(
        example
          .slice(0, index)
          .reverse()
          .find((line) => !/^#? ?[A-Z_]+=/.test(line))
          ?.startsWith('#'),
        name,
      ).toBe(true);
    }
  });
});
