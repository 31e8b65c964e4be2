/**
 * Bedrock's stop reasons in the vocabulary of Anthropic's, whose answer converters Bedrock's
 * answers go through (convert-bedrock-response.ts, bedrock-stream.ts). Converse took most of its
 * names from Anthropic's; a guardrail or a content filter stopping the answer is Anthropic's
 * `refusal` (OpenAI's `content_filter`), and a reason added later passes unchanged (a natural stop).
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
 */

export function mapBedrockStopReason(reason: string | null | undefined): string | null {
  switch (reason) {
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'refusal';
    case undefined:
    case null:
      return null;
    default:
      // end_turn, tool_use, max_tokens, stop_sequence, model_context_window_exceeded: the same
      // names; malformed_model_output and malformed_tool_use end the turn as it stands.
      return reason;
  }
}

/** The warning a stop reason calls for, when the finish reason alone would mislead. */
export function explainBedrockStopReason(reason: string | null | undefined): string | undefined {
  switch (reason) {
    case 'guardrail_intervened':
      return 'a Bedrock guardrail stopped the answer (stopReason guardrail_intervened)';
    case 'content_filtered':
      return "Bedrock's content filter stopped the answer (stopReason content_filtered)";
    case 'malformed_model_output':
    case 'malformed_tool_use':
      return `the model's output could not be read by Bedrock (stopReason ${reason}): the answer may be incomplete`;
    default:
      return undefined;
  }
}
