/**
 * A Responses API `response` → the `chat.completion` a chat client expects: the output messages'
 * text (and refusals) become the message content, function calls become `tool_calls`, usage is
 * renamed. Reasoning items have no chat counterpart and are left out (their token count is kept).
 * @see https://platform.openai.com/docs/api-reference/responses/object
 * @see https://platform.openai.com/docs/api-reference/chat/object
 */
import type { ChatCompletion, CompletionUsage } from '../../../schemas/chat.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import type { ResponsesUsageWire } from '../../../src/provider-toolkit.js';

/** The parts of a Responses API answer the translation reads; everything is optional upstream. */
export interface ResponsesOutputItemWire {
  type?: string;
  id?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  input?: string;
  content?: { type?: string; text?: string; refusal?: string; annotations?: unknown[] }[] | null;
}

export interface ResponsesResponseWire {
  id?: string;
  created_at?: number;
  model?: string;
  status?: string;
  error?: { code?: string | null; message?: string | null } | null;
  incomplete_details?: { reason?: string | null } | null;
  output?: ResponsesOutputItemWire[] | null;
  usage?: ResponsesUsageWire | null;
  service_tier?: string | null;
}

/** The finish reason of a finished response. */
export function mapResponsesFinishReason(response: ResponsesResponseWire, calledTools: boolean): string {
  if (response.status === 'incomplete') {
    return response.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length';
  }
  return calledTools ? 'tool_calls' : 'stop';
}

export function convertResponsesUsage(
  usage: ResponsesUsageWire | null | undefined,
): CompletionUsage | undefined {
  if (!usage || typeof usage.input_tokens !== 'number') return undefined;
  const promptTokens = usage.input_tokens;
  const completionTokens = usage.output_tokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: usage.total_tokens ?? promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: usage.input_tokens_details?.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.output_tokens_details?.reasoning_tokens ?? 0 },
  };
}

/** A response the upstream reports as failed (HTTP 200 with `status: "failed"`) → the client's error. */
export function failedResponseError(
  error: ResponsesResponseWire['error'],
  provider: string,
  kind: 'http' | 'mid_stream',
): UpstreamFailure {
  return new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', kind, {
    message: error?.message || `The provider ${provider} reported that the response failed.`,
    code: error?.code ?? null,
    upstreamStatus: 500,
  });
}

/** Chat's annotation form: `{ type: "url_citation", url_citation: { url, title, start_index, end_index } }`. */
function convertAnnotations(annotations: unknown[]): unknown[] {
  const converted: unknown[] = [];
  for (const annotation of annotations) {
    const item = annotation as {
      type?: string;
      url?: string;
      title?: string;
      start_index?: number;
      end_index?: number;
    };
    if (item.type === 'url_citation') {
      converted.push({
        type: 'url_citation',
        url_citation: {
          url: item.url,
          title: item.title,
          start_index: item.start_index,
          end_index: item.end_index,
        },
      });
    }
  }
  return converted;
}

export function convertResponsesResponse(
  response: ResponsesResponseWire,
  provider: string,
  fallbackModel: string,
): ChatCompletion {
  if (response.status === 'failed') throw failedResponseError(response.error, provider, 'http');
  let text = '';
  let refusal = '';
  const annotations: unknown[] = [];
  const toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
  for (const item of response.output ?? []) {
    if (item.type === 'message') {
      for (const part of item.content ?? []) {
        if (part.type === 'output_text') {
          text += part.text ?? '';
          annotations.push(...convertAnnotations(part.annotations ?? []));
        } else if (part.type === 'refusal') refusal += part.refusal ?? '';
      }
    } else if (item.type === 'function_call') {
      toolCalls.push({
        id: item.call_id ?? item.id ?? '',
        type: 'function',
        function: { name: item.name ?? '', arguments: item.arguments ?? '' },
      });
    }
  }

  const message: ChatCompletion['choices'][number]['message'] & { annotations: unknown[] } = {
    role: 'assistant',
    content: text || (toolCalls.length > 0 || refusal ? null : ''),
    refusal: refusal || null,
    annotations,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const completion: ChatCompletion & { service_tier?: string } = {
    id: response.id ?? '',
    object: 'chat.completion',
    created: Math.floor(response.created_at ?? Date.now() / 1000),
    model: response.model ?? fallbackModel,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: mapResponsesFinishReason(response, toolCalls.length > 0),
      },
    ],
  };
  const usage = convertResponsesUsage(response.usage);
  if (usage) completion.usage = usage;
  if (response.service_tier) completion.service_tier = response.service_tier;
  return completion;
}
