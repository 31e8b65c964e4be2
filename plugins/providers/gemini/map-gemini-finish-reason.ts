/**
 * Gemini's finish reasons → OpenAI's. OpenAI has five; every Gemini reason (and any reason Google
 * adds later) lands on one of them, so a client's `switch` never meets an unknown value.
 * @see https://ai.google.dev/api/generate-content#FinishReason
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices
 */

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** Reasons that mean Google's filters withheld or cut the answer. */
const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/** Reasons for which an empty answer is a real answer, not a failure. */
const ANSWERED = new Set(['STOP', 'MAX_TOKENS']);

/**
 * @param reason Gemini's `finishReason` (absent when the upstream gave none: a stream that ended
 *   cleanly without one is a natural stop).
 * @param calledTools whether the choice carries function calls: a turn that ends in them is
 *   `tool_calls`, as OpenAI reports it.
 */
export function mapGeminiFinishReason(
  reason: string | null | undefined,
  calledTools: boolean,
): OpenAIFinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason && FILTERED.has(reason)) return 'content_filter';
  // STOP, and the reasons OpenAI has no word for (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, a reason
  // added after this was written): the model stopped.
  return calledTools ? 'tool_calls' : 'stop';
}

/** Whether `reason` accounts for a candidate with no content (as opposed to a broken answer). */
export function explainsEmptyAnswer(reason: string | null | undefined): boolean {
  return !!reason && (ANSWERED.has(reason) || FILTERED.has(reason));
}
