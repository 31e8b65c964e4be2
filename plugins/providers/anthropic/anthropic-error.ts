/**
 * Anthropic error answers → the gateway's envelope: the upstream status and message are kept, the
 * type becomes `provider_error`, the code is Anthropic's error type (`invalid_request_error`,
 * `rate_limit_error`, `overloaded_error`, …), and our keys are scrubbed.
 *
 * `overloaded_error` (HTTP 529) is a server fault the router retries and fails over from, as any
 * 5xx. A 429's cool-down comes from `retry-after`, else from the `anthropic-ratelimit-*-reset`
 * times of the limits it exhausted; it is passed on to the client as `Retry-After`.
 * @see https://docs.anthropic.com/en/api/errors
 * @see https://docs.anthropic.com/en/api/rate-limits#response-headers
 */
import {
  UpstreamFailure,
  parseRetryAfter,
  readBody,
  scrubSecrets,
  type UpstreamAnswer,
} from '../../../src/upstream.js';
import type { AnthropicErrorWire } from './anthropic-api.js';

/** The HTTP status Anthropic answers each error type with (for errors inside a stream). */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The limits Anthropic reports in `anthropic-ratelimit-<limit>-remaining` and `-reset`. */
const RATE_LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long to wait before this key may call again, in ms: `retry-after`, else the latest reset
 * (RFC 3339) of the limits with nothing remaining, since all of them must have refilled; null when
 * the headers do not tell.
 */
export function coolDownFromHeaders(headers: Headers, now = Date.now()): number | null {
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (retryAfter !== null) return retryAfter;
  let latest: number | null = null;
  for (const limit of RATE_LIMITS) {
    if (header(headers, `anthropic-ratelimit-${limit}-remaining`)?.trim() !== '0') continue;
    const reset = Date.parse(header(headers, `anthropic-ratelimit-${limit}-reset`) ?? '');
    if (Number.isNaN(reset)) continue;
    latest = Math.max(latest ?? 0, reset - now);
  }
  return latest === null ? null : Math.max(0, latest);
}

/** Parses a body that may be Anthropic's error JSON; undefined when it is not. */
export function parseAnthropicError(text: string): AnthropicErrorWire | undefined {
  try {
    const parsed = JSON.parse(text) as AnthropicErrorWire;
    return parsed && typeof parsed === 'object' && parsed.error && typeof parsed.error === 'object'
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/** The status an error type stands for, for errors that come inside a stream (502 when unknown). */
export function statusOfErrorType(type: string | null | undefined): number {
  return (type && STATUS_OF_TYPE[type]) || 502;
}

export interface AnthropicFailureInput {
  /** The HTTP status of the answer (for an error event inside a stream, its type's status). */
  status: number;
  wire: AnthropicErrorWire | undefined;
  /** The raw body, quoted (shortened) when it is not Anthropic's error JSON. */
  text: string;
  provider: string;
  secrets: (string | undefined)[];
  headers?: Headers;
  /**
   * 'http' for an answer before the stream started (an error event before anything was sent to
   * the client counts, so the router may still retry it), 'mid_stream' after.
   */
  kind: 'http' | 'mid_stream';
}

export function toAnthropicFailure(input: AnthropicFailureInput): UpstreamFailure {
  const upstream = input.wire?.error ?? undefined;
  const { status } = input;
  const message = scrubSecrets(
    upstream?.message ||
      `The provider ${input.provider} answered HTTP ${status}${input.text && !upstream ? `: ${input.text.slice(0, 200)}` : ''}.`,
    input.secrets,
  );
  const retryAfterMs = status === 429 || status === 529 ? coolDownFromHeaders(input.headers ?? {}) : null;
  const headers: Record<string, string> = {};
  if (retryAfterMs !== null) headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
  const clientStatus = status >= 400 && status <= 599 ? status : 502;
  return new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', input.kind, {
    status: clientStatus,
    message,
    code: upstream?.type ? String(upstream.type) : null,
    headers,
    upstreamStatus: status,
    retryAfterMs,
  });
}

/** Reads an error answer (non-2xx) and turns it into the failure the client will see. */
export async function readAnthropicError(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): Promise<UpstreamFailure> {
  let text = '';
  try {
    text = (await readBody(response, signal, provider, 1024 * 1024)).toString('utf8');
  } catch {
    text = '';
  }
  return toAnthropicFailure({
    status: response.statusCode,
    wire: parseAnthropicError(text),
    text,
    provider,
    secrets,
    headers: response.headers,
    kind: 'http',
  });
}
