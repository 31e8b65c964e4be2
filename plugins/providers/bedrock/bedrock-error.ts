/**
 * Bedrock error answers → the gateway's envelope. Bedrock names the error in the
 * `x-amzn-errortype` header (`ThrottlingException:http://internal.amazon.com/…`) and explains it in
 * the body's `message`; inside a stream, an `exception` message names it in `:exception-type`
 * (`throttlingException`). The code is the exception's name; the status is the one the exception
 * stands for, so that retries and failover read it right:
 *
 * - `ThrottlingException` → 429 (the deployment cools down, the next one is tried);
 * - `ModelNotReadyException` (Bedrock answers 429, but the model is loading, not the caller over a
 *   limit), `ServiceUnavailableException` → 503; `InternalServerException` → 500;
 *   `ModelTimeoutException` → 408; `ModelErrorException`, `ModelStreamErrorException` → 502: all
 *   retried and failed over;
 * - `ValidationException` → 400; `AccessDeniedException`, `UnrecognizedClientException`,
 *   `InvalidSignatureException`, `ExpiredTokenException` → 403; `ResourceNotFoundException` → 404:
 *   the request or the credentials are at fault.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
 */
import { readErrorText, toProviderFailure } from '../../../src/provider-toolkit.js';
import type { UpstreamFailure, UpstreamAnswer } from '../../../src/upstream.js';
import type { BedrockErrorWire } from './bedrock-api.js';

const STATUS_OF_EXCEPTION: Record<string, number> = {
  ThrottlingException: 429,
  ServiceQuotaExceededException: 429,
  ModelNotReadyException: 503,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
  ModelTimeoutException: 408,
  ModelErrorException: 502,
  ModelStreamErrorException: 502,
  ValidationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ExpiredTokenException: 403,
  ResourceNotFoundException: 404,
};

/**
 * The exception's name from `x-amzn-errortype` or `:exception-type` (`ThrottlingException`), its
 * namespace cut off and its first letter raised; undefined when there is none.
 */
export function exceptionName(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const name = text?.split(':')[0]?.trim();
  return name ? name[0]!.toUpperCase() + name.slice(1) : undefined;
}

/** The status an exception stands for; the answer's own when the exception is not one we know. */
export function statusOfException(name: string | undefined, status: number): number {
  return (name && STATUS_OF_EXCEPTION[name]) || status;
}

function parseErrorBody(text: string): BedrockErrorWire | undefined {
  try {
    const parsed = JSON.parse(text) as BedrockErrorWire;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export interface BedrockFailureInput {
  /** The exception's name, as `exceptionName` reads it. */
  exception: string | undefined;
  /** The HTTP status of the answer (for an exception inside a stream, 200). */
  status: number;
  text: string;
  provider: string;
  secrets: (string | undefined)[];
  retryAfterHeader?: string | string[];
  kind: 'http' | 'mid_stream';
}

export function toBedrockFailure(input: BedrockFailureInput): UpstreamFailure {
  const wire = parseErrorBody(input.text);
  const status = statusOfException(input.exception, input.status >= 400 ? input.status : 502);
  return toProviderFailure({
    provider: input.provider,
    status,
    message: wire?.message ?? wire?.Message ?? null,
    text: input.text,
    code: input.exception ?? null,
    retryAfterHeader: input.retryAfterHeader,
    secrets: input.secrets,
    kind: input.kind,
  });
}

/** Reads an error answer (non-2xx) and turns it into the failure the client will see. */
export async function readBedrockError(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): Promise<UpstreamFailure> {
  const text = await readErrorText(response, signal, provider);
  return toBedrockFailure({
    exception: exceptionName(response.headers['x-amzn-errortype']),
    status: response.statusCode,
    text,
    provider,
    secrets,
    retryAfterHeader: response.headers['retry-after'],
    kind: 'http',
  });
}
