/**
 * OpenAI error answers → the gateway's envelope: the upstream status, message, param and code are
 * kept; the type becomes `provider_error`; our keys are scrubbed from the message.
 * @see https://platform.openai.com/docs/guides/error-codes
 */
import type { Dispatcher } from 'undici';
import { UpstreamFailure, parseRetryAfter, readBody, scrubSecrets } from '../../../src/upstream.js';
import type { OpenAIErrorWire } from './openai-api.js';

export async function readOpenAIError(
  response: Dispatcher.ResponseData,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): Promise<UpstreamFailure> {
  const status = response.statusCode;
  let wire: OpenAIErrorWire | undefined;
  let text = '';
  try {
    text = (await readBody(response, signal, provider, 1024 * 1024)).toString('utf8');
    wire = JSON.parse(text) as OpenAIErrorWire;
  } catch {
    wire = undefined;
  }
  const upstream = wire && typeof wire.error === 'object' && wire.error ? wire.error : undefined;
  const message = scrubSecrets(
    upstream?.message ||
      `The provider ${provider} answered HTTP ${status}${text && !upstream ? `: ${text.slice(0, 200)}` : ''}.`,
    secrets,
  );
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  const headers: Record<string, string> = {};
  if (retryAfterMs !== null) headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
  // A status that is not an HTTP error (a 1xx or 3xx we do not follow) is the provider misbehaving.
  const clientStatus = status >= 400 && status <= 599 ? status : 502;
  return new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'http', {
    status: clientStatus,
    message,
    param: upstream?.param ?? null,
    code: upstream?.code === undefined || upstream.code === null ? null : String(upstream.code),
    headers,
    upstreamStatus: status,
    retryAfterMs,
  });
}
