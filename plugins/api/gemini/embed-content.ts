/**
 * `embedContent` and `batchEmbedContents`, whichever provider serves the embedding model: passed
 * through to a Gemini deployment, translated to the internal embeddings request (and its answer
 * back) for the others.
 * @see https://ai.google.dev/api/embeddings
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayOptions } from '../../../schemas/options.js';
import { callModel } from '../../../src/http/model-call.js';
import { authorizeModel } from '../../../src/model-access.js';
import { invalidValue } from '../../../src/provider-toolkit.js';
import type { UnaryResult } from '../../../src/provider.js';
import type { Router } from '../../../src/routing/router.js';
import { convertGeminiEmbedRequests, convertToGeminiEmbeddings } from './convert-gemini-embeddings.js';
import { applyTranslationNotes, callNative, isUnaryResult, speaksGemini } from './gemini-attempt.js';
import type { BatchEmbedContentsRequest, EmbedContentRequest } from './gemini-schemas.js';

export interface EmbedContentOptions {
  readonly router: Router;
  readonly requestTimeout: number;
  readonly unsupportedParameters: GatewayOptions['unsupportedParameters'];
}

export async function serveEmbedContent(
  options: EmbedContentOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  model: string,
  batch: boolean,
): Promise<FastifyReply> {
  const requests = batch
    ? (request.body as BatchEmbedContentsRequest).requests.map((item, index) => ({
        request: item,
        prefix: `requests[${index}].`,
      }))
    : [{ request: request.body as EmbedContentRequest, prefix: '' }];
  // Gemini requires each request to name the model of the URL (a batch is one model's).
  for (const { request: item, prefix } of requests) {
    const named = item.model?.startsWith('models/') ? item.model.slice('models/'.length) : item.model;
    if (named !== undefined && named !== model) {
      throw invalidValue(
        `${prefix}model`,
        `'${prefix}model' (${item.model}) is not the model of the URL (models/${model}).`,
      );
    }
  }
  const state = request.gateway;
  state.model = model;
  const router = options.router;
  const plan = router.plan(model, 'embeddings', { strategy: request.headers['x-gateway-strategy'] });
  authorizeModel(request, model, plan);
  const translation = convertGeminiEmbedRequests(requests, model);
  const operation = batch ? 'batchEmbedContents' : 'embedContent';
  const answer = await callModel(
    router,
    plan,
    request,
    reply,
    async (deployment, context): Promise<UnaryResult> => {
      if (speaksGemini(deployment, operation)) {
        const result = await callNative(deployment, operation, request.body as object, context);
        if (isUnaryResult(result)) return result;
        throw new Error(`${operation} was answered with a stream`);
      }
      applyTranslationNotes(translation.notes, deployment, options.unsupportedParameters, context.warnings);
      // The plan holds only deployments whose adapter serves embeddings.
      const result = await deployment.instance.adapter.embeddings!(translation.request, deployment, context);
      const vectors = convertToGeminiEmbeddings(result.body, requests.length);
      return {
        body: JSON.stringify(batch ? { embeddings: vectors } : { embedding: vectors[0] }),
        contentType: 'application/json; charset=UTF-8',
        usage: result.usage,
        model: result.model,
      };
    },
    { timeoutMs: options.requestTimeout },
  );
  answer.call.dispose();
  answer.release();
  state.usage = answer.value.usage;
  return reply.type(answer.value.contentType).send(answer.value.body);
}
