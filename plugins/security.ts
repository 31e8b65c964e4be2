/**
 * Secure response headers (@fastify/helmet) and CORS (@fastify/cors, when enabled). The content
 * security policy is relaxed only for the Swagger UI pages, which need inline styles and scripts.
 */
import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import type { GatewayOptions } from '../schemas/options.js';

export const securityPlugin = fp<{ cors: GatewayOptions['cors'] }>(
  async (fastify, options) => {
    await fastify.register(helmet, {
      global: true,
      // JSON and SSE answers carry no active content; a strict policy costs nothing and protects
      // any browser that opens one. The docs plugin sets its own policy for Swagger UI.
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      crossOriginResourcePolicy: { policy: 'cross-origin' },
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
