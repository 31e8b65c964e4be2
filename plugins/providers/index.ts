/**
 * The provider manifest: every built-in provider, one line each. A provider is one folder holding
 * its descriptor (index.ts, its default export), its catalog entries (models.yaml) and its code;
 * everything that must know the providers (the composition root, configuration, start-up messages,
 * health, `.env.example`, the chart and the deploy tests) reads this list.
 * docs/providers/adding-a-provider.md walks through adding one.
 */
import type { ProviderDescriptor } from '../../src/provider.js';

export const PROVIDERS: readonly ProviderDescriptor[] = [
  (await import('./openai/index.js')).default,
  (await import('./gemini/index.js')).default,
  (await import('./anthropic/index.js')).default,
  (await import('./bedrock/index.js')).default,
  (await import('./vertex/index.js')).default,
  (await import('./azure-openai/index.js')).default,
  (await import('./openai-compatible/index.js')).default,
  (await import('./echo/index.js')).default,
];
