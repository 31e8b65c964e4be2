/**
 * The provider manifest: every built-in provider, one line each. A provider is one folder holding
 * its descriptor (index.ts), its catalog entries (models.yaml) and its code; everything that must
 * know the providers (the composition root, configuration, start-up messages, health, `.env.example`,
 * the chart and the deploy tests) reads this list. docs/providers/adding-a-provider.md walks through
 * adding one.
 */
import type { ProviderDescriptor } from '../../src/provider.js';
import { openaiProvider } from './openai/index.js';
import { geminiProvider } from './gemini/index.js';
import { anthropicProvider } from './anthropic/index.js';

export const PROVIDERS: readonly ProviderDescriptor[] = [openaiProvider, geminiProvider, anthropicProvider];
