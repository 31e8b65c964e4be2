/** The Router over many requests with a hand-moved clock: latency-based routing adapts and recovers. */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../../src/catalog.js';
import { Router } from '../../../src/routing/router.js';
import { ManualClock, instance, routingOptions } from '../../helpers/deployments.js';

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

describe('plans by what each adapter serves', () => {
  const chatOnly = { ...instance('chat-only'), adapter: { type: 'fake', chatParameters: 'all' } } as never;
  const full = {
    ...instance('full'),
    adapter: { type: 'fake', chatParameters: 'all', embeddings: async () => ({}) },
  } as never;
  const instances = [chatOnly, full] as { id: string }[];
  const router = new Router(
    new Catalog([{ id: 'e', provider: 'full', type: 'embeddings' }]),
    { get: (id) => instances.find((each) => each.id === id) as never, configured: () => instances as never },
    routingOptions({
      models: {
        'e-everywhere': {
          deployments: [
            { provider: 'chat-only', model: 'e' },
            { provider: 'full', model: 'e' },
          ],
        },
        'e-chat-only': { deployments: [{ provider: 'chat-only', model: 'e' }] },
      },
    }),
    new ManualClock(),
  );

  it('leaves out deployments whose adapter cannot serve the request', () => {
    const plan = router.plan('e-everywhere', 'embeddings');
    expect(plan.deployments.map((each) => each.deploymentId)).toEqual(['full/e']);
  });

  it('refuses with a 400 naming the provider when no deployment can serve it', () => {
    expect(() => router.plan('e-chat-only', 'embeddings')).toThrow(
      "The model 'e-chat-only' is served by 'chat-only', which does not serve embeddings.",
    );
  });
});
