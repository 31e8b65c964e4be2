/**
 * What every error handler of the gateway does before it writes its API's envelope: render the error
 * from the catalogue (src/errors.ts), keep the models an error suggests to those the caller may use,
 * record the error on the request's state, say what a failed model call tried (the gateway headers),
 * and log what the client is not told. The gateway's own handler (src/app.ts) sends the OpenAI
 * envelope it returns; an inbound API's door maps it onto its own envelope first.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { renderError, type RenderedError } from '../errors.js';
import { setGatewayHeaders } from './gateway-headers.js';

export function prepareErrorReply(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): RenderedError {
  const rendered = renderError(error, request.body);
  const allows = request.gateway?.identity?.allowsModel;
  const details = rendered.envelope.error.details;
  // The models an error suggests are, for a key with an allow-list, only those it may call.
  if (allows && Array.isArray(details?.['available_models'])) {
    rendered.envelope.error.details = {
      ...details,
      available_models: (details['available_models'] as unknown[]).filter(
        (name) => typeof name === 'string' && allows(name),
      ),
    };
  }
  if (request.gateway) {
    request.gateway.errorCode = rendered.gatewayCode;
    // A model call that failed still says what the gateway tried.
    if (request.gateway.attempts > 0) setGatewayHeaders(reply, request.gateway);
  }
  if (rendered.internal) request.log.error({ err: error }, 'unhandled error');
  else if (rendered.status >= 500) {
    request.log.warn(
      { code: rendered.gatewayCode, status: rendered.status },
      rendered.envelope.error.message,
    );
  }
  return rendered;
}
