/**
 * What every adapter does the same way, written once: read a provider's JSON answer within a size
 * bound, check that a stream is an event stream, turn a provider's error answer into the failure the
 * client sees, and read token usage in the shapes of the OpenAI APIs the gateway serves.
 * It names no provider; each adapter brings only what its provider does differently.
 */
import { GatewayError } from './errors.js';
import type { Usage } from './provider.js';
import {
  UpstreamFailure,
  destroyBody,
  parseRetryAfter,
  readBody,
  scrubSecrets,
  type FailureKind,
  type UpstreamAnswer,
} from './upstream.js';

export { destroyBody };

/** Largest answer body read whole (a JSON answer; streams are read event by event). */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** Largest error body read: enough for any provider's explanation. */
export const MAX_ERROR_BYTES = 1024 * 1024;

export function badResponse(
  provider: string,
  what: string,
  kind: FailureKind = 'bad_response',
): UpstreamFailure {
  return new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', kind, {
    message: `The provider ${provider} ${what}.`,
  });
}

const NOT_JSON = Symbol('not JSON');

/** JSON text's value, or NOT_JSON. */
function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

function isJsonObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parses JSON text that must be one object; anything else is the provider misbehaving (502). */
export function parseJsonObject<T>(text: string, provider: string): T {
  const parsed = parsedJson(text);
  if (!isJsonObject(parsed)) throw badResponse(provider, 'sent an answer that is not a JSON object');
  return parsed as T;
}

/**
 * Parses a stream event's JSON text, which must be an object: anything else is the provider breaking
 * the stream after it started (a 502 if nothing was sent yet, an error event if something was).
 */
export function parseStreamEventObject<T>(text: string, provider: string): T {
  const parsed = parsedJson(text);
  if (parsed === NOT_JSON) throw badResponse(provider, 'sent a stream event that is not JSON', 'mid_stream');
  if (!isJsonObject(parsed)) {
    throw badResponse(provider, 'sent a stream event that is not a JSON object', 'mid_stream');
  }
  return parsed as T;
}

/** Reads a whole answer body (at most `limit` bytes) that must be one JSON object. */
export async function readJsonObject<T>(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  limit = MAX_ANSWER_BYTES,
): Promise<T> {
  const bytes = await readBody(response, signal, provider, limit);
  return parseJsonObject<T>(bytes.toString('utf8'), provider);
}

/** Refuses (and releases) an answer to a stream request that is not `text/event-stream`. */
export function expectEventStream(response: UpstreamAnswer, provider: string): void {
  const contentType = String(response.headers['content-type'] ?? '');
  if (!contentType.startsWith('text/event-stream')) {
    destroyBody(response);
    throw badResponse(provider, `answered a stream request with ${contentType || 'no content type'}`);
  }
}

/** The text of an error answer, at most 1 MB; '' when it cannot be read (the status still speaks). */
export async function readErrorText(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
): Promise<string> {
  try {
    return (await readBody(response, signal, provider, MAX_ERROR_BYTES)).toString('utf8');
  } catch {
    return '';
  }
}

export interface ProviderErrorInput {
  provider: string;
  /** The HTTP status of the answer (for an error inside a stream, the error's own status). */
  status: number;
  /** The provider's own message, when its error body had one. */
  message?: string | null;
  /** The raw body, quoted (shortened) when the provider gave no message. */
  text?: string;
  code?: string | null;
  param?: string | null;
  /** The delay the provider asked for, ms (from Retry-After or the provider's own field). */
  retryAfterMs?: number | null;
  /** The answer's Retry-After header, read when `retryAfterMs` is not given. */
  retryAfterHeader?: string | string[];
  /** Keys the gateway holds, scrubbed from anything the client will read. */
  secrets: (string | undefined)[];
  /** 'http' for an answer before the stream started, 'mid_stream' after. */
  kind?: 'http' | 'mid_stream';
  /** A status that must be retried and failed over whatever its number says (a provider's overload). */
  retryable?: boolean;
  /** The status the client gets, when the provider's own must not reach it (Google's 499 CANCELLED). */
  clientStatus?: number;
}

