/**
 * A store key as the gateway's identity: the key's own allow-list, limits, budget and BYOK
 * permission, with its team's on top (a model must be allowed by both; the team's budget is
 * checked beside the key's). A key without limits of its own takes its team's, and then counts
 * against counters the team's keys share.
 *
 * An identity compiles its model globs, so it is made once per key look-up, not per request: the
 * key cache hands back the same match while it holds it, and identities are kept per match.
 */
import { createIdentity, type Identity } from '../identity.js';
import type { KeyMatch, RateLimits } from './store.js';

const identities = new WeakMap<KeyMatch, Identity>();

function hasLimits(limits: RateLimits | null): limits is RateLimits {
  return limits !== null && Object.values(limits).some((value) => value !== undefined);
}

export function identityOfKeyMatch(match: KeyMatch): Identity {
  let identity = identities.get(match);
  if (identity) return identity;
  const { key, team } = match;
  const teamLimits = team !== null && !hasLimits(key.rateLimits) && hasLimits(team.rateLimits);
  identity = createIdentity({
    id: key.id,
    kind: 'store',
    name: key.name,
    allowedModels: key.allowedModels ?? undefined,
    teamAllowedModels: team?.allowedModels ?? undefined,
    rateLimits: teamLimits ? team.rateLimits! : (key.rateLimits ?? undefined),
    limitScope: teamLimits ? `store-team:${team.id}` : undefined,
    budget: key.budget ?? undefined,
    byok: key.byok,
    teamId: key.teamId,
    teamBudget: team?.budget ?? undefined,
  });
  identities.set(match, identity);
  return identity;
}
