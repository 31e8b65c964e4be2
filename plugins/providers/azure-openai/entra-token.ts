/**
 * Entra ID access tokens for an application, by the OAuth 2.0 client-credentials grant: one form POST
 * to `{authorityHost}/{tenant}/oauth2/v2.0/token` answered with `access_token` and `expires_in`.
 *
 * A token is kept until shortly before it expires (five minutes, or half its life when that is
 * shorter), then renewed in the background while it is still good; a call only waits for the token
 * endpoint when it has no good token. Concurrent calls share one request (single flight). The token
 * is a secret: never logged, and scrubbed from error messages.
 *
 * Written over the gateway's own dispatcher rather than with @azure/identity: the grant is one
 * request, and this way it uses the injected transport, and a test's clock.
 * @see https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 */
import type { Dispatcher } from 'undici';
import { readErrorText, readJsonObject, toProviderFailure } from '../../../src/provider-toolkit.js';
import { UpstreamFailure, originOf, sendUpstream } from '../../../src/upstream.js';

/** The latest a token is renewed before it expires. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** The longest a token request may take: it is shared by every call waiting on it. */
const TOKEN_REQUEST_TIMEOUT_MS = 30_000;

export interface EntraTokenOptions {
  /** For error messages: the instance the tokens are for. */
  readonly provider: string;
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly dispatcher: Dispatcher;
  /** Epoch milliseconds; injected by tests. */
  readonly now?: () => number;
}

interface TokenWire {
  access_token?: unknown;
  expires_in?: unknown;
  token_type?: unknown;
}

interface HeldToken {
  readonly value: string;
  readonly expiresAt: number;
  readonly refreshAt: number;
}

interface EntraErrorWire {
  error?: unknown;
  error_description?: unknown;
}

export class EntraTokenSource {
  readonly #options: EntraTokenOptions;
  readonly #now: () => number;
  readonly #origin: string;
  readonly #path: string;
  #token: HeldToken | undefined;
  #pending: Promise<HeldToken> | undefined;

  constructor(options: EntraTokenOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const { origin, pathPrefix } = originOf(options.authorityHost);
    this.#origin = origin;
    this.#path = `${pathPrefix}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`;
  }

  /** The token held now, if any (to scrub it from what an upstream says). */
  get current(): string | undefined {
    return this.#token?.value;
  }

  /** A token good for a call now: the one held, or a new one. */
  async token(signal: AbortSignal): Promise<string> {
    const now = this.#now();
    const held = this.#token;
    if (held && now < held.refreshAt) return held.value;
    if (held && now < held.expiresAt) {
      // Still good: renew in the background, and answer with it.
      this.#refresh().catch(() => {});
      return held.value;
    }
    return (await abortable(this.#refresh(), signal)).value;
  }

  /** One token request at a time, whoever asks. */
  #refresh(): Promise<HeldToken> {
    this.#pending ??= this.#request().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #request(): Promise<HeldToken> {
    const { provider, clientId, clientSecret, scope, dispatcher } = this.#options;
    const signal = AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope,
    }).toString();
    const requestedAt = this.#now();
    const response = await sendUpstream(
      dispatcher,
      {
        origin: this.#origin,
        path: this.#path,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal,
      },
      provider,
    );
    if (response.statusCode !== 200) {
      const text = await readErrorText(response, signal, provider);
      let wire: EntraErrorWire | undefined;
      try {
        wire = JSON.parse(text) as EntraErrorWire;
      } catch {
        wire = undefined;
      }
      const description = typeof wire?.error_description === 'string' ? wire.error_description : undefined;
      throw toProviderFailure({
        provider,
        status: response.statusCode,
        message: description
          ? `Entra ID refused a token for the provider ${provider}: ${description.split('\n')[0]}`
          : undefined,
        text,
        code: typeof wire?.error === 'string' ? wire.error : null,
        retryAfterHeader: response.headers['retry-after'],
        secrets: [clientSecret],
      });
    }
    const wire = await readJsonObject<TokenWire>(response, signal, provider);
    const lifetimeMs = Number(wire.expires_in) * 1000;
    if (typeof wire.access_token !== 'string' || !wire.access_token || !(lifetimeMs > 0)) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `Entra ID answered a token request for the provider ${provider} without a token and its lifetime.`,
      });
    }
    const expiresAt = requestedAt + lifetimeMs;
    const token: HeldToken = {
      value: wire.access_token,
      expiresAt,
      refreshAt: expiresAt - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2),
    };
    this.#token = token;
    return token;
  }
}

/** The promise, or the signal's reason when it is aborted first (the shared request goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
