/**
 * Model allow-lists: a key configured with `allowedModels` may call a model when the name it asked
 * for matches one of its globs (an alias or a group by its own name), or when every deployment the
 * name resolved to matches by catalog id or `<provider instance>/<upstream model>`: a key allowed
 * `gpt-4o-mini` may use an alias of it, and a key never reaches a model it was not allowed.
 */
import type { FastifyRequest } from 'fastify';
import { GatewayError } from './errors.js';
import type { Target } from './provider.js';

/** A routing plan: its deployments in order, bare or as the router's plan object. */
export type PlanTargets = readonly Target[] | { readonly deployments: readonly Target[] };

export function targetsOf(plan: PlanTargets): readonly Target[] {
  return 'deployments' in plan ? plan.deployments : plan;
}

/** Throws 403 `model_not_allowed` (and logs a security event) when the caller may not use the model. */
export function authorizeModel(request: FastifyRequest, requested: string, plan: PlanTargets): void {
  const identity = request.gateway.identity;
  if (!identity?.allowsModel) return;
  const allows = identity.allowsModel;
  if (allows(requested)) return;
  const targets = targetsOf(plan);
  if (targets.length > 0) {
    let every = true;
    for (const target of targets) {
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
