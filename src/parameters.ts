/**
 * Design rule 9: a request parameter the serving model or provider cannot honour is never changed
 * silently. By configuration it is dropped, with a warning the client sees in `x-gateway-warnings`,
 * or the request is refused with a 400 naming it.
 */
import type { ChatCompletionRequest } from '../schemas/chat.js';
import type { GatewayOptions } from '../schemas/options.js';
import { GatewayError } from './errors.js';
import type { Target } from './provider.js';

// Parameters every adapter must accept: they are how the gateway itself is addressed.
const ALWAYS = new Set(['model', 'messages', 'stream']);

export function applyParameterPolicy(
  request: ChatCompletionRequest,
  target: Target,
  supported: ReadonlySet<string> | 'all',
  policy: GatewayOptions['unsupportedParameters'],
  warnings: string[],
): ChatCompletionRequest {
  const refusedByModel = target.model?.unsupported_parameters ?? [];
  if (supported === 'all' && refusedByModel.length === 0) return request;

  let unsupported: string[] | undefined;
  for (const key in request) {
    const value = (request as Record<string, unknown>)[key];
    if (value === undefined || value === null || ALWAYS.has(key)) continue;
    if ((supported !== 'all' && !supported.has(key)) || refusedByModel.includes(key)) {
      (unsupported ??= []).push(key);
    }
  }
  if (!unsupported) return request;

  const where = target.model ? `model '${target.model.id}'` : `'${target.deploymentId}'`;
  if (policy === 'reject') {
    const [first] = unsupported;
    throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
      message: `Unsupported parameter${unsupported.length > 1 ? 's' : ''}: ${unsupported.map((key) => `'${key}'`).join(', ')} ${unsupported.length > 1 ? 'are' : 'is'} not supported by ${where}. Remove ${unsupported.length > 1 ? 'them' : 'it'} from the request.`,
      param: first ?? null,
    });
  }
  const copy = { ...request } as Record<string, unknown>;
  for (const key of unsupported) {
    delete copy[key];
    warnings.push(`dropped unsupported parameter '${key}' for ${where}`);
  }
  return copy as ChatCompletionRequest;
}
