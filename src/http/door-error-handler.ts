/**
 * The error handler of a door: an inbound API other than OpenAI's answers its errors in its own
 * envelope, and otherwise as the gateway's own handler (src/app.ts) does: the error's catalogue
 * code on the request's state (access log, metrics), the gateway's headers when a model call was
 * tried, 5xx logged (internals with their stack, never sent), the catalogue's headers
 * (`x-gateway-error-code`, `retry-after`). A door registers it in its encapsulated context, so it
 * applies to the door's routes only, errors of their hooks (auth, rate limit) and body parsing
 * included. As there, the models an error suggests are, for a key with an allow-list, only those
 * it may call.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { renderError, type RenderedError } from '../errors.js';
import { setGatewayHeaders } from './gateway-headers.js';

/** What a door answers for a rendered error. */
export interface DoorErrorAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** `reply` is there to read what hooks already set on it (a rate limit's `retry-after`). */
export type RenderDoorError = (
  rendered: RenderedError,
  request: FastifyRequest,
  reply: FastifyReply,
) => DoorErrorAnswer;

export function createDoorErrorHandler(
  render: RenderDoorError,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    const rendered = renderError(error, request.body);
    const allows = request.gateway?.identity?.allowsModel;
    const details = rendered.envelope.error.details;
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
    const answer = render(rendered, request, reply);
    return reply.code(answer.status).headers(rendered.headers).type('application/json').send(answer.body);
  };
}
