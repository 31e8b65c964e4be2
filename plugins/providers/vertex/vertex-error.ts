/**
 * Vertex AI error answers → the gateway's envelope. Vertex itself answers in Google's error format
 * (`{"error": {"code", "message", "status"}}`: quota, permissions, a model not found), read as the
 * Gemini provider reads it; a Claude model's own refusal comes through `rawPredict` in Anthropic's
 * format (`{"type": "error", "error": {"type", "message"}}`), read as the Anthropic provider reads
 * it. A token the credentials could not get is a 401 (the deployment's key is refused: the router
 * fails over), or the token endpoint unreachable.
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429
 * @see https://docs.anthropic.com/en/api/errors
 */
import { readErrorText, toProviderFailure } from '../../../src/provider-toolkit.js';
import { UpstreamFailure, type UpstreamAnswer } from '../../../src/upstream.js';
import { parseAnthropicError, toAnthropicFailure } from '../anthropic/anthropic-error.js';
import { parseGeminiError, toGeminiFailure } from '../gemini/gemini-error.js';

export async function readVertexError(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
): Promise<UpstreamFailure> {
  const text = await readErrorText(response, signal, provider);
  const anthropic = parseAnthropicError(text);
  if (anthropic && anthropic.type === 'error') {
    return toAnthropicFailure({
      status: response.statusCode,
      wire: anthropic,
      text,
      provider,
      secrets,
      headers: response.headers,
      kind: 'http',
    });
  }
  return toGeminiFailure({
    status: response.statusCode,
    wire: parseGeminiError(text),
    text,
    provider,
    secrets,
    retryAfterHeader: response.headers['retry-after'],
    kind: 'http',
  });
}

/** A token request that failed: refused credentials (401), or an endpoint that could not be reached. */
export function tokenFailure(error: unknown, provider: string): UpstreamFailure {
  const status = (error as { response?: { status?: number } }).response?.status;
  const reason = (error as Error).message ?? String(error);
  if (status !== undefined && status >= 400 && status < 500) {
    return toProviderFailure({
      provider,
      status: 401,
      message: `The provider ${provider} could not get an access token: its credentials were refused (${reason}).`,
      code: 'UNAUTHENTICATED',
      secrets: [],
    });
  }
  return new UpstreamFailure('GW_ERR_UPSTREAM_UNREACHABLE', 'connection', {
    message: `The provider ${provider} could not get an access token (${reason}).`,
    cause: error,
  });
}
