/**
 * A cached chat answer serves both forms of a request: a stored `chat.completion` is replayed to a
 * stream request as chunks, and a stored stream is assembled into a `chat.completion` for a unary
 * request. Same-form hits never come through here: they get the stored bytes unchanged.
 * @see https://platform.openai.com/docs/api-reference/chat/object
 * @see https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 */
import type { ChatCompletionChunk } from '../../schemas/chat.js';

type Json = Record<string, unknown>;

// Fields of the answer that every chunk of its stream repeats, in OpenAI's order.
const SHARED_FIELDS = ['id', 'created', 'model', 'service_tier', 'system_fingerprint'] as const;

function sharedFields(source: Json): Json {
  const shared: Json = {};
  for (const field of SHARED_FIELDS) if (source[field] !== undefined) shared[field] = source[field];
  return shared;
}

function chunkOf(shared: Json, choices: Json[], includeUsage: boolean): ChatCompletionChunk {
  const chunk: Json = {
    id: shared['id'],
    object: 'chat.completion.chunk',
    created: shared['created'],
    model: shared['model'],
  };
  if (shared['service_tier'] !== undefined) chunk['service_tier'] = shared['service_tier'];
  if (shared['system_fingerprint'] !== undefined) chunk['system_fingerprint'] = shared['system_fingerprint'];
  chunk['choices'] = choices;
  // With include_usage, OpenAI sends `usage: null` on every chunk but the last.
  if (includeUsage) chunk['usage'] = null;
  return chunk as ChatCompletionChunk;
}

/** The chunks of a stream that carries `completion`: per choice its whole delta, then its finish. */
export function convertCompletionToChunks(completion: Json, includeUsage: boolean): ChatCompletionChunk[] {
  const shared = sharedFields(completion);
  const choices = Array.isArray(completion['choices']) ? (completion['choices'] as Json[]) : [];
  const chunks: ChatCompletionChunk[] = [];
  for (const choice of choices) {
    const message = (choice['message'] ?? {}) as Json;
    const delta: Json = { role: 'assistant', content: message['content'] ?? null };
    if (message['refusal'] !== undefined) delta['refusal'] = message['refusal'];
    if (Array.isArray(message['tool_calls'])) {
      delta['tool_calls'] = (message['tool_calls'] as Json[]).map((call, index) => ({ index, ...call }));
    }
    if (Array.isArray(message['annotations']) && message['annotations'].length > 0) {
      delta['annotations'] = message['annotations'];
    }
    chunks.push(
      chunkOf(
        shared,
        [{ index: choice['index'] ?? 0, delta, logprobs: choice['logprobs'] ?? null, finish_reason: null }],
        includeUsage,
      ),
    );
  }
  for (const choice of choices) {
    chunks.push(
      chunkOf(
        shared,
        [
          {
            index: choice['index'] ?? 0,
            delta: {},
            logprobs: null,
            finish_reason: choice['finish_reason'] ?? 'stop',
          },
        ],
        includeUsage,
      ),
    );
  }
  if (includeUsage && completion['usage']) {
    const usageChunk = chunkOf(shared, [], false) as Json;
    usageChunk['usage'] = completion['usage'];
    chunks.push(usageChunk as ChatCompletionChunk);
  }
  return chunks;
}

interface ToolCallState {
  id?: unknown;
  type?: unknown;
  name: string;
  arguments: string;
}

interface ChoiceState {
  index: number;
  content: string | null;
  refusal: string | null;
  toolCalls: Map<number, ToolCallState>;
  annotations: unknown[];
  logprobContent: unknown[] | null;
  logprobRefusal: unknown[] | null;
  finishReason: string | null;
}

function append(current: string | null, piece: unknown): string | null {
  return typeof piece === 'string' ? (current ?? '') + piece : current;
}

/** The `chat.completion` (JSON text) a finished stream amounts to. */
export function convertChunksToCompletion(chunkTexts: readonly string[], usageChunk: string | null): string {
  let shared: Json | undefined;
  const choices = new Map<number, ChoiceState>();
  for (const text of chunkTexts) {
    const chunk = JSON.parse(text) as Json;
    shared ??= sharedFields(chunk);
    for (const choice of (chunk['choices'] as Json[] | undefined) ?? []) {
      const index = typeof choice['index'] === 'number' ? choice['index'] : 0;
      let state = choices.get(index);
      if (!state) {
        state = {
          index,
          content: null,
          refusal: null,
          toolCalls: new Map(),
          annotations: [],
          logprobContent: null,
          logprobRefusal: null,
          finishReason: null,
        };
        choices.set(index, state);
      }
      const delta = (choice['delta'] ?? {}) as Json;
      state.content = append(state.content, delta['content']);
      state.refusal = append(state.refusal, delta['refusal']);
      if (Array.isArray(delta['annotations'])) state.annotations.push(...(delta['annotations'] as unknown[]));
      for (const call of (delta['tool_calls'] as Json[] | undefined) ?? []) {
        const callIndex = typeof call['index'] === 'number' ? call['index'] : 0;
        let callState = state.toolCalls.get(callIndex);
        if (!callState) {
          callState = { name: '', arguments: '' };
          state.toolCalls.set(callIndex, callState);
        }
        if (call['id'] !== undefined) callState.id = call['id'];
        if (call['type'] !== undefined) callState.type = call['type'];
        const fn = (call['function'] ?? {}) as Json;
        if (typeof fn['name'] === 'string') callState.name += fn['name'];
        if (typeof fn['arguments'] === 'string') callState.arguments += fn['arguments'];
      }
      const logprobs = choice['logprobs'] as Json | null | undefined;
      if (logprobs) {
        if (Array.isArray(logprobs['content'])) {
          (state.logprobContent ??= []).push(...(logprobs['content'] as unknown[]));
        }
        if (Array.isArray(logprobs['refusal'])) {
          (state.logprobRefusal ??= []).push(...(logprobs['refusal'] as unknown[]));
        }
      }
      if (typeof choice['finish_reason'] === 'string') state.finishReason = choice['finish_reason'];
    }
  }
  const head = shared ?? {};
  const completion: Json = {
    id: head['id'],
    object: 'chat.completion',
    created: head['created'],
    model: head['model'],
    choices: [...choices.values()]
      .sort((left, right) => left.index - right.index)
      .map((state) => {
        const message: Json = { role: 'assistant', content: state.content, refusal: state.refusal };
        if (state.toolCalls.size > 0) {
          message['tool_calls'] = [...state.toolCalls.entries()]
            .sort(([left], [right]) => left - right)
            .map(([, call]) => ({
              id: call.id,
              type: call.type ?? 'function',
              function: { name: call.name, arguments: call.arguments },
            }));
        }
        if (state.annotations.length > 0) message['annotations'] = state.annotations;
        const logprobs =
          state.logprobContent || state.logprobRefusal
            ? { content: state.logprobContent, refusal: state.logprobRefusal }
            : null;
        return { index: state.index, message, logprobs, finish_reason: state.finishReason ?? 'stop' };
      }),
  };
  if (usageChunk !== null) {
    const usage = (JSON.parse(usageChunk) as Json)['usage'];
    if (usage) completion['usage'] = usage;
  }
  if (head['service_tier'] !== undefined) completion['service_tier'] = head['service_tier'];
  if (head['system_fingerprint'] !== undefined) completion['system_fingerprint'] = head['system_fingerprint'];
  return JSON.stringify(completion);
}
