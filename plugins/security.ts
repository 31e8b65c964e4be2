/**
 * Secure response headers (helmet) and CORS (@fastify/cors, when enabled).
 *
 * helmet decides the headers; they depend only on its options (no nonces), so they are computed
 * once, at start, and set on every answer as they are. Running helmet's middleware per request
 * (what @fastify/helmet does) re-parsed the content security policy on every call: 4% of the
 * gateway's CPU on a unary chat (docs/performance.md). Swagger UI sets its own, looser policy on
 * its pages (plugins/docs.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import cors from '@fastify/cors';
import type { GatewayOptions } from '../schemas/options.js';

const HELMET_OPTIONS: HelmetOptions = {
  // JSON and SSE answers carry no active content; a strict policy costs nothing and protects any
  // browser that opens one.
  contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
};

/** The headers helmet sets for these options, captured from one run of its middleware. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
    getHeader(name: string) {
      return headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  return headers;
}

export const securityPlugin = fp<{ cors: GatewayOptions['cors'] }>(
  async (fastify, options) => {
    const headers = helmetHeaders(HELMET_OPTIONS);
    fastify.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
    if (options.cors.enabled) {
      const origins = options.cors.origins;
      await fastify.register(cors, {
        origin: origins.includes('*') ? '*' : origins,
        methods: options.cors.methods,
        allowedHeaders: options.cors.allowedHeaders,
        exposedHeaders: options.cors.exposedHeaders,
        credentials: options.cors.credentials,
        maxAge: options.cors.maxAge,
      });
    }
  },
  { name: 'llm-gateway-security', fastify: '5.x' },
);
