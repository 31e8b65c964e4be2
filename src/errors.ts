/**
 * The error catalogue: every error the gateway itself produces, by code, and the one renderer that
 * turns any error into the OpenAI envelope `{ "error": { message, type, param, code, details? } }`.
 *
 * `GW_ERR_<AREA>_<WHAT>` identifies the error in code, logs, docs/errors.md and the
 * `x-gateway-error-code` header; the envelope's `type` and `code` are the OpenAI-compatible names
 * clients already test for (`invalid_api_key`, `model_not_found`, `rate_limit_exceeded`, …).
 * Internals of 5xx errors are logged, never sent.
 */
import type { FastifyError } from 'fastify';
import { describeValidationErrors, type AjvErrorLike } from './describe-validation-errors.js';

export interface ErrorDefinition {
  status: number;
  type: string;
  code: string;
  message: string;
}

export const ERRORS = {
  GW_ERR_AUTH_MISSING_KEY: {
    status: 401,
    type: 'invalid_api_key',
    code: 'invalid_api_key',
    message: "Missing API key. Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
  },
  GW_ERR_AUTH_INVALID_KEY: {
    status: 401,
    type: 'invalid_api_key',
    code: 'invalid_api_key',
    message: 'Invalid API key.',
  },
  GW_ERR_AUTH_PROTECTED_MODE: {
    status: 401,
    type: 'invalid_api_key',
    code: 'protected_mode',
    message:
      'The gateway is in protected mode: no API keys are configured, so it only answers clients on ' +
      'this machine. To serve other clients, start it with GATEWAY_API_KEYS=<key>[,<key>...] and send ' +
      "the key as 'Authorization: Bearer <key>'.",
  },
  GW_ERR_AUTH_PROTECTED_MODE_PROXIED: {
    status: 401,
    type: 'invalid_api_key',
    code: 'protected_mode',
    message:
      'Protected mode answers only clients on this machine that call the gateway directly; this request ' +
      'came through a proxy (Forwarded, X-Forwarded-For, X-Real-IP or X-Envoy headers). Set GATEWAY_API_KEYS and send a key.',
  },
  GW_ERR_AUTH_TOO_MANY_ATTEMPTS: {
    status: 429,
    type: 'rate_limit_exceeded',
    code: 'rate_limit_exceeded',
    message: 'Too many requests without a valid API key from this address; retry later with a valid key.',
  },
  GW_ERR_AUTH_OPERATOR_REQUIRED: {
    status: 403,
    type: 'permission_denied',
    code: 'operator_key_required',
    message:
      'This endpoint is for the operator: it needs a key of GATEWAY_API_KEYS, GATEWAY_ADMIN_KEYS or ' +
      'METRICS_API_KEYS, not a client key.',
  },
  GW_ERR_AUTH_MODEL_FORBIDDEN: {
    status: 403,
    type: 'permission_denied',
    code: 'model_not_allowed',
    message: 'This API key may not use this model.',
  },
  GW_ERR_AUTH_BYOK_FORBIDDEN: {
    status: 403,
    type: 'permission_denied',
    code: 'byok_not_allowed',
    message: 'This API key may not bring its own provider key (x-provider-api-key).',
  },
  GW_ERR_AUTH_CLIENT_SECRETS_FORBIDDEN: {
    status: 403,
    type: 'permission_denied',
    code: 'client_secrets_not_allowed',
    message:
      'This API key may not mint realtime client secrets: the operator names the keys that may in REALTIME_CLIENT_SECRET_KEYS.',
  },
  GW_ERR_AUTH_ADMIN_REQUIRED: {
    status: 403,
    type: 'permission_denied',
    code: 'admin_key_required',
    message: 'This endpoint needs an admin key (GATEWAY_ADMIN_KEYS).',
  },
  GW_ERR_ADMIN_NOT_FOUND: {
    status: 404,
    type: 'not_found',
    code: 'not_found',
    message: 'No such key or team.',
  },
  GW_ERR_ADMIN_CONFLICT: {
    status: 409,
    type: 'conflict',
    code: 'conflict',
    message: 'The change conflicts with what the store holds.',
  },
  GW_ERR_ADMIN_INVALID: {
    status: 400,
    type: 'validation_error',
    code: 'invalid_value',
    message: 'The request is invalid.',
  },
  GW_ERR_ADMIN_READ_ONLY: {
    status: 409,
    type: 'conflict',
    code: 'read_only',
    message: 'Keys from the configuration are read-only here: change them in the configuration file.',
  },
  GW_ERR_ADMIN_STORE_DISABLED: {
    status: 503,
    type: 'service_unavailable',
    code: 'store_disabled',
    message: 'The store is off (STORE_ENABLED=false): keys, teams and spend cannot be managed at run time.',
  },
  GW_ERR_STORE_UNAVAILABLE: {
    status: 503,
    type: 'service_unavailable',
    code: 'store_unavailable',
    message: "The gateway's store did not answer; retry shortly.",
  },
  GW_ERR_REQUEST_INVALID_JSON: {
    status: 400,
    type: 'validation_error',
    code: 'invalid_json',
    message: 'The request body is not valid JSON.',
  },
  GW_ERR_REQUEST_EMPTY_BODY: {
    status: 400,
    type: 'validation_error',
    code: 'missing_body',
    message: 'The request body is empty; a JSON object is required.',
  },
  GW_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    type: 'validation_error',
    code: 'unsupported_media_type',
    message: "Unsupported Content-Type; send 'Content-Type: application/json'.",
  },
  GW_ERR_REQUEST_TOO_LARGE: {
    status: 413,
    type: 'validation_error',
    code: 'request_too_large',
    message: 'The request body is larger than the gateway accepts.',
  },
  GW_ERR_REQUEST_VALIDATION: {
    status: 400,
    type: 'validation_error',
    code: 'invalid_value',
    message: 'The request is invalid.',
  },
  GW_ERR_REQUEST_UNSUPPORTED_PARAMETER: {
    status: 400,
    type: 'validation_error',
    code: 'unsupported_parameter',
    message: 'A parameter is not supported by the model that would serve this request.',
  },
  GW_ERR_REQUEST_UNSUPPORTED_CONTENT: {
    status: 400,
    type: 'validation_error',
    code: 'unsupported_content',
    message: 'A message part is not supported by the model that would serve this request.',
  },
  GW_ERR_REQUEST_UNSUPPORTED_TOOL: {
    status: 400,
    type: 'validation_error',
    code: 'unsupported_tool',
    message: 'A tool is not supported by the model that would serve this request.',
  },
  GW_ERR_MEDIA_URL_FORBIDDEN: {
    status: 400,
    type: 'validation_error',
    code: 'media_url_forbidden',
    message:
      'The media URL points to a loopback, private, link-local or metadata address the gateway does not fetch from.',
  },
  GW_ERR_MEDIA_FETCH_FAILED: {
    status: 400,
    type: 'validation_error',
    code: 'media_fetch_failed',
    message: 'The gateway could not download the media at the URL.',
  },
  GW_ERR_MEDIA_TOO_LARGE: {
    status: 400,
    type: 'validation_error',
    code: 'media_too_large',
    message: 'The media at the URL is larger than the gateway downloads.',
  },
  GW_ERR_MEDIA_TOO_MANY: {
    status: 400,
    type: 'validation_error',
    code: 'media_too_many',
    message:
      'The request names more media URLs, or more media bytes, than the gateway downloads for one request.',
  },
  GW_ERR_MEDIA_UNSUPPORTED_TYPE: {
    status: 400,
    type: 'validation_error',
    code: 'media_unsupported_type',
    message: 'The media at the URL is not of a type the message part accepts.',
  },
  GW_ERR_AUDIO_NOT_MULTIPART: {
    status: 400,
    type: 'validation_error',
    code: 'invalid_content_type',
    message:
      "This endpoint takes a 'multipart/form-data' body with the audio in a 'file' field and the model in a 'model' field.",
  },
  GW_ERR_AUDIO_INVALID_FORM: {
    status: 400,
    type: 'validation_error',
    code: 'invalid_multipart',
    message: 'The multipart/form-data body is malformed or ended early.',
  },
  GW_ERR_AUDIO_FILE_TOO_LARGE: {
    status: 413,
    type: 'validation_error',
    code: 'file_too_large',
    message: 'The audio file is larger than 25 MB (26214400 bytes), the most the gateway accepts.',
  },
  GW_ERR_IMAGE_NOT_MULTIPART: {
    status: 400,
    type: 'validation_error',
    code: 'invalid_content_type',
    message:
      "This endpoint takes a 'multipart/form-data' body with the image in an 'image' file field and the prompt in a 'prompt' field.",
  },
  GW_ERR_IMAGE_INVALID_FORM: {
    status: 400,
    type: 'validation_error',
    code: 'invalid_multipart',
    message: 'The multipart/form-data body is malformed or ended early.',
  },
  GW_ERR_IMAGE_FILE_TOO_LARGE: {
    status: 413,
    type: 'validation_error',
    code: 'file_too_large',
    message: "The form's images are larger than 25 MB (26214400 bytes) in all, the most the gateway accepts.",
  },
  GW_ERR_REALTIME_UPGRADE_REQUIRED: {
    status: 426,
    type: 'invalid_request_error',
    code: 'upgrade_required',
    message:
      'This endpoint is a WebSocket: open it with an upgrade request (Connection: Upgrade, Upgrade: websocket).',
  },
  GW_ERR_REALTIME_TOO_MANY_SESSIONS: {
    status: 429,
    type: 'rate_limit_exceeded',
    code: 'too_many_sessions',
    message:
      'This API key has as many realtime sessions open as it may (REALTIME_MAX_SESSIONS_PER_KEY); close one first.',
  },
  GW_ERR_ROUTE_NOT_FOUND: {
    status: 404,
    type: 'not_found',
    code: 'unknown_url',
    message: 'Unknown request URL.',
  },
  GW_ERR_MODEL_NOT_FOUND: {
    status: 404,
    type: 'model_not_found',
    code: 'model_not_found',
    message: 'The model does not exist or is not available on this gateway.',
  },
  GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED: {
    status: 404,
    type: 'model_not_found',
    code: 'provider_not_configured',
    message: 'The provider that serves this model is not configured on this gateway.',
  },
  GW_ERR_MODEL_WRONG_TYPE: {
    status: 400,
    type: 'validation_error',
    code: 'model_not_supported',
    message: 'This model cannot serve this endpoint.',
  },
  GW_ERR_RESPONSE_NOT_FOUND: {
    status: 404,
    type: 'not_found',
    code: 'response_not_found',
    message: 'No stored response with this id exists for this API key.',
  },
  GW_ERR_FILE_NOT_FOUND: {
    status: 404,
    type: 'invalid_request_error',
    code: 'file_not_found',
    message: 'No file with this id exists for this API key.',
  },
  GW_ERR_BATCH_NOT_FOUND: {
    status: 404,
    type: 'invalid_request_error',
    code: 'batch_not_found',
    message: 'No batch with this id exists for this API key.',
  },
  GW_ERR_FILE_TOO_LARGE: {
    status: 413,
    type: 'validation_error',
    code: 'file_too_large',
    message: 'The file is larger than 512 MB, the most a file upload may hold.',
  },
  GW_ERR_FILE_STORE_UNAVAILABLE: {
    status: 503,
    type: 'service_unavailable',
    code: 'file_store_unavailable',
    message: 'The record of which key owns which file and batch is unreachable; retry shortly.',
  },
  GW_ERR_RESPONSE_PREVIOUS_NOT_FOUND: {
    status: 404,
    type: 'not_found',
    code: 'previous_response_not_found',
    message: 'The previous response does not exist for this API key, or is no longer kept.',
  },
  GW_ERR_RESPONSE_STORE_UNAVAILABLE: {
    status: 503,
    type: 'service_unavailable',
    code: 'response_store_unavailable',
    message: 'The store of Responses API responses is unreachable; retry shortly.',
  },
  GW_ERR_ROUTING_NO_CAPABLE_DEPLOYMENT: {
    status: 400,
    type: 'validation_error',
    code: 'no_capable_deployment',
    message: 'No deployment of this model can take this request.',
  },
  GW_ERR_ROUTING_STRATEGY_REFUSED: {
    status: 400,
    type: 'validation_error',
    code: 'invalid_strategy',
    message: 'The routing strategy asked for in x-gateway-strategy is unknown or not allowed for this model.',
  },
  GW_ERR_UPSTREAM_ERROR: {
    status: 502,
    type: 'provider_error',
    code: 'upstream_error',
    message: 'The provider answered with an error.',
  },
  GW_ERR_UPSTREAM_TIMEOUT: {
    status: 504,
    type: 'timeout',
    code: 'timeout',
    message: 'The provider did not answer in time.',
  },
  GW_ERR_UPSTREAM_UNREACHABLE: {
    status: 502,
    type: 'provider_error',
    code: 'upstream_unreachable',
    message: 'The provider could not be reached.',
  },
  GW_ERR_UPSTREAM_BAD_RESPONSE: {
    status: 502,
    type: 'provider_error',
    code: 'upstream_bad_response',
    message: 'The provider sent an answer the gateway could not read.',
  },
  GW_ERR_UPSTREAM_UNAVAILABLE: {
    status: 503,
    type: 'service_unavailable',
    code: 'upstream_unavailable',
    message: 'No deployment of this model is available right now.',
  },
  GW_ERR_CONTENT_FILTERED: {
    status: 400,
    type: 'content_filter',
    code: 'content_filter',
    message: "The provider's safety system blocked this request.",
  },
  GW_ERR_MODERATION_FLAGGED: {
    status: 400,
    type: 'content_filter',
    code: 'content_filter',
    message: "The gateway's moderation flagged this input; no model was called.",
  },
  GW_ERR_RATE_LIMITED: {
    status: 429,
    type: 'rate_limit_exceeded',
    code: 'rate_limit_exceeded',
    message: 'Rate limit exceeded.',
  },
  GW_ERR_RATE_LIMIT_UNAVAILABLE: {
    status: 503,
    type: 'service_unavailable',
    code: 'rate_limit_unavailable',
    message:
      'The shared rate-limit store is unreachable and the gateway is set to refuse requests then; retry shortly.',
  },
  GW_ERR_BUDGET_UNPRICED_MODEL: {
    status: 403,
    type: 'permission_denied',
    code: 'model_not_priced',
    message:
      'A key with a budget may call only models with a known price: add the model to the catalog, or give its provider instance default prices (providers.<id>.pricing).',
  },
  GW_ERR_BUDGET_EXCEEDED: {
    status: 429,
    type: 'budget_exceeded',
    code: 'budget_exceeded',
    message: 'The budget of this key for the period is spent.',
  },
  GW_ERR_SERVER_OVERLOADED: {
    status: 503,
    type: 'service_unavailable',
    code: 'overloaded',
    message: 'The gateway is at its limit of concurrent requests; retry shortly.',
  },
  GW_ERR_SERVER_SHUTTING_DOWN: {
    status: 503,
    type: 'service_unavailable',
    code: 'shutting_down',
    message: 'The gateway is shutting down; retry on another instance.',
  },
  GW_ERR_CLIENT_CLOSED: {
    status: 499,
    type: 'client_closed',
    code: 'client_closed',
    message: 'The client closed the connection before the answer was complete.',
  },
  GW_ERR_INTERNAL: {
    status: 500,
    type: 'internal_error',
    code: 'internal_error',
    message: 'The gateway failed to handle the request.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

export interface GatewayErrorOptions {
  message?: string;
  param?: string | null;
  /** Overrides the catalogue's status (upstream errors keep the provider's status). */
  status?: number;
  /** Overrides the envelope's code (upstream errors keep the provider's code). */
  code?: string | null;
  type?: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly gatewayCode: ErrorCode;
  readonly statusCode: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(gatewayCode: ErrorCode, options: GatewayErrorOptions = {}) {
    const definition: ErrorDefinition = ERRORS[gatewayCode];
    super(
      options.message ?? definition.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.gatewayCode = gatewayCode;
    this.statusCode = options.status ?? definition.status;
    this.type = options.type ?? definition.type;
    this.code = options.code === undefined ? definition.code : options.code;
    this.param = options.param ?? null;
    this.details = options.details;
    this.headers = options.headers;
  }

  toEnvelope(): ErrorEnvelope {
    const error: ErrorEnvelope['error'] = {
      message: this.message,
      type: this.type,
      param: this.param,
      code: this.code,
    };
    if (this.details) error.details = this.details;
    return { error };
  }
}

export interface ErrorEnvelope {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    details?: Record<string, unknown>;
  };
}

export interface RenderedError {
  status: number;
  gatewayCode: ErrorCode;
  envelope: ErrorEnvelope;
  headers: Record<string, string>;
  /** True when the error is the gateway's fault and must be logged with its stack. */
  internal: boolean;
}

// Fastify's own errors (body parsing, limits) that are the client's fault, mapped onto the catalogue.
const FASTIFY_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'GW_ERR_REQUEST_INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'GW_ERR_REQUEST_EMPTY_BODY',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'GW_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'GW_ERR_REQUEST_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'GW_ERR_REQUEST_VALIDATION',
  FST_ERR_CTP_INVALID_TYPE: 'GW_ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE',
};

