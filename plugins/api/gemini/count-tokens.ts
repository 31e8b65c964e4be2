/**
 * `countTokens`: Gemini's own count when the model's first deployment speaks Gemini (passed through,
 * failing over among such deployments only), an estimate otherwise (count-gemini-tokens.ts). The
 * `x-gateway-token-count` header says which: `provider` or `estimated`.
 * @see https://ai.google.dev/api/tokens
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callModel } from '../../../src/http/model-call.js';
import { authorizeModel } from '../../../src/model-access.js';
import { invalidValue } from '../../../src/provider-toolkit.js';
import type { UnaryResult } from '../../../src/provider.js';
import type { Router } from '../../../src/routing/router.js';
import { estimateGeminiTokens } from './count-gemini-tokens.js';
import { callNative, isUnaryResult, speaksGemini } from './gemini-attempt.js';
import type { CountTokensRequest } from './gemini-schemas.js';

export const TOKEN_COUNT_HEADER = 'x-gateway-token-count';

export interface CountTokensOptions {
  readonly router: Router;
  readonly requestTimeout: number;
}

export async function serveCountTokens(
  options: CountTokensOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  model: string,
): Promise<FastifyReply> {
  const body = request.body as CountTokensRequest;
  if ((body.contents === undefined) === (body.generateContentRequest === undefined)) {
    throw invalidValue(
      'contents',
      "Send either 'contents' or 'generateContentRequest', not both or neither.",
    );
  }
  const state = request.gateway;
  state.model = model;
  const plan = options.router.plan(model, 'chat', { strategy: request.headers['x-gateway-strategy'] });
  authorizeModel(request, model, plan);
  const first = plan.deployments[0];
  if (!first || !speaksGemini(first, 'countTokens')) {
    const totalTokens = await estimateGeminiTokens(body, first?.model?.tokenizer);
    return reply.header(TOKEN_COUNT_HEADER, 'estimated').send({ totalTokens });
  }
  const answer = await callModel(
    options.router,
    {
      ...plan,
      deployments: plan.deployments.filter((deployment) => speaksGemini(deployment, 'countTokens')),
    },
    request,
    reply,
    async (deployment, context): Promise<UnaryResult> => {
      const result = await callNative(deployment, 'countTokens', body, context);
      if (isUnaryResult(result)) return result;
      throw new Error('countTokens was answered with a stream');
    },
    { timeoutMs: options.requestTimeout },
  );
  answer.call.dispose();
  answer.release();
  return reply.header(TOKEN_COUNT_HEADER, 'provider').type(answer.value.contentType).send(answer.value.body);
}
