/**
 * What the request's state holds of its trace while tracing is on. Only types: the code behind them
 * (src/tracing/gateway-tracing.ts, the OpenTelemetry SDK) is loaded when tracing is configured, so
 * the request path with tracing off never touches it.
 */
import type { Operation } from '../routing/router.js';
import type { AttemptObserver } from '../routing/execute.js';

export interface RequestTrace {
  /** The ids of the request's server span, as written in the access log (hex). */
  readonly traceId: string;
  readonly spanId: string;
  /** Watches the attempts of one model call of this request: one client span per attempt. */
  observeAttempts(operation: Operation | undefined, stream: boolean): AttemptObserver;
}
