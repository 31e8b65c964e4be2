/**
 * The usage of a chat stream from a server that cannot be asked for it (one that refuses
 * `stream_options`): the server's own usage chunk when it sends one anyway, else an estimate from
 * the text it streamed, marked `estimated`, so that every stream is still counted.
 *
 * The estimate is added as a last chunk in OpenAI's shape (`choices: []` and `usage`): sent when the
 * client asked for usage, hidden (accounted, never sent) when it did not.
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-stream_options
 */
import type { ChatCompletionChunk } from '../../../schemas/chat.js';
import type { StreamEvent, Usage } from '../../../src/provider.js';
import { estimateTokens } from '../../../src/tokens.js';

interface DeltaWire {
  content?: unknown;
  /** Reasoning text as compatible servers stream it (vLLM, DeepSeek: `reasoning_content`; others: `reasoning`). */
  reasoning_content?: unknown;
  reasoning?: unknown;
  refusal?: unknown;
  tool_calls?: readonly { function?: { name?: unknown; arguments?: unknown } | null }[] | null;
}

function lengthOf(value: unknown): number {
  return typeof value === 'string' ? value.length : 0;
}

/** Characters of generated text one chunk carries: content, reasoning, refusals, tool calls. */
export function streamedCharacters(chunk: ChatCompletionChunk): number {
  let characters = 0;
  for (const choice of chunk.choices ?? []) {
    const delta = (choice as { delta?: DeltaWire | null }).delta;
    if (!delta) continue;
    characters +=
      lengthOf(delta.content) +
      lengthOf(delta.reasoning_content) +
      lengthOf(delta.reasoning) +
      lengthOf(delta.refusal);
    for (const call of delta.tool_calls ?? []) {
      characters += lengthOf(call.function?.name) + lengthOf(call.function?.arguments);
    }
  }
  return characters;
}

class EstimatedUsageEvent implements StreamEvent {
  readonly mayCarryUsage = true;
  readonly raw: string;
  constructor(
    readonly chunk: ChatCompletionChunk,
    readonly usage: Usage,
    readonly hidden: boolean,
  ) {
    this.raw = JSON.stringify(chunk);
  }
}

export interface StreamUsageEstimate {
  /** The prompt's tokens, estimated from the request. */
  readonly promptTokens: number;
  /** Whether the client asked for usage (`stream_options.include_usage`): the estimate is then sent. */
  readonly includeUsage: boolean;
}

/**
 * The stream's events unchanged, then, when the server reported no usage, an estimated usage chunk.
 * Each event is parsed (to read its text): the price of counting a server that cannot count.
 */
export async function* estimateStreamUsage(
  events: AsyncIterable<StreamEvent>,
  estimate: StreamUsageEstimate,
): AsyncGenerator<StreamEvent, void, undefined> {
  let reported = false;
  let characters = 0;
  let first: ChatCompletionChunk | undefined;
  for await (const event of events) {
    const chunk = event.chunk;
    first ??= chunk;
    if (chunk.usage) reported = true;
    characters += streamedCharacters(chunk);
    yield event;
  }
  if (reported) return;
  const completionTokens = estimateTokens(characters);
  const usage: Usage = {
    promptTokens: estimate.promptTokens,
    completionTokens,
    totalTokens: estimate.promptTokens + completionTokens,
    reasoningTokens: 0,
    cachedTokens: 0,
    estimated: true,
  };
  const chunk = {
    id: first?.id ?? '',
    object: 'chat.completion.chunk',
    created: first?.created ?? Math.floor(Date.now() / 1000),
    model: first?.model ?? '',
    choices: [],
    usage: {
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      total_tokens: usage.totalTokens,
    },
  } as ChatCompletionChunk;
  yield new EstimatedUsageEvent(chunk, usage, !estimate.includeUsage);
}
