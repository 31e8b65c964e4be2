/**
 * Hooks that do their work synchronously, in Fastify's callback form. An `async` hook costs a
 * promise and a microtask turn per request even when it awaits nothing; on the hot path, with a
 * handful of hooks per request, that was measurable (docs/performance.md).
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

export function syncHook(
  body: (request: FastifyRequest, reply: FastifyReply) => void,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return (request, reply, done) => {
    try {
      body(request, reply);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
}
