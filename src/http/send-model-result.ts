/**
 * Sends what an adapter answered: a whole body, or bytes relayed as they arrive (audio, event streams
 * passed through). A relayed answer that fails after its first bytes ends with the connection cut,
 * which is how a client learns that a binary body is incomplete.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallHandle } from './call-context.js';
import { renderError } from '../errors.js';
import { isByteStreamResult, type ByteStreamResult, type UnaryResult } from '../provider.js';
import { ClientClosed } from '../upstream.js';

export function sendModelResult(
  request: FastifyRequest,
  reply: FastifyReply,
  result: UnaryResult | ByteStreamResult,
  call: CallHandle,
  /** Called once the answer is complete (the router counts the deployment free again). */
  release: () => void = () => {},
): FastifyReply {
  const state = request.gateway;
  if (!isByteStreamResult(result)) {
    state.usage = result.usage ?? state.usage;
    call.dispose();
    release();
    return reply.type(result.contentType).send(result.body);
  }
  state.stream = true;
  async function* relay(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
    const started = performance.now();
    try {
      yield* stream;
    } catch (error) {
      if (!(error instanceof ClientClosed)) request.log.warn({ err: error }, 'relayed answer failed');
      state.errorCode = renderError(error).gatewayCode;
      throw error;
    } finally {
      // Relaying time is upstream time: the overhead is what the gateway spent before it.
      state.upstreamMs += performance.now() - started;
      call.dispose();
      release();
    }
  }
  // Proxies such as nginx buffer answers unless told not to; audio and events must flow.
  reply.type(result.contentType).header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
  return reply.send(Readable.from(relay(result.stream), { objectMode: false }));
}
