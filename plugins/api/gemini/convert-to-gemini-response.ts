/**
 * The internal answer (a chat completion) → Gemini's `GenerateContentResponse`.
 * @see https://ai.google.dev/api/generate-content#generatecontentresponse
 *
 * One candidate per choice, in index order, with the parts Gemini would write: the reasoning text as
 * a thought part (only when the client asked for thoughts), the answer text (or a refusal) as a text
 * part, each tool call as a `functionCall` part (its id kept, its arguments parsed), and the
 * extension fields the next turn needs in a thought signature (carried-extensions.ts). Finish reasons
 * by map-to-gemini-finish-reason.ts; chosen-token log probabilities as `logprobsResult`; usage as
 * `usageMetadata`; the completion's model and id as `modelVersion` and `responseId`.
 */
import type { Usage } from '../../../src/provider.js';
import { usageFromChatCompletion, type ChatUsageWire } from '../../../src/provider-toolkit.js';
import { encodeCarriedExtensions } from './carried-extensions.js';
import { convertToUsageMetadata } from './gemini-usage.js';
import { mapToGeminiFinishReason } from './map-to-gemini-finish-reason.js';

export type GeminiAnswerPart = Record<string, unknown>;

export interface GeminiCandidate {
  content: { role: 'model'; parts: GeminiAnswerPart[] };
  finishReason?: string;
  index: number;
  avgLogprobs?: number;
  logprobsResult?: Record<string, unknown>;
}

export interface GeminiResponse {
  candidates: GeminiCandidate[];
  usageMetadata?: ReturnType<typeof convertToUsageMetadata>;
  modelVersion?: string;
  responseId?: string;
}

/** A tool call of the internal answer, whole. */
export interface AnswerToolCall {
  id?: string;
  name: string;
  arguments: string;
  extra?: unknown;
}

/** What one choice says, in the order Gemini writes its parts. */
export interface AnswerContent {
  reasoning?: string;
  text?: string;
  toolCalls: readonly AnswerToolCall[];
  /** The message's extension fields (`extra_content`). */
  extra?: unknown;
}

export interface AnswerOptions {
  /** The client asked for thought summaries (`thinkingConfig.includeThoughts`). */
  readonly includeThoughts: boolean;
  /** Notes for the client (`x-gateway-warnings`). */
  readonly warnings: string[];
}

/** Tool arguments as the object Gemini's `args` is; what is not a JSON object becomes `{}`, with a warning. */
function parseArguments(call: AnswerToolCall, warnings: string[]): Record<string, unknown> {
  try {
    const parsed = JSON.parse(call.arguments || '{}') as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  warnings.push(`the arguments of tool call '${call.name}' were not a JSON object and were sent as {}`);
  return {};
}

/** The parts of one choice. */
export function buildAnswerParts(content: AnswerContent, options: AnswerOptions): GeminiAnswerPart[] {
  const parts: GeminiAnswerPart[] = [];
  if (options.includeThoughts && content.reasoning) parts.push({ text: content.reasoning, thought: true });
  if (content.text) parts.push({ text: content.text });
  const firstCall = parts.length;
  for (const call of content.toolCalls) {
    const functionCall: Record<string, unknown> = {
      name: call.name,
      args: parseArguments(call, options.warnings),
    };
    if (call.id) functionCall['id'] = call.id;
    const part: GeminiAnswerPart = { functionCall };
    const signature = encodeCarriedExtensions({ call: call.extra });
    if (signature) part['thoughtSignature'] = signature;
    parts.push(part);
  }
  if (content.extra !== undefined) {
    // The message's fields go on its first part, with that part's own call's when it is one.
    if (parts.length === 0) parts.push({ text: '' });
    const first = parts[0]!;
    const ownCall = parts.length > firstCall && firstCall === 0 ? content.toolCalls[0]?.extra : undefined;
    first['thoughtSignature'] = encodeCarriedExtensions({ message: content.extra, call: ownCall });
  }
  return parts;
}

// ---- unary ----------------------------------------------------------------------------------------

interface ChatMessageWire {
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  tool_calls?:
    | {
        id?: string;
        type?: string;
        function?: { name?: string; arguments?: string };
        extra_content?: unknown;
      }[]
    | null;
  extra_content?: unknown;
}

interface LogprobWire {
  token?: string;
  logprob?: number;
  top_logprobs?: { token?: string; logprob?: number }[] | null;
}

interface ChatChoiceWire {
  index?: number;
  message?: ChatMessageWire | null;
  finish_reason?: string | null;
  logprobs?: { content?: LogprobWire[] | null } | null;
}

export interface ChatCompletionWire {
  id?: string;
  model?: string;
  choices?: ChatChoiceWire[] | null;
  usage?: ChatUsageWire | null;
}

/** A message's tool calls (function calls only: the door declares no other kind). */
export function readToolCalls(message: ChatMessageWire): AnswerToolCall[] {
  return (message.tool_calls ?? [])
    .filter((call) => call.type === undefined || call.type === 'function')
    .map((call) => ({
      id: call.id,
      name: call.function?.name ?? '',
      arguments: call.function?.arguments ?? '',
      extra: call.extra_content,
    }));
}

/**
 * Chosen tokens and their alternatives as `logprobsResult`, with their mean as `avgLogprobs`.
 * @see https://ai.google.dev/api/generate-content#LogprobsResult
 */
function convertLogprobs(content: LogprobWire[]): Pick<GeminiCandidate, 'avgLogprobs' | 'logprobsResult'> {
  const entry = (item: { token?: string; logprob?: number }) => ({
    token: item.token ?? '',
    logProbability: item.logprob ?? 0,
  });
  const chosen = content.map(entry);
  const sum = chosen.reduce((total, item) => total + item.logProbability, 0);
  return {
    avgLogprobs: chosen.length > 0 ? sum / chosen.length : 0,
    logprobsResult: {
      topCandidates: content.map((item) => ({ candidates: (item.top_logprobs ?? []).map(entry) })),
      chosenCandidates: chosen,
    },
  };
}

export function convertToGeminiResponse(
  completion: ChatCompletionWire,
  options: AnswerOptions,
): { response: GeminiResponse; usage: Usage | undefined } {
  const choices = [...(completion.choices ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const candidates = choices.map((choice, position): GeminiCandidate => {
    const message = choice.message ?? {};
    const parts = buildAnswerParts(
      {
        reasoning: message.reasoning_content ?? undefined,
        text: message.content ?? message.refusal ?? undefined,
        toolCalls: readToolCalls(message),
        extra: message.extra_content,
      },
      options,
    );
    const candidate: GeminiCandidate = {
      content: { role: 'model', parts },
      finishReason: mapToGeminiFinishReason(choice.finish_reason),
      index: choice.index ?? position,
    };
    const logprobs = choice.logprobs?.content;
    if (Array.isArray(logprobs) && logprobs.length > 0) Object.assign(candidate, convertLogprobs(logprobs));
    return candidate;
  });
  const usage = usageFromChatCompletion(completion.usage);
  const response: GeminiResponse = { candidates };
  if (usage) response.usageMetadata = convertToUsageMetadata(usage);
  if (completion.model) response.modelVersion = completion.model;
  if (completion.id) response.responseId = completion.id;
  return { response, usage };
}
