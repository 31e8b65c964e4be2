/**
 * What the router knows about one deployment: its circuit breaker, a 429 cool-down, a refused key,
 * requests in flight, and the moving average of its time to first byte. Pure state with an
 * injected clock, so every transition is tested without waiting.
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface HealthSettings {
  consecutiveFailures: number;
  failureRate: number;
  minimumRequests: number;
  windowMs: number;
  cooldownMs: number;
  badKeyCooldownMs: number;
  /** Weight of the newest latency sample (EWMA). */
  smoothing: number;
}

export type Unavailability = 'circuit_open' | 'probe_in_flight' | 'cooling_down' | 'key_refused';

export interface Availability {
  available: boolean;
  reason?: Unavailability;
  /** When it may be tried again (epoch ms), for Retry-After. */
  retryAt?: number;
}

export interface FailureReport {
  /** Counts against the circuit (5xx, connection, timeout, unreadable answer). */
  breaker: boolean;
  /** A 429: stay out for this long (ms). */
  coolDownMs?: number;
  /** A 401/403: the key is refused. */
  keyRefused?: boolean;
  status: number | null;
  message: string;
}

const BUCKETS = 20;

export class DeploymentHealth {
  state: CircuitState = 'closed';
  inFlight = 0;
  /** Exponentially weighted moving average of time to first byte, ms; null until measured. */
  latencyMs: number | null = null;
  lastError: { message: string; status: number | null; at: number } | null = null;
  lastSuccessAt: number | null = null;
  #consecutiveFailures = 0;
  #openedAt = 0;
  #probeInFlight = false;
  #coolingUntil = 0;
  #keyRefusedUntil = 0;
  // Outcomes over the sliding window, in BUCKETS buckets so memory does not grow with traffic.
  readonly #bucketStart = new Array<number>(BUCKETS).fill(0);
  readonly #bucketOk = new Array<number>(BUCKETS).fill(0);
  readonly #bucketFailed = new Array<number>(BUCKETS).fill(0);

  constructor(
    readonly id: string,
    private readonly settings: HealthSettings,
    /** Whether the deployment serves a catalog model (ad hoc `<provider>/<model>` ones do not). */
    readonly known = true,
  ) {}

  availability(now: number): Availability {
    if (this.#keyRefusedUntil > now)
      return { available: false, reason: 'key_refused', retryAt: this.#keyRefusedUntil };
    if (this.#coolingUntil > now)
      return { available: false, reason: 'cooling_down', retryAt: this.#coolingUntil };
    if (this.state === 'open') {
      const retryAt = this.#openedAt + this.settings.cooldownMs;
      if (now < retryAt) return { available: false, reason: 'circuit_open', retryAt };
      this.state = 'half_open';
    }
    if (this.state === 'half_open' && this.#probeInFlight) {
      return { available: false, reason: 'probe_in_flight', retryAt: now + 1000 };
    }
    return { available: true };
  }

  /** Takes a slot for one attempt; in half-open state the single probe. */
  acquire(): void {
    this.inFlight++;
    if (this.state === 'half_open') this.#probeInFlight = true;
  }

  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  recordSuccess(now: number, latencyMs: number): void {
    this.#count(now, true);
    this.#consecutiveFailures = 0;
    this.#keyRefusedUntil = 0;
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.#resetWindow();
    }
    this.#probeInFlight = false;
    this.lastSuccessAt = now;
    const smoothing = this.settings.smoothing;
    this.latencyMs =
      this.latencyMs === null ? latencyMs : smoothing * latencyMs + (1 - smoothing) * this.latencyMs;
  }

  recordFailure(now: number, failure: FailureReport): void {
    this.lastError = { message: failure.message, status: failure.status, at: now };
    // A probe that failed for a reason that is not the deployment's fault proves nothing: the
    // circuit stays half-open and the next request probes again.
    this.#probeInFlight = false;
    if (failure.keyRefused) this.#keyRefusedUntil = now + this.settings.badKeyCooldownMs;
    if (failure.coolDownMs !== undefined)
      this.#coolingUntil = Math.max(this.#coolingUntil, now + failure.coolDownMs);
    if (!failure.breaker) return;
    this.#count(now, false);
    this.#consecutiveFailures++;
    if (this.state === 'half_open') {
      this.#open(now);
      return;
    }
    if (this.state === 'closed' && this.#shouldOpen(now)) this.#open(now);
  }

  /** Failure share and count over the window, for health reporting. */
  window(now: number): { requests: number; failures: number; errorRate: number } {
    let ok = 0;
    let failed = 0;
    const oldest = now - this.settings.windowMs;
    for (let index = 0; index < BUCKETS; index++) {
      if (this.#bucketStart[index]! > oldest) {
        ok += this.#bucketOk[index]!;
        failed += this.#bucketFailed[index]!;
      }
    }
    const requests = ok + failed;
    return { requests, failures: failed, errorRate: requests === 0 ? 0 : failed / requests };
  }

  snapshot(now: number) {
    const availability = this.availability(now);
    const window = this.window(now);
    return {
      id: this.id,
      known: this.known,
      circuit: this.state,
      available: availability.available,
      unavailableReason: availability.reason ?? null,
      retryAt: availability.retryAt ? new Date(availability.retryAt).toISOString() : null,
      latencyMs: this.latencyMs === null ? null : Math.round(this.latencyMs * 10) / 10,
      errorRate: Math.round(window.errorRate * 1000) / 1000,
      requestsInWindow: window.requests,
      inFlight: this.inFlight,
      lastError: this.lastError
        ? {
            message: this.lastError.message,
            status: this.lastError.status,
            at: new Date(this.lastError.at).toISOString(),
          }
        : null,
      lastSuccessAt: this.lastSuccessAt === null ? null : new Date(this.lastSuccessAt).toISOString(),
    };
  }

  #shouldOpen(now: number): boolean {
    if (this.#consecutiveFailures >= this.settings.consecutiveFailures) return true;
    const { requests, errorRate } = this.window(now);
    return requests >= this.settings.minimumRequests && errorRate >= this.settings.failureRate;
  }

  #open(now: number): void {
    this.state = 'open';
    this.#openedAt = now;
  }

  #count(now: number, ok: boolean): void {
    const width = this.settings.windowMs / BUCKETS;
    const slot = Math.floor(now / width);
    const index = slot % BUCKETS;
    const start = slot * width;
    if (this.#bucketStart[index] !== start) {
      this.#bucketStart[index] = start;
      this.#bucketOk[index] = 0;
      this.#bucketFailed[index] = 0;
    }
    if (ok) this.#bucketOk[index]!++;
    else this.#bucketFailed[index]!++;
  }

  #resetWindow(): void {
    this.#bucketStart.fill(0);
    this.#bucketOk.fill(0);
    this.#bucketFailed.fill(0);
    this.#consecutiveFailures = 0;
  }
}
