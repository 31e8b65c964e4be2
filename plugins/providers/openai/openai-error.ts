/**
 * OpenAI error answers → the gateway's envelope: the upstream status, message, param and code are
 * kept; the type becomes `provider_error`; our keys are scrubbed from the message.
 * @see https://platform.openai.com/docs/guides/error-codes
 */
import { readErrorText, toProviderFailure } from '../../../src/provider-toolkit.js';
import type { UpstreamFailure, UpstreamAnswer } from '../../../src/upstream.js';
import type { OpenAIErrorWire } from './openai-api.js';

/** An error answer as read: its status, headers and body text. */
export interface OpenAIErrorAnswer {
  readonly status: number;
  readonly headers: UpstreamAnswer['headers'];
  readonly text: string;
  readonly provider: string;
  /** Keys the gateway holds, scrubbed from anything the client will read. */
  readonly secrets: (string | undefined)[];
}

/** The body as OpenAI's error shape, or undefined when it is not JSON. */
export function parseOpenAIError(text: string): OpenAIErrorWire | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as OpenAIErrorWire) : undefined;
  } catch {
    return undefined;
  }
}

export function convertOpenAIError(answer: OpenAIErrorAnswer): UpstreamFailure {
  const wire = parseOpenAIError(answer.text);
  const upstream = wire && typeof wire.error === 'object' && wire.error ? wire.error : undefined;
  return toProviderFailure({
    provider: answer.provider,
    status: answer.status,
    message: upstream?.message,
    text: answer.text,
    param: upstream?.param ?? null,
    code: upstream?.code === undefined || upstream.code === null ? null : String(upstream.code),
    retryAfterHeader: answer.headers['retry-after'],
    secrets: answer.secrets,
  });
}

/** Reads an error answer (at most 1 MB) and converts it with `convert` (OpenAI's reading by default). */
export async function readOpenAIError(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
  convert: (answer: OpenAIErrorAnswer) => UpstreamFailure = convertOpenAIError,
): Promise<UpstreamFailure> {
  const text = await readErrorText(response, signal, provider);
  return convert({ status: response.statusCode, headers: response.headers, text, provider, secrets });
}
