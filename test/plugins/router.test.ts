/** The Router over many requests with a hand-moved clock: latency-based routing adapts and recovers. */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog.js';
import { Router } from '../../plugins/routing.js';
import { ManualClock, instance, routingOptions } from '../helpers/deployments.js';

describe('latency strategy over time', () => {
  it('moves away from a deployment that slows down, and back after it recovers', async () => {
    const clock = new ManualClock();
    let draws = 0;
    // Deterministic randomness: every 20th draw is an exploration.
    clock.random = () => (draws++ % 20 === 0 ? 0.01 : 0.6);
    const instances = [instance('east'), instance('west')];
    const router = new Router(
      new Catalog([{ id: 'm', provider: 'east' }]),
      { get: (id) => instances.find((each) => each.id === id), configured: () => instances },
      routingOptions({
        strategy: 'latency',
        latency: { smoothing: 0.3, exploration: 0.05 },
        models: { m: { deployments: [{ provider: 'east' }, { provider: 'west' }] } },
      }),
      clock,
    );
    const latency: Record<string, number> = { east: 50, west: 200 };
    const served: string[] = [];
    async function send(count: number) {
      for (let index = 0; index < count; index++) {
        const plan = router.plan('m', 'chat');
        const result = await router.execute(
          plan,
          async (deployment) => {
            clock.time += latency[deployment.instance.id]!;
            return deployment.instance.id;
          },
          { signal: new AbortController().signal, deadline: clock.time + 60_000 },
        );
        result.release();
        served.push(result.value);
      }
    }
    const share = (from: number, id: string) =>
      served.slice(from).filter((each) => each === id).length / (served.length - from);

    await send(100);
    expect(share(10, 'east')).toBeGreaterThan(0.85);

    latency['east'] = 500; // east slows down
    const slowed = served.length;
    await send(100);
    expect(share(slowed + 20, 'west')).toBeGreaterThan(0.85);

    latency['east'] = 20; // east recovers: exploration notices it
    const recovered = served.length;
    await send(150);
    expect(share(recovered + 100, 'east')).toBeGreaterThan(0.85);
  });
});
