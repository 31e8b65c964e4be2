/**
 * The gateway's extension fields of an answer, carried through a Gemini client and back.
 *
 * A chat answer may hold data its provider needs on the next turn, in the extension fields of the
 * internal answer (docs/providers/*.md): on the assistant message (`extra_content`, such as the
 * signed thinking blocks a tool-use loop with thinking must send back) and on each tool call. A
 * Gemini client keeps exactly one opaque field of a model turn and returns it unchanged: a part's
 * `thoughtSignature` (how Gemini round-trips its own reasoning). So the door writes those fields
 * there, as base64 of a marked JSON text, and reads them back from the model turns of the next
 * request. A signature that is not the gateway's (Gemini's own, from a turn a Gemini deployment
 * answered) means nothing to another provider and is left out of a translated request.
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */

/** What one part carries: the message's extension (on its first part) and its tool call's. */
export interface CarriedExtensions {
  message?: unknown;
  call?: unknown;
}

const MARK = 'llm-gateway/extensions:';
// The base64 of the mark's first 21 bytes (a multiple of 3), which every encoded text starts with:
// a signature is decoded only when it starts so.
const ENCODED_MARK = Buffer.from(MARK.slice(0, 21), 'utf8').toString('base64');

export function encodeCarriedExtensions(carried: CarriedExtensions): string | undefined {
  if (carried.message === undefined && carried.call === undefined) return undefined;
  return Buffer.from(MARK + JSON.stringify(carried), 'utf8').toString('base64');
}

/** The extensions a signature carries, or undefined when it is not one the gateway wrote. */
export function decodeCarriedExtensions(signature: string): CarriedExtensions | undefined {
  if (!signature.startsWith(ENCODED_MARK)) return undefined;
  const text = Buffer.from(signature, 'base64').toString('utf8');
  if (!text.startsWith(MARK)) return undefined;
  try {
    const parsed = JSON.parse(text.slice(MARK.length)) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as CarriedExtensions) : undefined;
  } catch {
    return undefined;
  }
}
