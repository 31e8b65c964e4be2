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

/**
 * Drops (with a warning) or refuses the parameters of `request` the target does not honour.
 * `names` gives a parameter the name the client used for it, when the request was converted from
 * another API (a door's `stop_sequences` became `stop`): messages and `param` then speak the
 * client's terms.
 */
export function applyParameterPolicy(
  request: ChatCompletionRequest,
  target: Target,
  supported: ReadonlySet<string> | 'all',
  policy: GatewayOptions['unsupportedParameters'],
  warnings: string[],
  /**
   * How the client named each chat field, for a door whose API calls it something else (the
   * Responses API's `max_output_tokens` is chat's `max_completion_tokens`): warnings and errors
   * then name the field the client sent.
   */
  clientNames?: Readonly<Record<string, string>>,
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

  refuseOrDropParameters(
    unsupported.map((key) => ({ param: clientNames?.[key] ?? key })),
    target,
    policy,
    warnings,
  );
  const copy = { ...request } as Record<string, unknown>;
  for (const key of unsupported) delete copy[key];
  return copy as ChatCompletionRequest;
}

/** A parameter (or one value of it) the serving model cannot honour. */
export interface UnsupportedParameter {
  /** The request field, as `param` of the error. */
  readonly param: string;
  /** How messages name it when that is not just the field (`timestamp_granularities[]=word`). */
  readonly label?: string;
}

/**
 * The policy for parameters an adapter found it cannot honour (adapters that translate a request
 * the route cannot read ahead, such as a multipart form): with `reject` a 400 naming the first,
 * else a warning for each, and the caller leaves them out.
 */
export function refuseOrDropParameters(
  unsupported: readonly UnsupportedParameter[],
  target: Target,
  policy: GatewayOptions['unsupportedParameters'],
  warnings: string[],
): void {
  if (unsupported.length === 0) return;
  const where = target.model ? `model '${target.model.id}'` : `'${target.deploymentId}'`;
  const names = unsupported.map((entry) => entry.label ?? entry.param);
  if (policy === 'reject') {
    const many = names.length > 1;
    throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
      message: `Unsupported parameter${many ? 's' : ''}: ${names.map((name) => `'${name}'`).join(', ')} ${many ? 'are' : 'is'} not supported by ${where}. Remove ${many ? 'them' : 'it'} from the request.`,
      param: unsupported[0]!.param,
    });
  }
  for (const name of names) warnings.push(`dropped unsupported parameter '${name}' for ${where}`);
}
