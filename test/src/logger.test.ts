import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, requestIdFrom } from '../../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const options = loggerOptions('info') as Record<string, unknown>;
  return {
    lines,
    logger: pino(
      { ...options, serializers: options['serializers'] as never, redact: options['redact'] as never },
      stream,
    ),
  };
}

describe('logger options', () => {
  it('redacts keys in headers and apiKey fields', () => {
    const { lines, logger } = capture();
    logger.info({
      headers: {
        authorization: 'Bearer secret-1',
        'x-api-key': 'secret-2',
        'x-goog-api-key': 'secret-3',
        'x-provider-api-key': 'secret-4',
        'api-key': 'secret-8',
        'sec-websocket-protocol': 'realtime, openai-insecure-api-key.secret-11',
      },
      apiKey: 'secret-5',
      clientSecret: 'secret-9',
      access_token: 'secret-10',
    });
    const text = lines.join('');
    for (const secret of [
      'secret-1',
      'secret-2',
      'secret-3',
      'secret-4',
      'secret-5',
      'secret-8',
      'secret-9',
      'secret-10',
      'secret-11',
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('writes a request as its id, method and path only: no headers, no query string', () => {
    const { lines, logger } = capture();
    logger.info({
      req: {
        id: 'r1',
        method: 'POST',
        url: '/v1/chat/completions?key=secret-6',
        headers: { authorization: 'Bearer secret-7' },
      },
    });
    const line = JSON.parse(lines[0]!);
    expect(line.req).toEqual({ id: 'r1', method: 'POST', path: '/v1/chat/completions' });
  });

  it('keeps a sane client request id and replaces others', () => {
    expect(requestIdFrom('abc-123', () => 'generated')).toBe('abc-123');
    expect(requestIdFrom('a b', () => 'generated')).toBe('generated');
    expect(requestIdFrom('x'.repeat(200), () => 'generated')).toBe('generated');
    expect(requestIdFrom(['a', 'b'], () => 'generated')).toBe('generated');
  });
});
