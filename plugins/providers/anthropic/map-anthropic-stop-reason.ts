/**
 * Anthropic's stop reasons → OpenAI's finish reasons. Every Anthropic reason (and any reason added
 * later) lands on one of OpenAI's, so a client's `switch` never meets an unknown value.
 * @see https://docs.anthropic.com/en/api/handling-stop-reasons
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices
 */

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * @param reason Anthropic's `stop_reason` (null when a stream ended without one: a natural stop)
 * @param answeredWithJsonTool the turn ended in the call of the tool that carries a JSON answer,
 *   which the client receives as content: a natural stop, not a tool call
 */
export function mapAnthropicStopReason(
  reason: string | null | undefined,
  answeredWithJsonTool = false,
): OpenAIFinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return answeredWithJsonTool ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn (explained by a warning), and reasons added later.
      return 'stop';
  }
}

/** The warning a stop reason calls for, when the finish reason alone would mislead. */
export function explainStopReason(reason: string | null | undefined): string | undefined {
  if (reason === 'pause_turn') {
    return (
      'Claude paused a long-running turn of its server tools (stop_reason pause_turn): the answer ' +
      'is incomplete, and a chat completion cannot carry the paused turn back to resume it'
    );
  }
  if (reason === 'model_context_window_exceeded') {
    return "Claude stopped at the model's context window (stop_reason model_context_window_exceeded)";
  }
  return undefined;
}
