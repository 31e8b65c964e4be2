/**
 * Azure OpenAI's error answers: OpenAI's shape, plus the refusals of its content filters, which are
 * the gateway's `content_filter` error (400, `GW_ERR_CONTENT_FILTERED`) with Azure's filter results
 * in `details`, never a provider error.
 *
 *   400 {"error":{"code":"content_filter","param":"prompt","message":"The response was filtered ...",
 *        "innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{...}}}}
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter
 */
import { UpstreamFailure, scrubSecrets } from '../../../src/upstream.js';
import { convertOpenAIError, parseOpenAIError, type OpenAIErrorAnswer } from '../openai/openai-error.js';

interface AzureErrorWire {
  error?: {
    message?: unknown;
    param?: unknown;
    code?: unknown;
    innererror?: {
      code?: unknown;
      /** As Azure answers (singular); its REST specification names it `content_filter_results`. */
      content_filter_result?: unknown;
      content_filter_results?: unknown;
    } | null;
  } | null;
}

export function convertAzureOpenAIError(answer: OpenAIErrorAnswer): UpstreamFailure {
  const error = (parseOpenAIError(answer.text) as AzureErrorWire | undefined)?.error;
  const inner = error?.innererror;
  const filtered =
    answer.status === 400 &&
    (error?.code === 'content_filter' || inner?.code === 'ResponsibleAIPolicyViolation');
  if (!filtered) return convertOpenAIError(answer);
  const message =
    typeof error?.message === 'string'
      ? scrubSecrets(error.message, answer.secrets)
      : `The content filters of the provider ${answer.provider} refused this request.`;
  const results = inner?.content_filter_result ?? inner?.content_filter_results;
  return new UpstreamFailure('GW_ERR_CONTENT_FILTERED', 'http', {
    message,
    param: typeof error?.param === 'string' ? error.param : null,
    upstreamStatus: answer.status,
    details: {
      provider: answer.provider,
      ...(typeof inner?.code === 'string' ? { reason: inner.code } : {}),
      ...(results !== undefined ? { content_filter_result: results } : {}),
    },
  });
}
