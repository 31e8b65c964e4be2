/**
 * What the gateway knows of one request while it is served (`request.gateway`): who called, what was
 * asked, what answered, usage, timings. Set up by plugins/request-state.ts, filled by the routes and
 * the call runner, read by the access log, metrics and usage.
 */
import { performance } from 'node:perf_hooks';
import type { Identity } from '../identity.js';
import type { Usage } from '../provider.js';
import type { Deployment } from '../routing/deployment.js';
import type { RequestTrace } from '../tracing/request-trace.js';
import type { StreamedText } from './streamed-characters.js';

export interface RequestState {
  readonly startedAt: number;
  identity: Identity | null;
  /** A provider key the client brought for this request (bring-your-own-key); never logged or cached. */
  providerApiKey: string | undefined;
  /** The model the client asked for. */
  model: string | null;
  /** The upstream model that answered, and where. */
  answeredModel: string | null;
  provider: string | null;
  deploymentId: string | null;
  /** The deployment that answered (its catalog entry prices the usage). */
  deployment: Deployment | null;
  /** Streams: time from the request to the first event, ms. */
  timeToFirstByteMs: number | null;
  attempts: number;
  /** Time spent waiting on upstreams, ms; the rest of the latency is the gateway's overhead. */
  upstreamMs: number;
  usage: Usage | undefined;
  cache: 'HIT' | 'MISS' | 'BYPASS' | null;
  stream: boolean;
  warnings: string[];
  errorCode: string | null;
  /** The answer as sent, kept only when bodies are logged (debug). */
  loggedResponse?: string;
  /**
   * What the prompt is likely to cost in tokens (from its length), for a request that ends before
   * its provider reported usage.
   */
  promptTokensEstimate: number;
  /** Characters of text and tool arguments streamed so far, to estimate a cut stream's completion. */
  streamedCharacters: number;
  /** A stream's events not yet counted in `streamedCharacters`, counted only if needed. */
  streamedText: StreamedText | null;
  /**
   * The usage is recorded after the request, when the work it started ends (a background response
   * of the Responses API, plugins/api/responses/background-usage.ts): the request estimates none.
   */
  usageFollows?: boolean;
  /**
   * The request became a session (a WebSocket, plugins/api/realtime/): its end is the session's,
   * which accounts and logs itself; the request's own end is not accounted.
   */
  detached?: boolean;
  /** Set once, when the request ends (plugins/request-state.ts). */
  outcome: RequestOutcome | null;
  /** The request's trace while tracing is on (plugins/tracing.ts), else null. */
  trace: RequestTrace | null;
}

/**
 * How a request ended, whatever ended it: answered (`completed`), refused before or by a provider
 * (`rejected`, `upstream_error`, `timeout`), or left by its client (`client_closed`).
 */
export type RequestOutcome = 'completed' | 'rejected' | 'upstream_error' | 'timeout' | 'client_closed';

declare module 'fastify' {
  interface FastifyRequest {
    gateway: RequestState;
  }
}

export function overheadMs(state: RequestState, now = performance.now()): number {
  return Math.max(0, now - state.startedAt - state.upstreamMs);
}
