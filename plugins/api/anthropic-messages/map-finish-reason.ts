/**
 * A chat completion's `finish_reason` → Anthropic's `stop_reason`.
 * @see https://docs.anthropic.com/en/api/handling-stop-reasons
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices
 */

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/**
 * `stop` is `end_turn`: the chat shape does not say whether a stop sequence ended the answer (nor
 * which), so `stop_sequence` is never reported. A reason added later is an ordinary end.
 */
export function mapFinishReason(finishReason: string | null | undefined): StopReason {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
