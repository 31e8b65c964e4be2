/**
 * A Gemini `generateContent` answer → an OpenAI `chat.completion`, and the pieces the stream
 * translator shares with it (parts → text, reasoning and tool calls; usage; logprobs; blocks).
 *
 * One choice per candidate; text parts concatenated; thought parts are never content (they become
 * `reasoning_content` when the instance exposes them); function calls become `tool_calls` with
 * generated ids, JSON-string arguments and the part's thought signature under
 * `extra_content.google.thought_signature` (the convention of Google's own OpenAI-compatible layer).
 * @see https://ai.google.dev/api/generate-content#generatecontentresponse
 * @see https://ai.google.dev/gemini-api/docs/openai#thinking
 * @see https://platform.openai.com/docs/api-reference/chat/object
 */
import { randomUUID } from 'node:crypto';
import type { ChatCompletion, CompletionUsage } from '../../../schemas/chat.js';
import { GatewayError } from '../../../src/errors.js';
import type { Usage } from '../../../src/provider.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import type {
  GeminiCandidate,
  GeminiGenerateContentResponse,
  GeminiLogprobCandidate,
  GeminiLogprobsResult,
  GeminiPart,
  GeminiPromptFeedback,
  GeminiUsageMetadata,
} from './gemini-api.js';
import { explainsEmptyAnswer, mapGeminiFinishReason } from './map-gemini-finish-reason.js';

export interface ToolCallOut {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
}

export interface ResponseOptions {
  /** Return thought parts as `reasoning_content` (else they are dropped). */
  readonly exposeThoughts: boolean;
  /** Notes for the client about what could not be carried over (`x-gateway-warnings`). */
  readonly warnings: string[];
  /** Makes the id of a tool call Gemini gave none for. */
  readonly createToolCallId?: () => string;
}

export function createToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

export function createCompletionId(responseId: string | null | undefined): string {
  return `chatcmpl-${responseId || randomUUID().replaceAll('-', '')}`;
}

/** What one candidate's parts say, sorted by kind. */
export interface CandidateParts {
  text: string;
  hasText: boolean;
  reasoning: string;
  toolCalls: ToolCallOut[];
  /** Parts an OpenAI message cannot carry (inline images, executable code, …), by kind. */
  dropped: string[];
}

export function readParts(
  parts: readonly GeminiPart[] | null | undefined,
  options: ResponseOptions,
): CandidateParts {
  const result: CandidateParts = { text: '', hasText: false, reasoning: '', toolCalls: [], dropped: [] };
  if (!Array.isArray(parts)) return result;
  const makeId = options.createToolCallId ?? createToolCallId;
  for (const part of parts) {
    if (!part || typeof part !== 'object') continue;
    if (part.functionCall && typeof part.functionCall.name === 'string') {
      const call: ToolCallOut = {
        id: part.functionCall.id || makeId(),
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      };
      if (part.thoughtSignature)
        call.extra_content = { google: { thought_signature: part.thoughtSignature } };
      result.toolCalls.push(call);
    } else if (typeof part.text === 'string') {
      if (part.thought === true) {
        if (options.exposeThoughts) result.reasoning += part.text;
      } else {
        result.text += part.text;
        result.hasText = true;
      }
    } else {
      // An empty part ({}) carries nothing; anything else is content chat completions cannot hold.
      const kind = Object.keys(part).find((key) => key !== 'thoughtSignature' && key !== 'thought');
      if (kind)
        result.dropped.push(part.inlineData?.mimeType ? `${kind} (${part.inlineData.mimeType})` : kind);
    }
  }
  return result;
}

/** OpenAI's usage object, and the gateway's own terms for accounting. */
export interface MappedUsage {
  usage: CompletionUsage;
  gateway: Usage;
}

/**
 * `usageMetadata` → usage. Completion tokens include the thinking tokens (they are billed as output,
 * as OpenAI counts reasoning tokens); tool-use prompt tokens are prompt tokens. Undefined when the
 * answer had no usage at all: the gateway does not invent counts.
 */
export function mapGeminiUsage(metadata: GeminiUsageMetadata | null | undefined): MappedUsage | undefined {
  if (!metadata || typeof metadata !== 'object') return undefined;
  const promptTokens = (metadata.promptTokenCount ?? 0) + (metadata.toolUsePromptTokenCount ?? 0);
  const reasoningTokens = metadata.thoughtsTokenCount ?? 0;
  const completionTokens = (metadata.candidatesTokenCount ?? 0) + reasoningTokens;
  const totalTokens = metadata.totalTokenCount ?? promptTokens + completionTokens;
  const cachedTokens = metadata.cachedContentTokenCount ?? 0;
  let audioTokens = 0;
  for (const detail of metadata.promptTokensDetails ?? []) {
    if (detail?.modality === 'AUDIO') audioTokens += detail.tokenCount ?? 0;
  }
  return {
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: totalTokens,
      prompt_tokens_details: { cached_tokens: cachedTokens, audio_tokens: audioTokens },
      completion_tokens_details: { reasoning_tokens: reasoningTokens },
    },
    gateway: { promptTokens, completionTokens, totalTokens, reasoningTokens, cachedTokens },
  };
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}

