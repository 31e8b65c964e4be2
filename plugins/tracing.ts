/**
 * OpenTelemetry traces (docs/observability.md): with an OTLP endpoint configured, each request gets
 * a server span and each upstream attempt a client span under it (src/tracing/gateway-tracing.ts),
 * joined to the caller's trace by its `traceparent` and passed on to the provider. With none, the
 * plugin adds nothing: no hook, no listener, and the SDK is never imported (the request's
 * `gateway.trace` stays null, which is all the call runner and the access log look at).
 */
import fp from 'fastify-plugin';
import type { Dispatcher } from 'undici';
import type { TracingOptions } from '../schemas/options.js';
import { PACKAGE_VERSION } from '../src/package-root.js';
import type { GatewayTracing } from '../src/tracing/gateway-tracing.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The gateway's tracing while it is on, else null. */
    gatewayTracing: GatewayTracing | null;
  }
}

export interface TracingPluginOptions {
  tracing: TracingOptions;
}

/** Where spans are sent, or '' when tracing is off (no endpoint, or OTEL_SDK_DISABLED). */
export function tracesUrlOf(tracing: TracingOptions): string {
  if (tracing.disabled) return '';
  if (tracing.tracesEndpoint !== '') return tracing.tracesEndpoint;
  if (tracing.endpoint === '') return '';
  return `${tracing.endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** The dispatcher providers get: with tracing on, one that propagates each attempt's trace. */
export function tracedDispatcher(tracing: GatewayTracing | null, dispatcher: Dispatcher): Dispatcher {
  return tracing === null ? dispatcher : tracing.propagating(dispatcher);
}

export const tracingPlugin = fp<TracingPluginOptions>(
  async (fastify, options) => {
    const url = tracesUrlOf(options.tracing);
    if (url === '') {
      fastify.decorate('gatewayTracing', null);
      return;
    }
    const { GatewayTracing } = await import('../src/tracing/gateway-tracing.js');
    const tracing = new GatewayTracing({ ...options.tracing, url, serviceVersion: PACKAGE_VERSION });
    fastify.decorate('gatewayTracing', tracing);
    fastify.addHook('onRequest', (request, _reply, done) => {
      request.gateway.trace = tracing.startRequest(request);
      done();
    });
    fastify.gatewayOnRequestEnd((request, end) => tracing.endRequest(request, end));
    // A collector that is down when the gateway stops loses the last spans, nothing more.
    fastify.addHook('onClose', async () =>
      tracing.shutdown().catch((error: unknown) => {
        fastify.log.warn({ err: error }, 'tracing: the last spans could not be sent');
      }),
    );
    fastify.log.info(
      { url, sampler: options.tracing.sampler, samplerArg: options.tracing.samplerArg },
      'tracing: spans are exported over OTLP/HTTP',
    );
  },
  { name: 'llm-gateway-tracing', fastify: '5.x', dependencies: ['llm-gateway-request-state'] },
);
