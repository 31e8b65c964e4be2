/**
 * One model call's lifetime: an AbortController that fires when the client goes away or when
 * REQUEST_TIMEOUT passes, whichever comes first, so the upstream call is cancelled in both cases.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext } from '../provider.js';
import { ClientClosed, DeadlineExceeded } from '../upstream.js';

export interface CallHandle {
  readonly context: CallContext;
  /** Stops the deadline timer and the disconnect watch; call when the response is complete. */
  dispose(): void;
}

export function startCall(
  request: FastifyRequest,
  reply: FastifyReply,
  timeoutMs: number,
  warnings: string[],
  apiKey?: string,
): CallHandle {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeadlineExceeded('REQUEST_TIMEOUT passed')), timeoutMs);
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new ClientClosed('The client closed the connection'));
  };
  reply.raw.once('close', onClose);
  const context: CallContext = {
    signal: controller.signal,
    deadline: Date.now() + timeoutMs,
    log: request.log,
    requestId: request.id,
    warnings,
    // The client's own provider key, when it brought one (plugins/auth.ts), is used for this call only.
    apiKey: apiKey ?? request.gateway?.providerApiKey,
    mediaScope: { signal: controller.signal },
  };
  return {
    context,
    dispose() {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
    },
  };
}
