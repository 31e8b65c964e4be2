/**
 * Public entry for applications that embed the gateway:
 *
 *   import Fastify from 'fastify';
 *   import { gateway, loggerOptions } from 'llm-gateway';
 *   const app = Fastify({ logger: loggerOptions('info') });
 *   await app.register(gateway, { prefix: '/llm', auth: { apiKeys: ['…'] }, providers: { … } });
 */
export { gateway, gateway as default, resolveGatewayOptions, GatewayOptionsError } from './app.js';
export type { GatewayPluginOptions } from './app.js';
export type { GatewayOptions, GatewayOptionsInput, ProviderInstanceOptions } from '../schemas/options.js';
export { loadConfig, ConfigError, type LoadedConfig } from './config.js';
export { buildServer } from './server.js';
export { loggerOptions, REDACTED_PATHS } from './logger.js';
export { ERRORS, GatewayError, type ErrorCode } from './errors.js';
export { defineProvider } from './provider.js';
export type {
  ProviderAdapter,
  ProviderDescriptor,
  ProviderServices,
  ChatStream,
  StreamEvent,
  Usage,
} from './provider.js';