/**
 * A provider's error answer as the failure the client sees: the upstream status (a status that is
 * not an HTTP error becomes 502), the provider's message with our keys scrubbed, its code and param,
 * and Retry-After when the provider asked for a delay.
 */
export function toProviderFailure(input: ProviderErrorInput): UpstreamFailure {
  const { status, provider } = input;
  const quoted = input.text && !input.message ? `: ${input.text.slice(0, 200)}` : '';
  const message = scrubSecrets(
    input.message || `The provider ${provider} answered HTTP ${status}${quoted}.`,
    input.secrets,
  );
  const retryAfterMs = input.retryAfterMs ?? parseRetryAfter(input.retryAfterHeader);
  const headers: Record<string, string> = {};
  if (retryAfterMs !== null) headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
  // A 1xx or 3xx we do not follow, or a provider's private code such as Google's 499, is not a
  // status the client can act on: it is the provider failing.
  const clientStatus = input.clientStatus ?? (status >= 400 && status <= 599 ? status : 502);
  return new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', input.kind ?? 'http', {
    status: clientStatus,
    message,
    code: input.code ?? null,
    param: input.param ?? null,
    headers,
    upstreamStatus: status,
    retryAfterMs,
    retryable: input.retryable,
  });
}

/** Token usage as chat completions report it (`usage` of a completion or of a stream's last chunk). */
export interface ChatUsageWire {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export function usageFromChatCompletion(usage: ChatUsageWire | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const promptTokens = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
    reasoningTokens: Number(usage.completion_tokens_details?.reasoning_tokens ?? 0),
    cachedTokens: Number(usage.prompt_tokens_details?.cached_tokens ?? 0),
    // Written to a provider's prompt cache (Anthropic), priced at the catalog's cache_write rate.
    cacheWriteTokens: Number(usage.prompt_tokens_details?.cache_write_tokens ?? 0),
  };
}

/** Token usage as the Responses API (and token-billed transcription models) report it. */
export interface ResponsesUsageWire {
  input_tokens?: number | null;
  output_tokens?: number | null;
  total_tokens?: number | null;
  input_tokens_details?: { cached_tokens?: number | null } | null;
  output_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export function usageFromResponsesApi(usage: ResponsesUsageWire | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object' || typeof usage.input_tokens !== 'number') return undefined;
  const promptTokens = usage.input_tokens ?? 0;
  const completionTokens = usage.output_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
    reasoningTokens: usage.output_tokens_details?.reasoning_tokens ?? 0,
    cachedTokens: usage.input_tokens_details?.cached_tokens ?? 0,
  };
}

export interface DataUri {
  mimeType: string;
  /** Base64. */
  data: string;
}

/**
 * `data:[<mime>][;params][;base64],<payload>` → MIME type and base64. String operations only: data
 * URIs can be megabytes long.
 * @see https://www.rfc-editor.org/rfc/rfc2397
 */
export function parseDataUri(uri: string): DataUri | undefined {
  if (!uri.startsWith('data:')) return undefined;
  const comma = uri.indexOf(',');
  if (comma === -1) return undefined;
  const header = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  const isBase64 = header.toLowerCase().endsWith(';base64');
  const mimeType = (header.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
  let data: string;
  try {
    data = isBase64 ? payload : Buffer.from(decodeURIComponent(payload), 'utf8').toString('base64');
  } catch {
    return undefined;
  }
  return { mimeType, data };
}

/** A part or value the provider cannot take: a 400 naming it, never a silent drop. */
export function unsupportedContent(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_CONTENT', { message, param });
}

/** A malformed value, whatever the provider: a 400 naming it. */
export function invalidValue(param: string, message: string, code = 'invalid_value'): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_VALIDATION', { message, param, code });
}
