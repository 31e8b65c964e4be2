/**
 * OpenAI error answers → the gateway's envelope: the upstream status, message, param and code are
 * kept; the type becomes `provider_error`; our keys are scrubbed from the message.
 * @see https://platform.openai.com/docs/guides/error-codes
 */
import type { Dispatcher } from 'undici';
import { readErrorText, toProviderFailure } from '../../../src/provider-toolkit.js';
import type { UpstreamFailure } from '../../../src/upstream.js';
import type { OpenAIErrorWire } from './openai-api.js';

export async function readOpenAIError(
  response: Dispatcher.ResponseData,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): Promise<UpstreamFailure> {
  const text = await readErrorText(response, signal, provider);
  let wire: OpenAIErrorWire | undefined;
  try {
    wire = JSON.parse(text) as OpenAIErrorWire;
  } catch {
    wire = undefined;
  }
  const upstream = wire && typeof wire.error === 'object' && wire.error ? wire.error : undefined;
  return toProviderFailure({
    provider,
    status: response.statusCode,
    message: upstream?.message,
    text,
    param: upstream?.param ?? null,
    code: upstream?.code === undefined || upstream.code === null ? null : String(upstream.code),
    retryAfterHeader: response.headers['retry-after'],
    secrets,
  });
}
