/**
 * The semantic cache's embedding call: the question's text sent to the configured embedding model
 * through the gateway's own catalog and router (any provider that serves embeddings, retries and
 * failover included), bounded by a short time limit. It never fails the request: a refusal, an
 * error, an unreadable answer or the time limit passing all give `undefined`, and the lookup is a
 * plain miss.
 */
import type { FastifyRequest } from 'fastify';
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import { pricingOf } from '../../catalog.js';
import type { CallContext, UnaryResult, Usage } from '../../provider.js';
import type { Deployment } from '../../routing/deployment.js';
import type { Router } from '../../routing/router.js';
import { DeadlineExceeded } from '../../upstream.js';
import { normalizeVector } from './vectors.js';

export interface EmbeddedQuestion {
  readonly vector: Float32Array;
  readonly usage: Usage | undefined;
  /** The deployment that embedded it (its catalog entry prices the usage). */
  readonly deployment: Deployment;
}

export type EmbeddingOutcome =
  | { readonly ok: true; readonly question: EmbeddedQuestion }
  | { readonly ok: false; readonly reason: 'timeout' | 'error' | 'unreadable' | 'unpriced' };

export async function embedQuestion(
  router: Router,
  model: string,
  text: string,
  request: FastifyRequest,
  timeoutMs: number,
): Promise<EmbeddingOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new DeadlineExceeded('The semantic cache embedding time limit passed'));
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    let plan = router.plan(model, 'embeddings');
    // A key with a budget is charged by price: only priced deployments may embed for it.
    if (request.gateway.identity?.budget) {
      const deployments = plan.deployments.filter((deployment) => pricingOf(deployment) !== undefined);
      if (deployments.length === 0) return { ok: false, reason: 'unpriced' };
      plan = { ...plan, deployments };
    }
    const context: CallContext = {
      signal: controller.signal,
      deadline: Date.now() + timeoutMs,
      log: request.log,
      requestId: request.id,
      warnings: [],
    };
    const body: EmbeddingsRequest = { model, input: text, encoding_format: 'float' };
    const pending = router.execute(
      plan,
      (deployment, handle) =>
        // The plan holds only deployments whose adapter serves embeddings.
        deployment.instance.adapter.embeddings!(body, deployment, { ...context, signal: handle.signal }),
      context,
    );
    const settled = await Promise.race([pending, timedOut]);
    if (settled === 'timeout') {
      // An answer that comes after all still frees its deployment's slot.
      pending.then(
        (late) => late.release(),
        () => {},
      );
      return { ok: false, reason: 'timeout' };
    }
    settled.release();
    const vector = readVector(settled.value);
    if (!vector) return { ok: false, reason: 'unreadable' };
    return { ok: true, question: { vector, usage: settled.value.usage, deployment: settled.deployment } };
  } catch (error) {
    request.log.debug({ err: error }, 'semantic cache: embedding call failed');
    return { ok: false, reason: controller.signal.aborted ? 'timeout' : 'error' };
  } finally {
    clearTimeout(timer);
  }
}

/** The first embedding of an OpenAI embeddings answer, as a unit vector. */
function readVector(result: UnaryResult): Float32Array | undefined {
  let parsed: { data?: { embedding?: unknown }[] };
  try {
    parsed = JSON.parse(typeof result.body === 'string' ? result.body : result.body.toString('utf8')) as {
      data?: { embedding?: unknown }[];
    };
  } catch {
    return undefined;
  }
  const embedding = Array.isArray(parsed.data) ? parsed.data[0]?.embedding : undefined;
  if (Array.isArray(embedding)) {
    if (embedding.length === 0 || embedding.some((value) => typeof value !== 'number')) return undefined;
    return normalizeVector(embedding as number[]);
  }
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
    const floats = new Float32Array(bytes.length / 4);
    new Uint8Array(floats.buffer).set(bytes);
    return normalizeVector(floats);
  }
  return undefined;
}
