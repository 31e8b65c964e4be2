/**
 * Gemini error answers → the gateway's envelope: the upstream status and message are kept, the type
 * becomes `provider_error`, the code is Google's canonical status name (`RESOURCE_EXHAUSTED`,
 * `INVALID_ARGUMENT`, …), a 429's RetryInfo becomes `Retry-After`, and our keys are scrubbed.
 * @see https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes
 * @see https://cloud.google.com/apis/design/errors#error_payloads
 */
import { readErrorText, toProviderFailure } from '../../../src/provider-toolkit.js';
import { parseRetryAfter, type UpstreamFailure, type UpstreamAnswer } from '../../../src/upstream.js';
import type { GeminiErrorWire } from './gemini-api.js';

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';
/** A protobuf Duration in JSON: seconds with an optional fraction, then `s`. */
const DURATION = /^(\d+(?:\.\d+)?)s$/;

/** The delay Google asks for in a RetryInfo detail, in ms (null when there is none). */
export function retryDelayFromDetails(wire: GeminiErrorWire | undefined): number | null {
  const details = wire?.error?.details;
  if (!Array.isArray(details)) return null;
  for (const detail of details) {
    if (detail && detail['@type'] === RETRY_INFO_TYPE && typeof detail.retryDelay === 'string') {
      const match = DURATION.exec(detail.retryDelay.trim());
      if (match) return Math.round(Number(match[1]) * 1000);
    }
  }
  return null;
}

/** Parses a body that may be Google's error JSON; undefined when it is not. */
export function parseGeminiError(text: string): GeminiErrorWire | undefined {
  try {
    const parsed = JSON.parse(text) as GeminiErrorWire;
    return parsed && typeof parsed === 'object' && parsed.error && typeof parsed.error === 'object'
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

export interface GeminiFailureInput {
  /** The HTTP status of the answer (for an error inside a stream, the error's own `code`). */
  status: number;
  wire: GeminiErrorWire | undefined;
  /** The raw body, quoted (shortened) when it is not Google's error JSON. */
  text: string;
  provider: string;
  secrets: (string | undefined)[];
  retryAfterHeader?: string | string[] | undefined;
  /** 'http' for an answer before the stream started, 'mid_stream' after. */
  kind: 'http' | 'mid_stream';
}

export function toGeminiFailure(input: GeminiFailureInput): UpstreamFailure {
  const upstream = input.wire?.error ?? undefined;
  return toProviderFailure({
    provider: input.provider,
    status: input.status,
    // Google's 499 CANCELLED inside a stream is not a status the client can act on: the provider failed.
    clientStatus: input.status === 499 ? 502 : undefined,
    message: upstream?.message,
    text: input.text,
    code: upstream?.status ? String(upstream.status) : null,
    retryAfterMs: parseRetryAfter(input.retryAfterHeader) ?? retryDelayFromDetails(input.wire),
    secrets: input.secrets,
    kind: input.kind,
  });
}

/** Reads an error answer (non-2xx) and turns it into the failure the client will see. */
export async function readGeminiError(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): Promise<UpstreamFailure> {
  const text = await readErrorText(response, signal, provider);
  return convertGeminiErrorAnswer(response.statusCode, response.headers, text, provider, secrets);
}

/** An error answer (non-2xx) already read, as the failure the client will see. */
export function convertGeminiErrorAnswer(
  status: number,
  headers: UpstreamAnswer['headers'],
  text: string,
  provider: string,
  secrets: (string | undefined)[],
): UpstreamFailure {
  return toGeminiFailure({
    status,
    wire: parseGeminiError(text),
    text,
    provider,
    secrets,
    retryAfterHeader: headers['retry-after'],
    kind: 'http',
  });
}
