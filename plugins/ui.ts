/**
 * The dashboard at /ui/: the static files `npm run build` makes from ui/ (Vite) into dist/ui,
 * served by @fastify/static. The page itself needs no key (it holds no data); everything it shows
 * comes from the API with the key the reader signs in with, so it can also be scripted.
 *
 * Its pages load nothing from outside the gateway: a content security policy of their own allows
 * this origin only (the API's answers keep the stricter one of plugins/security.ts).
 */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { GatewayError } from '../src/errors.js';
import { PACKAGE_ROOT } from '../src/package-root.js';

export interface UiRouteOptions {
  enabled: boolean;
  /** The folder of the built dashboard; by default dist/ui of the package. */
  root?: string;
}

/**
 * No inline script or style, no other origin: Vite emits files only, and uPlot and Preact set
 * styles through the DOM, which style-src does not govern.
 * @see https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DEFAULT_UI_ROOT = join(PACKAGE_ROOT, 'dist', 'ui');

export const uiRoutes: FastifyPluginAsync<UiRouteOptions> = async (fastify, options) => {
  if (!options.enabled) return;
  const root = options.root ?? DEFAULT_UI_ROOT;
  fastify.addHook('onRoute', (route) => {
    route.config = { ...route.config, auth: false };
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.header('content-security-policy', UI_CONTENT_SECURITY_POLICY);
    done();
  });
  if (!existsSync(join(root, 'index.html'))) {
    // Running from the sources without a build: say how to get the dashboard rather than a bare 404.
    fastify.log.warn({ root }, 'the dashboard is not built (npm run build): /ui/ answers 404');
    const notBuilt = async () => {
      throw new GatewayError('GW_ERR_ROUTE_NOT_FOUND', {
        message: 'The dashboard is not built: run `npm run build` (or `npm start`), then open /ui/ again.',
      });
    };
    fastify.get('/ui', { schema: { hide: true } }, notBuilt);
    fastify.get('/ui/*', { schema: { hide: true } }, notBuilt);
    return;
  }
  await fastify.register(fastifyStatic, {
    root,
    prefix: '/ui/',
    schemaHide: true,
    decorateReply: false,
    index: 'index.html',
    setHeaders: (reply, path) => {
      // Vite names assets by their content: they never change under one name.
      reply.header(
        'cache-control',
        relative(root, path).startsWith(`assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  // /ui answers a redirect to /ui/, so the page's relative asset paths resolve under it (relative
  // too, for a gateway registered under a prefix).
  fastify.get('/ui', { schema: { hide: true } }, async (_request, reply) => reply.redirect('ui/', 301));
};
