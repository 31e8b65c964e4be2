/**
 * Run as its own process by tracing-off.test.ts: builds the gateway with tracing off and serves a
 * request, then says whether any OpenTelemetry SDK module was loaded; then registers the tracing
 * plugin with an endpoint, which must load it (so the first answer means something). Prints one
 * JSON line.
 */
import { createRequire } from 'node:module';
import fastify from 'fastify';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { buildServer } from '../../src/server.js';
import { resolveGatewayOptions } from '../../src/options.js';
import { requestStatePlugin } from '../../plugins/request-state.js';
import { tracingPlugin } from '../../plugins/tracing.js';

const require = createRequire(import.meta.url);
const SDK_MODULES = ['/@opentelemetry/sdk-trace', '/@opentelemetry/exporter-trace-otlp-http/'];

function sdkModulesLoaded(): string[] {
  return Object.keys(require.cache).filter((path) => SDK_MODULES.some((name) => path.includes(name)));
}

async function serveOneRequest(): Promise<void> {
  const config = loadConfig({
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      GATEWAY_API_KEYS: 'gw-test-key-0123456789',
    },
    configDirectory: join(PACKAGE_ROOT, 'config'),
  });
  const app = await buildServer(config, {});
  await app.inject({ url: '/v1/models', headers: { authorization: 'Bearer gw-test-key-0123456789' } });
  await app.close();
}

await serveOneRequest();
const off = sdkModulesLoaded().length;
// The control: the tracing plugin alone, given an endpoint (a collector that is not there), loads them.
const bare = fastify();
await bare.register(requestStatePlugin);
await bare.register(tracingPlugin, {
  tracing: resolveGatewayOptions({ tracing: { endpoint: 'http://127.0.0.1:9' } }).tracing,
});
await bare.ready();
const on = sdkModulesLoaded().length;
// Its span cannot be sent: the stop still ends, within its bound, without an error.
await bare.inject({ url: '/' });
await bare.close();
process.stdout.write(`${JSON.stringify({ off, on })}\n`);
process.exit(0);
