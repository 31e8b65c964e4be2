/**
 * Routing strategies: each orders the deployments of one tier, best first. The router tries them in
 * that order and fails over down the list.
 */
import type { Strategy } from '../../schemas/options.js';
import type { Deployment } from './deployment.js';
import type { DeploymentHealth } from './health.js';

export interface Estimate {
  promptTokens: number;
  completionTokens: number;
}

export interface StrategyContext {
  health(deployment: Deployment): DeploymentHealth;
  estimate: Estimate;
  /** Share of picks that go to a random deployment (latency strategy). */
  exploration: number;
  random(): number;
  /** Smooth weighted round-robin state of this route (current weight by deployment id). */
  roundRobin: Map<string, number>;
}

function byPriority(a: Deployment, b: Deployment): number {
  return a.priority - b.priority;
}

/** USD for the estimated tokens at the catalog's prices; unknown prices sort last. */
export function estimatedCost(deployment: Deployment, estimate: Estimate): number {
  const pricing = deployment.model?.pricing;
  if (pricing?.input === undefined || pricing.output === undefined) return Number.POSITIVE_INFINITY;
  return (estimate.promptTokens * pricing.input + estimate.completionTokens * pricing.output) / 1_000_000;
}

/**
 * Smooth weighted round robin (as nginx does it): over any run of picks each deployment gets its
 * share of the weights, evenly interleaved rather than in bursts.
 */
function pickWeighted(deployments: readonly Deployment[], state: Map<string, number>): Deployment {
  let total = 0;
  let best: Deployment | undefined;
  let bestWeight = Number.NEGATIVE_INFINITY;
  for (const deployment of deployments) {
    const current = (state.get(deployment.deploymentId) ?? 0) + deployment.weight;
    state.set(deployment.deploymentId, current);
    total += deployment.weight;
    if (current > bestWeight) {
      bestWeight = current;
      best = deployment;
    }
  }
  state.set(best!.deploymentId, bestWeight - total);
  return best!;
}

export function orderDeployments(
  strategy: Strategy,
  deployments: readonly Deployment[],
  context: StrategyContext,
): Deployment[] {
  if (deployments.length <= 1) return [...deployments];
  switch (strategy) {
    case 'priority':
      return [...deployments].sort(byPriority);
    case 'weighted': {
      const first = pickWeighted(deployments, context.roundRobin);
      const rest = deployments
        .filter((deployment) => deployment !== first)
        .sort((a, b) => b.weight - a.weight);
      return [first, ...rest];
    }
    case 'cost':
      return [...deployments].sort(
        (a, b) => estimatedCost(a, context.estimate) - estimatedCost(b, context.estimate) || byPriority(a, b),
      );
    case 'latency': {
      // Unmeasured deployments first: they need a sample before they can be compared.
      const latency = (deployment: Deployment) => context.health(deployment).latencyMs ?? -1;
      const ordered = [...deployments].sort((a, b) => latency(a) - latency(b) || byPriority(a, b));
      if (context.random() < context.exploration) {
        const index = Math.floor(context.random() * ordered.length);
        const [explored] = ordered.splice(index, 1);
        ordered.unshift(explored!);
      }
      return ordered;
    }
    case 'least-busy':
      return [...deployments].sort(
        (a, b) => context.health(a).inFlight - context.health(b).inFlight || byPriority(a, b),
      );
  }
}
