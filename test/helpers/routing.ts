import type { LoadedConfig } from '../../src/config.js';

/**
 * For tests of one deployment's pass-through behaviour: no retries and a circuit that never opens,
 * so each scripted upstream answer reaches the client as it is.
 */
export function passThroughOnly(config: LoadedConfig): void {
  config.gateway.routing.retries.maxRetries = 0;
  config.gateway.routing.circuitBreaker.consecutiveFailures = 1_000_000;
  config.gateway.routing.circuitBreaker.minimumRequests = 1_000_000;
}
