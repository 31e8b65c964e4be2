/**
 * Logger settings for the standalone server, exported so an application that embeds the gateway can
 * give its own Fastify the same redaction. Keys never reach a log line: request headers that carry
 * them are redacted, and the gateway's own lines never include headers or bodies.
 */
import type { FastifyServerOptions } from 'fastify';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
  'req.headers["x-provider-api-key"]',
  'req.headers["api-key"]',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-goog-api-key"]',
  'headers["x-provider-api-key"]',
  'headers["api-key"]',
  'headers["sec-websocket-protocol"]',
  'apiKey',
  'api_key',
  'clientSecret',
  'client_secret',
  'access_token',
];

export function loggerOptions(level: string): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Method and path only: the query string may carry secrets and is not logged.
      req: (request: { method?: string; url?: string; id?: string }) => ({
        id: request.id,
        method: request.method,
        path: request.url?.split('?')[0],
      }),
    },
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a client's `x-request-id` when it is a sane token, else makes one. */
export function requestIdFrom(header: string | string[] | undefined, generate: () => string): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : generate();
}
