/**
 * What a translation of a Gemini request could not carry into the internal request, kept aside
 * rather than acted on: the same request may be passed through unchanged to a Gemini deployment,
 * for which none of it matters. A translated attempt acts on it (gemini-call.ts): the first refusal
 * is its 400, and the unsupported fields are dropped with a warning or refused, as
 * UNSUPPORTED_PARAMETERS says (design rule 9).
 */
import type { GatewayError } from '../../../src/errors.js';
import type { UnsupportedParameter } from '../../../src/parameters.js';

export interface TranslationNotes {
  /** Fields (or values of them) the internal request has no place for. */
  readonly unsupported: UnsupportedParameter[];
  /** Content no translated target can take (a Gemini Files API URI, a result that answers no call). */
  readonly refusals: GatewayError[];
}

export function createTranslationNotes(): TranslationNotes {
  return { unsupported: [], refusals: [] };
}
