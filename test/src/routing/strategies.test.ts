import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../../schemas/options.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { DeploymentHealth } from '../../../src/routing/health.js';
import { orderDeployments, type StrategyContext } from '../../../src/routing/strategies.js';
import { HEALTH, catalogModel, deployment } from '../../helpers/deployments.js';

function context(
  overrides: Partial<StrategyContext> = {},
  healths = new Map<string, DeploymentHealth>(),
): StrategyContext {
  return {
    health: (target: Deployment) => {
      let health = healths.get(target.deploymentId);
      if (!health)
        healths.set(target.deploymentId, (health = new DeploymentHealth(target.deploymentId, HEALTH)));
      return health;
    },
    estimate: { promptTokens: 1000, completionTokens: 500 },
    exploration: 0,
    random: Math.random,
    roundRobin: new Map(),
    ...overrides,
  };
}

const ids = (deployments: Deployment[]) => deployments.map((each) => each.deploymentId);

describe('routing strategies', () => {
  const a = deployment('a/m', { priority: 2, weight: 1 });
  const b = deployment('b/m', { priority: 0, weight: 3 });
  const c = deployment('c/m', { priority: 1, weight: 1 });

  it('priority: lowest priority first, in config order on ties', () => {
    expect(ids(orderDeployments('priority', [a, b, c], context()))).toEqual(['b/m', 'c/m', 'a/m']);
  });

  it('weighted: over many picks each deployment gets its share, evenly interleaved', () => {
    const shared = context();
    const firsts: string[] = [];
    for (let index = 0; index < 5000; index++)
      firsts.push(orderDeployments('weighted', [a, b, c], shared)[0]!.deploymentId);
    const count = (id: string) => firsts.filter((first) => first === id).length;
    expect(count('b/m') / 5000).toBeCloseTo(0.6, 2);
    expect(count('a/m') / 5000).toBeCloseTo(0.2, 2);
    expect(count('c/m') / 5000).toBeCloseTo(0.2, 2);
    // Smooth: b never runs more than three times in a row.
    expect(firsts.join(',')).not.toContain('b/m,b/m,b/m,b/m');
    // The others follow as failover, heaviest first.
    expect(orderDeployments('weighted', [a, b, c], shared)).toHaveLength(3);
  });

  it('cost: the cheapest deployment for this request first; unknown prices last', () => {
    const cheap = deployment('x/mini', {
      model: catalogModel({ id: 'mini', provider: 'x', pricing: { input: 0.15, output: 0.6 } }),
    });
    const pricey = deployment('y/big', {
      model: catalogModel({ id: 'big', provider: 'y', pricing: { input: 2.5, output: 10 } }),
    });
    const unknown = deployment('z/own');
    expect(ids(orderDeployments('cost', [unknown, pricey, cheap], context()))).toEqual([
      'x/mini',
      'y/big',
      'z/own',
    ]);
    // Input-heavy and output-heavy requests can rank differently.
    const inputCheap = deployment('p/in', {
      model: catalogModel({ id: 'in', provider: 'p', pricing: { input: 0.1, output: 20 } }),
    });
    const outputCheap = deployment('q/out', {
      model: catalogModel({ id: 'out', provider: 'q', pricing: { input: 5, output: 0.1 } }),
    });
    const long = context({ estimate: { promptTokens: 100_000, completionTokens: 10 } });
    const chatty = context({ estimate: { promptTokens: 10, completionTokens: 100_000 } });
    expect(ids(orderDeployments('cost', [outputCheap, inputCheap], long))[0]).toBe('p/in');
    expect(ids(orderDeployments('cost', [inputCheap, outputCheap], chatty))[0]).toBe('q/out');
  });

  it('latency: lowest moving average first, unmeasured ones before, with a share of exploration', () => {
    const healths = new Map<string, DeploymentHealth>();
    const fast = deployment('f/m');
    const slow = deployment('s/m');
    const fresh = deployment('n/m');
    const ctx = context({}, healths);
    ctx.health(fast).recordSuccess(0, 50);
    ctx.health(slow).recordSuccess(0, 900);
    expect(ids(orderDeployments('latency', [slow, fast], ctx))).toEqual(['f/m', 's/m']);
    expect(ids(orderDeployments('latency', [slow, fast, fresh], ctx))[0]).toBe('n/m');

    const sequence = [0.01, 0.99]; // explore, then pick the last (slowest)
    const exploring = context({ exploration: 0.05, random: () => sequence.shift() ?? 0.5 }, healths);
    expect(ids(orderDeployments('latency', [fast, slow], exploring))[0]).toBe('s/m');
  });

  it('least-busy: fewest requests in flight first', () => {
    const healths = new Map<string, DeploymentHealth>();
    const ctx = context({}, healths);
    ctx.health(a).acquire();
    ctx.health(a).acquire();
    ctx.health(b).acquire();
    expect(ids(orderDeployments('least-busy', [a, b, c], ctx))).toEqual(['c/m', 'b/m', 'a/m']);
  });

  it.each(['priority', 'weighted', 'cost', 'latency', 'least-busy'] as Strategy[])(
    '%s keeps every deployment exactly once',
    (strategy) => {
      expect(ids(orderDeployments(strategy, [a, b, c], context())).sort()).toEqual(['a/m', 'b/m', 'c/m']);
    },
  );
});
