/**
 * Model allow-lists: a key configured with `allowedModels` may call a model when the name it asked
 * for matches one of its globs (an alias or a group by its own name), or when every deployment the
 * name resolved to matches by catalog id or `<provider instance>/<upstream model>`: a key allowed
 * `gpt-4o-mini` may use an alias of it, and a key never reaches a model it was not allowed.
 */
import type { FastifyRequest } from 'fastify';
import { GatewayError } from './errors.js';
import type { Target } from './provider.js';

/** Throws 403 `model_not_allowed` (and logs a security event) when the caller may not use the model. */
export function authorizeModel(request: FastifyRequest, requested: string, plan: readonly Target[]): void {
  const identity = request.gateway.identity;
  if (!identity?.allowsModel) return;
  const allows = identity.allowsModel;
  if (allows(requested)) return;
  if (plan.length > 0) {
    let every = true;
    for (const target of plan) {
      const catalogId = target.model?.id;
      if (!((catalogId !== undefined && allows(catalogId)) || allows(target.deploymentId))) {
        every = false;
        break;
      }
    }
    if (every) return;
  }
  request.log.warn(
    { event: 'auth_failure', reason: 'model_forbidden', key: identity.id, model: requested },
    'security event',
  );
  throw new GatewayError('GW_ERR_AUTH_MODEL_FORBIDDEN', {
    message: `This API key may not use the model '${requested}'.`,
    param: 'model',
  });
}
