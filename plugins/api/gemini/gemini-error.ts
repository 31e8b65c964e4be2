/**
 * The gateway's errors in Google's envelope, `{"error": {"code", "message", "status", "details"}}`
 * (google.rpc.Status as JSON), as Gemini's clients read them: `code` is the HTTP status, `status` the
 * canonical name of the error. The HTTP status is the gateway's own (docs/errors.md); the name is
 * the one Google pairs with it, or, for an error a Gemini deployment answered, the name Gemini gave.
 * `details` says what the gateway knows besides: an ErrorInfo with the gateway's error code (and
 * the details of the OpenAI envelope, such as `available_models`, in its metadata), a BadRequest
 * naming the field at fault, a RetryInfo with the delay to wait.
 * @see https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes
 * @see https://cloud.google.com/apis/design/errors#handling_errors
 */
import type { RenderedError } from '../../../src/errors.js';

export interface GoogleErrorEnvelope {
  error: { code: number; message: string; status: string; details: Record<string, unknown>[] };
}

/** Google's canonical codes; an upstream error that carries one keeps it. */
const CANONICAL = new Set([
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

const BY_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's name for an HTTP status (the gateway's, or a provider's passed on). */
export function googleStatusOf(status: number): string {
  return BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
}

const TYPE_PREFIX = 'type.googleapis.com/google.rpc.';

// How a Gemini client sends its key: the catalogue's message names the OpenAI-style headers.
const MISSING_KEY_MESSAGE =
  "Missing API key. Send it as 'x-goog-api-key: <key>' (as Google's SDKs do), '?key=<key>', or " +
  "'Authorization: Bearer <key>'.";

/** ErrorInfo metadata is a map of strings: lists are joined, other values written as JSON. */
function metadataValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join(', ');
  return JSON.stringify(value);
}

/**
 * @param retryAfter the answer's Retry-After when the error did not bring its own (a rate limit
 *   sets it on the reply)
 */
export function convertToGoogleError(
  rendered: RenderedError,
  retryAfter: unknown = rendered.headers['retry-after'],
): GoogleErrorEnvelope {
  const { message, code, type, param, details: extra } = rendered.envelope.error;
  const status = code && CANONICAL.has(code) ? code : googleStatusOf(rendered.status);
  const metadata: Record<string, string> = { type };
  if (code) metadata['code'] = code;
  if (param) metadata['param'] = param;
  for (const [key, value] of Object.entries(extra ?? {})) metadata[key] = metadataValue(value);
  const details: Record<string, unknown>[] = [
    { '@type': `${TYPE_PREFIX}ErrorInfo`, reason: rendered.gatewayCode, domain: 'llm-gateway', metadata },
  ];
  if (param && rendered.status === 400) {
    details.push({
      '@type': `${TYPE_PREFIX}BadRequest`,
      fieldViolations: [{ field: param, description: message }],
    });
  }
  const delay = Number(rendered.headers['retry-after'] ?? retryAfter);
  if (Number.isFinite(delay) && delay > 0) {
    details.push({ '@type': `${TYPE_PREFIX}RetryInfo`, retryDelay: `${delay}s` });
  }
  return {
    error: {
      code: rendered.status,
      message: rendered.gatewayCode === 'GW_ERR_AUTH_MISSING_KEY' ? MISSING_KEY_MESSAGE : message,
      status,
      details,
    },
  };
}
