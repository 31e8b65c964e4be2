/**
 * The gateway's errors in Anthropic's envelope: `{"type": "error", "error": {"type", "message"},
 * "request_id"}`, with the status kept, and the gateway's `details` (the models a key may call, …)
 * in `error.details` when it has some. The error's `type` is Anthropic's own when an Anthropic
 * upstream gave one (passed through in the error's code), else the one Anthropic uses for the
 * status, so that Anthropic's SDKs raise the error class a client already handles.
 * @see https://docs.anthropic.com/en/api/errors
 */
import type { RenderedError } from '../../../src/errors.js';

/** Anthropic's error types, by the status Anthropic answers them with. */
export const ERROR_TYPE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const ERROR_TYPES = new Set(Object.values(ERROR_TYPE_OF_STATUS));

/** Anthropic's error type for a rendered error. */
export function mapErrorType(rendered: Pick<RenderedError, 'status' | 'envelope'>): string {
  const code = rendered.envelope.error.code;
  if (code !== null && ERROR_TYPES.has(code)) return code;
  const status = rendered.status;
  return ERROR_TYPE_OF_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export interface MessagesError {
  type: 'error';
  error: { type: string; message: string; details?: Record<string, unknown> };
  request_id: string;
}

export function convertToMessagesError(
  rendered: Pick<RenderedError, 'status' | 'envelope'>,
  requestId: string,
): MessagesError {
  const error: MessagesError['error'] = {
    type: mapErrorType(rendered),
    message: rendered.envelope.error.message,
  };
  if (rendered.envelope.error.details) error.details = rendered.envelope.error.details;
  return { type: 'error', error, request_id: requestId };
}
