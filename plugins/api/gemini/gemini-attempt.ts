/**
 * One attempt of a Gemini door request on one deployment: passed through when the deployment's
 * provider speaks the Gemini API (`ProviderAdapter.nativeApis`), translated otherwise. A group may
 * mix both; the choice is made per attempt, so failover crosses providers.
 */
import type { GatewayOptions } from '../../../schemas/options.js';
import {
  speaksNatively,
  type CallContext,
  type NativeStreamResult,
  type UnaryResult,
} from '../../../src/provider.js';
import { refuseOrDropParameters } from '../../../src/parameters.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import type { TranslationNotes } from './translation-notes.js';

/** This door's API, as adapters name it in `nativeApis`. */
export const GEMINI_API = 'gemini';

/** Whether the deployment takes `operation` of the Gemini API as the client sent it. */
export function speaksGemini(deployment: Deployment, operation: string): boolean {
  return speaksNatively(deployment.instance.adapter, GEMINI_API, operation, deployment);
}

/** The client's request, passed through to a deployment that speaks Gemini (the model replaced). */
export function callNative(
  deployment: Deployment,
  operation: string,
  body: object,
  context: CallContext,
): Promise<UnaryResult | NativeStreamResult> {
  return deployment.instance.adapter.native!(
    {
      api: GEMINI_API,
      operation,
      body: body as Record<string, unknown>,
      stream: operation === 'streamGenerateContent',
      headers: {},
    },
    deployment,
    context,
  );
}

export function isUnaryResult(result: UnaryResult | NativeStreamResult): result is UnaryResult {
  return 'body' in result;
}

/**
 * Acts on what the translation could not carry, for one translated attempt: the first content no
 * translated target can take is its 400; fields without a counterpart are dropped with a warning, or
 * refused (UNSUPPORTED_PARAMETERS).
 */
export function applyTranslationNotes(
  notes: TranslationNotes,
  deployment: Deployment,
  policy: GatewayOptions['unsupportedParameters'],
  warnings: string[],
): void {
  if (notes.refusals.length > 0) throw notes.refusals[0];
  refuseOrDropParameters(notes.unsupported, deployment, policy, warnings);
}
