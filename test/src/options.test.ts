/**
 * The options are checked once, at register time: unknown keys fail naming the key, wrong values
 * name the key and what is allowed, secrets are never printed, and importing the package leaves the
 * host's convict as it was.
 */
import convict from 'convict';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { gateway, resolveGatewayOptions, GatewayOptionsError } from '../../src/index.js';

describe('gateway options', () => {
  it.each([
    [{ rateLimt: { enabled: false } }, 'rateLimt'],
    [{ rateLimit: { enabeld: false } }, 'rateLimit.enabeld'],
    [{ cache: { ttl: 5 } }, 'cache.ttl'],
    [{ routing: { retries: { max: 3 } } }, 'routing.retries.max'],
  ])('refuses the unknown option %j naming %s', (input, key) => {
    expect(() => resolveGatewayOptions(input as never)).toThrow(GatewayOptionsError);
    expect(() => resolveGatewayOptions(input as never)).toThrow(`Unknown gateway option ${key}:`);
  });

  it('says what a wrong value must be', () => {
    expect(() => resolveGatewayOptions({ cors: { enabled: 'yes' } } as never)).toThrow(
      'Invalid gateway option cors.enabled: must be true or false: value was "yes"',
    );
    expect(() => resolveGatewayOptions({ unsupportedParameters: 'maybe' } as never)).toThrow(
      'must be one of drop, reject',
    );
  });

  it('never prints a secret in an error', () => {
    let message = '';
    try {
      resolveGatewayOptions({ auth: { apiKeys: [''] } } as never);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('auth.apiKeys');
    expect(message).toContain('<redacted>');
  });

  it('strips only the keys Fastify adds, and fails at registration on any other', async () => {
    const host = Fastify();
    await host.register(gateway, {
      prefix: '/llm',
      logLevel: 'warn',
      docs: { enabled: false },
      store: { enabled: false },
    } as never);
    await host.ready();
    await host.close();
    const another = Fastify();
    await expect(another.register(gateway, { rateLimt: {} } as never).ready()).rejects.toThrow(
      /Unknown gateway option rateLimt/,
    );
    await another.close();
  });

  it('fails at registration naming an unknown or wrong provider setting', async () => {
    const unknown = Fastify();
    await expect(
      unknown
        .register(gateway, { providers: { openai: { apiKey: 'sk-1', organisation: 'x' } } } as never)
        .ready(),
    ).rejects.toThrow('providers.openai.organisation: not a setting of this provider');
    await unknown.close();
    const wrong = Fastify();
    await expect(
      wrong
        .register(gateway, { providers: { openai: { apiKey: 'sk-1', useResponsesApi: 'no' } } } as never)
        .ready(),
    ).rejects.toThrow('providers.openai.useResponsesApi: must be true or false');
    await wrong.close();
    const type = Fastify();
    await expect(
      type
        .register(gateway, { providers: { local: { type: 'nope', baseUrl: 'http://127.0.0.1:1' } } } as never)
        .ready(),
    ).rejects.toThrow(/providers\.local\.type: unknown provider type "nope" \(known: .*openai/);
    await type.close();
  });

  it('registers no convict format when the package is imported (only the standalone loader does)', () => {
    // This file never loads configuration: a format of the gateway's is unknown to convict here.
    expect(() => convict({ flag: { format: 'gateway-boolean', default: true } } as never)).toThrow(
      /unknown format type: gateway-boolean/,
    );
  });
});
