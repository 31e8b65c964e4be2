/**
 * The handler of an upload route (audio transcriptions and translations, image edits and
 * variations): the form received, its model planned and allowed for the key, the call made — once
 * for a form still arriving, with retries and failover for one received whole — the form closed
 * however the call ends, and the upload's own fault (too large, broken form, client gone) given as
 * the reason, as it explains a failed call best.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { GatewayError } from '../errors.js';
import { authorizeModel } from '../model-access.js';
import type { ByteStreamResult, CallContext, ProviderAdapter, Target, UnaryResult } from '../provider.js';
import type { Operation, Router } from '../routing/router.js';
import { startCall } from './call-context.js';
import { callModel } from './model-call.js';
import { sendModelResult } from './send-model-result.js';

/**
 * Readies an encapsulated plugin for upload routes: the multipart parser, and a parser that leaves
 * any other body unread, so the handler can refuse it with a 400 that says what to send.
 */
export async function acceptMultipartOnly(fastify: FastifyInstance): Promise<void> {
  await fastify.register(multipart);
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
}

/**
 * An `onRequest` hook that refuses a request whose declared length is over `maxBytes` before a byte
 * of its body is read.
 */
export function refuseDeclaredLengthOver(
  maxBytes: number,
  refusal: (declared: number) => GatewayError,
): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const declared = Number(request.headers['content-length']);
    if (declared > maxBytes) throw refusal(declared);
  };
}

/** A form being received. */
export interface IncomingForm<U> {
  /** The model the form names. */
  readonly model: string;
  /** True when the form is streamed as it arrives (it cannot be sent twice). */
  readonly live: boolean;
  /** The upload for one attempt. */
  open(): U;
  /** The upload's own failure, if any. */
  failure(): unknown;
  /** Stops reading the form, discards what the client still sends, removes temporary files. */
  close(): Promise<void>;
}

/** The adapter's method for the route, when the adapter has one. */
export type UploadMethod<U> = (
  adapter: ProviderAdapter,
) =>
  ((upload: U, target: Target, context: CallContext) => Promise<UnaryResult | ByteStreamResult>) | undefined;

export async function callWithUpload<U>(
  router: Router,
  request: FastifyRequest,
  reply: FastifyReply,
  options: {
    operation: Operation;
    requestTimeout: number;
    receive: () => Promise<IncomingForm<U>>;
    method: UploadMethod<U>;
  },
): Promise<FastifyReply> {
  const state = request.gateway;
  const call = startCall(request, reply, options.requestTimeout, state.warnings);
  let incoming: IncomingForm<U>;
  try {
    incoming = await options.receive();
  } catch (error) {
    call.dispose();
    throw error;
  }
  try {
    state.model = incoming.model;
    const plan = router.plan(incoming.model, options.operation);
    authorizeModel(request, incoming.model, plan);
    const answer = await callModel(
      router,
      plan,
      request,
      reply,
      // The plan holds only deployments whose adapter serves this operation.
      (deployment, context) =>
        options.method(deployment.instance.adapter)!(incoming.open(), deployment, context),
      { timeoutMs: options.requestTimeout, once: incoming.live, call },
    );
    await incoming.close();
    return sendModelResult(request, reply, answer.value, answer.call, answer.release);
  } catch (error) {
    call.dispose();
    await incoming.close();
    throw incoming.failure() ?? error;
  }
}