function tokenEntry(candidate: GeminiLogprobCandidate | null | undefined) {
  const token = candidate?.token ?? '';
  return { token, logprob: candidate?.logProbability ?? -9999, bytes: [...Buffer.from(token, 'utf8')] };
}

/**
 * `logprobsResult` → OpenAI's `logprobs.content`: the chosen token at each step with the top
 * alternatives of that step.
 * @see https://ai.google.dev/api/generate-content#LogprobsResult
 */
export function mapGeminiLogprobs(
  result: GeminiLogprobsResult | null | undefined,
): { content: TokenLogprob[]; refusal: null } | null {
  const chosen = result?.chosenCandidates;
  if (!Array.isArray(chosen)) return null;
  const top = result?.topCandidates ?? [];
  return {
    content: chosen.map((candidate, step) => ({
      ...tokenEntry(candidate),
      top_logprobs: (top[step]?.candidates ?? []).map(tokenEntry),
    })),
    refusal: null,
  };
}

/** Whether Gemini refused the prompt itself (no candidates, a block reason). */
export function isPromptBlocked(
  feedback: GeminiPromptFeedback | null | undefined,
  candidates: readonly unknown[] | null | undefined,
): boolean {
  if (!feedback) return false;
  if (feedback.blockReason) return true;
  // A block reason Google did not name still comes with its message and no candidates.
  return !!feedback.blockReasonMessage && (!candidates || candidates.length === 0);
}

/** A blocked prompt → 400 `content_filter`, never a 500. */
export function promptBlockedError(feedback: GeminiPromptFeedback): GatewayError {
  const reason = feedback.blockReason || 'BLOCK_REASON_UNSPECIFIED';
  const why = feedback.blockReasonMessage ? `: ${feedback.blockReasonMessage}` : '';
  return new GatewayError('GW_ERR_CONTENT_FILTERED', {
    message: `Gemini's safety system blocked the prompt (${reason}${why}).`,
    details: { block_reason: reason, safety_ratings: feedback.safetyRatings ?? [] },
  });
}

/** Candidates in choice order (Gemini's `index`, absent for the first). */
export function sortedCandidates(candidates: readonly GeminiCandidate[]): GeminiCandidate[] {
  return [...candidates].sort((left, right) => (left.index ?? 0) - (right.index ?? 0));
}

export function warnDropped(dropped: readonly string[], warnings: string[]): void {
  for (const kind of new Set(dropped)) {
    warnings.push(`dropped a ${kind} part of the answer: chat completions cannot carry it`);
  }
}

export interface ConvertedResponse {
  completion: ChatCompletion;
  usage: Usage | undefined;
}

export function convertGeminiResponse(
  wire: GeminiGenerateContentResponse,
  model: string,
  options: ResponseOptions,
): ConvertedResponse {
  if (isPromptBlocked(wire.promptFeedback, wire.candidates)) throw promptBlockedError(wire.promptFeedback!);
  const candidates = Array.isArray(wire.candidates) ? sortedCandidates(wire.candidates) : [];
  if (candidates.length === 0) {
    throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
      message: 'Gemini answered without a candidate or a block reason.',
    });
  }

  let answered = false;
  const reasons: string[] = [];
  const choices = candidates.map((candidate, position) => {
    const parts = readParts(candidate.content?.parts, options);
    warnDropped(parts.dropped, options.warnings);
    const calledTools = parts.toolCalls.length > 0;
    const finishReason = mapGeminiFinishReason(candidate.finishReason, calledTools);
    if (parts.hasText || calledTools || parts.reasoning || explainsEmptyAnswer(candidate.finishReason)) {
      answered = true;
    } else {
      reasons.push(
        [candidate.finishReason ?? 'no finish reason', candidate.finishMessage].filter(Boolean).join(': '),
      );
    }
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: parts.hasText ? parts.text : calledTools || finishReason === 'content_filter' ? null : '',
      refusal: null,
    };
    if (parts.reasoning) message['reasoning_content'] = parts.reasoning;
    if (calledTools) message['tool_calls'] = parts.toolCalls;
    return {
      index: position,
      message,
      logprobs: mapGeminiLogprobs(candidate.logprobsResult),
      finish_reason: finishReason,
    };
  });
  if (!answered) {
    // Nothing said and no reason that explains silence (OTHER, a candidate without content): the
    // answer is broken, and another attempt may fare better.
    throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
      message: `Gemini answered without content (${reasons.join('; ')}).`,
    });
  }

  const usage = mapGeminiUsage(wire.usageMetadata);
  const completion = {
    id: createCompletionId(wire.responseId),
    object: 'chat.completion' as const,
    created: Math.floor(Date.now() / 1000),
    model: wire.modelVersion || model,
    choices,
    ...(usage ? { usage: usage.usage } : {}),
  } as ChatCompletion;
  return { completion, usage: usage?.gateway };
}
