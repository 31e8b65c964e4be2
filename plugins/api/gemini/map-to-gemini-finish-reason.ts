/**
 * Chat completion finish reasons → Gemini's. A turn that ends in tool calls is `STOP` for Gemini,
 * which tells it by the `functionCall` parts; a reason Gemini has no word for is `OTHER`.
 * @see https://ai.google.dev/api/generate-content#FinishReason
 */
const REASONS: Record<string, string> = {
  stop: 'STOP',
  tool_calls: 'STOP',
  function_call: 'STOP',
  length: 'MAX_TOKENS',
  content_filter: 'SAFETY',
};

export function mapToGeminiFinishReason(reason: string | null | undefined): string {
  return (reason && REASONS[reason]) || (reason ? 'OTHER' : 'STOP');
}