/** Turns any thrown value into the status, headers and envelope the client receives. */
export function renderError(error: unknown, body?: unknown): RenderedError {
  let gatewayError: GatewayError;
  let internal = false;
  const fastifyError = error as Partial<FastifyError> & {
    validation?: AjvErrorLike[];
    validationContext?: string;
  };

  if (error instanceof GatewayError) {
    gatewayError = error;
  } else if (error instanceof Error && error.name === 'ClientClosed') {
    gatewayError = new GatewayError('GW_ERR_CLIENT_CLOSED');
  } else if (fastifyError && Array.isArray(fastifyError.validation)) {
    gatewayError = describeValidationErrors(
      fastifyError.validation,
      body,
      fastifyError.validationContext ?? 'body',
    );
  } else if (fastifyError && typeof fastifyError.code === 'string' && FASTIFY_ERRORS[fastifyError.code]) {
    const code = FASTIFY_ERRORS[fastifyError.code] as ErrorCode;
    gatewayError = new GatewayError(code, {
      message:
        code === 'GW_ERR_REQUEST_INVALID_JSON'
          ? `The request body is not valid JSON: ${fastifyError.message}`
          : undefined,
    });
  } else if (
    fastifyError &&
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    // A client error raised by a plugin (Fastify core, @fastify/*): keep its status and message.
    const status = fastifyError.statusCode;
    const code: ErrorCode =
      status === 429
        ? 'GW_ERR_RATE_LIMITED'
        : status === 413
          ? 'GW_ERR_REQUEST_TOO_LARGE'
          : 'GW_ERR_REQUEST_VALIDATION';
    gatewayError = new GatewayError(code, { status, message: fastifyError.message });
  } else {
    internal = true;
    gatewayError = new GatewayError('GW_ERR_INTERNAL');
  }

  const headers: Record<string, string> = {
    'x-gateway-error-code': gatewayError.gatewayCode,
    ...gatewayError.headers,
  };
  return {
    status: gatewayError.statusCode,
    gatewayCode: gatewayError.gatewayCode,
    envelope: gatewayError.toEnvelope(),
    headers,
    internal: internal || (gatewayError.statusCode >= 500 && gatewayError.gatewayCode === 'GW_ERR_INTERNAL'),
  };
}
