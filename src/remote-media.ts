/**
 * Downloads media a client refers to by URL (an `image_url` with an http(s) address) for providers
 * that only take the bytes. The client chooses the URL, so this is a server-side request made on a
 * stranger's behalf: it is bounded in size and time, checks the content type, and refuses addresses
 * inside the gateway's own network (loopback, private, link-local, carrier-grade NAT, cloud metadata)
 * unless `media.allowPrivateNetworks` is set.
 *
 * The address is checked where it is used: a literal IP in the URL before connecting, and a name on
 * every address it resolves to, inside the socket's own lookup, so a name that changes its answer
 * between a check and the connection (DNS rebinding) cannot slip through. Redirects are followed by
 * hand and every hop is checked the same way.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { Agent, type Dispatcher } from 'undici';
import type { MediaOptions } from '../schemas/options.js';
import { GatewayError } from './errors.js';
import { toUpstreamFailure } from './upstream.js';

/** Resolves a host name to every address it has (the DNS lookup, injectable for tests). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

const resolveWithSystem: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

// Cloud metadata services, refused even when private networks are allowed: no image lives there.
const METADATA_ADDRESSES = new Set(['169.254.169.254', '100.100.100.200', '192.0.0.192', 'fd00:ec2::254']);

// Not a host one can fetch from, whatever the configuration says.
const NEVER_HOSTS = new Set(['unspecified', 'multicast', 'broadcast']);

/** An address in its canonical form, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) unwrapped to IPv4. */
function canonicalAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return undefined;
  return ipaddr.process(bare.split('%')[0] ?? bare);
}

/**
 * The ipaddr.js range of an address (`unicast` for an ordinary public address; `loopback`,
 * `private`, `linkLocal`, `uniqueLocal`, `carrierGradeNat`, … otherwise), or undefined when it is
 * not an IP address.
 */
export function classifyAddress(address: string): string | undefined {
  return canonicalAddress(address)?.range();
}

/** Whether the gateway may connect to `address` to fetch media. */
export function isAddressAllowed(address: string, allowPrivateNetworks: boolean): boolean {
  const ip = canonicalAddress(address);
  if (!ip) return false;
  const normalized = ip.toNormalizedString();
  if (METADATA_ADDRESSES.has(ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : normalized)) {
    return false;
  }
  const range = ip.range();
  if (range === 'unicast') return true;
  return allowPrivateNetworks && !NEVER_HOSTS.has(range);
}

export interface FetchedMedia {
  /** The content type the server declared, without parameters, lower case. */
  mimeType: string;
  data: Buffer;
}

/**
 * The downloads of one request, shared by its attempts: a URL is downloaded once however many
 * deployments the request is tried on, at most `media.concurrency` at a time, and within
 * `media.maxBytesPerRequest` in all. One object per call (CallContext.mediaScope); its signal is the
 * call's, so an abandoned attempt does not cancel a download the next one will use.
 */
export interface MediaScope {
  readonly signal: AbortSignal;
}

export interface FetchMediaRequest {
  /** The request field that holds the URL, named in errors (`messages[0].content[1].image_url.url`). */
  param: string;
  /** The call's signal: a client that goes away or a deadline stops the download too. */
  signal: AbortSignal;
  /** The request's downloads, when the caller has one (adapters pass CallContext.mediaScope). */
  scope?: MediaScope;
  /** Whether a content type (lower case, no parameters) is acceptable for this part. */
  accepts(mimeType: string): boolean;
  /** What the part accepts, for the error message (`an image`). */
  expected: string;
}

export interface RemoteMediaDependencies {
  resolve?: ResolveHost;
  /** The address policy; by default `isAddressAllowed` with `allowPrivateNetworks` from the options. */
  allowAddress?: (address: string) => boolean;
}

class ForbiddenAddress extends Error {
  override name = 'ForbiddenAddress';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to ${address}, an address the gateway does not fetch from`);
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

function forbiddenError(param: string, url: URL, address: string): GatewayError {
  const host = url.hostname;
  const where = host === address || host === `[${address}]` ? host : `${host} (${address})`;
  return new GatewayError('GW_ERR_MEDIA_URL_FORBIDDEN', {
    message:
      `The URL in '${param}' points to ${where}, a loopback, private, link-local or metadata address ` +
      `the gateway does not fetch from. Use a public URL or send the data inline as a data: URI.`,
    param,
  });
}

function fetchFailed(param: string, url: URL, why: string, cause?: unknown): GatewayError {
  return new GatewayError('GW_ERR_MEDIA_FETCH_FAILED', {
    message: `The gateway could not download the URL in '${param}' (${url.origin}): ${why}.`,
    param,
    cause,
  });
}

function findCause<T>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  let current = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof type) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

interface ScopeState {
  readonly downloads: Map<string, Promise<FetchedMedia>>;
  active: number;
  readonly waiting: (() => void)[];
  /** Bytes received so far for the request, over all its downloads. */
  bytes: number;
}

export class RemoteMedia {
  readonly #scopes = new WeakMap<MediaScope, ScopeState>();
  readonly #options: MediaOptions;
  readonly #resolve: ResolveHost;
  readonly #allowAddress: (address: string) => boolean;
  readonly #agent: Agent;

  constructor(options: MediaOptions, dependencies: RemoteMediaDependencies = {}) {
    this.#options = options;
    this.#resolve = dependencies.resolve ?? resolveWithSystem;
    this.#allowAddress =
      dependencies.allowAddress ?? ((address) => isAddressAllowed(address, options.allowPrivateNetworks));
    this.#agent = new Agent({
      connections: 16,
      keepAliveTimeout: 10_000,
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: options.timeoutMs, lookup: this.#guardedLookup },
    });
  }

  /** The lookup every connection of the media agent uses: resolves, then refuses forbidden answers. */
  readonly #guardedLookup = (
    hostname: string,
    options: { all?: boolean } | number | undefined,
    callback: LookupCallback,
  ): void => {
    this.#resolveAllowed(hostname).then(
      (addresses) => {
        if (typeof options === 'object' && options?.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };

  async #resolveAllowed(hostname: string): Promise<LookupAddress[]> {
    const addresses = await this.#resolve(hostname);
    if (addresses.length === 0) {
      throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
    }
    // Every answer must be allowed: the connection may use any of them.
    for (const { address } of addresses) {
      if (!this.#allowAddress(address)) throw new ForbiddenAddress(hostname, address);
    }
    return addresses;
  }

  /**
   * Checks a URL without fetching it: its scheme, and the addresses it names or resolves to.
   * Throws GW_ERR_MEDIA_URL_FORBIDDEN or GW_ERR_MEDIA_FETCH_FAILED naming `param`.
   */
  async checkUrl(url: URL, param: string): Promise<void> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw fetchFailed(param, url, `${url.protocol} URLs are not fetched`);
    }
    // The WHATWG parser has already rewritten every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1)
    // to dotted decimal, and IPv6 to its compressed form in brackets.
    const host = url.hostname;
    if (canonicalAddress(host)) {
      const address = host.startsWith('[') ? host.slice(1, -1) : host;
      if (!this.#allowAddress(address)) throw forbiddenError(param, url, address);
      return;
    }
    try {
      await this.#resolveAllowed(host);
    } catch (error) {
      if (error instanceof ForbiddenAddress) throw forbiddenError(param, url, error.address);
      throw fetchFailed(param, url, `the name ${host} could not be resolved`, error);
    }
  }

  /**
   * Downloads `rawUrl` (once per request scope: a second ask for the same URL gets the same bytes),
   * following up to `maxRedirects` redirects, each hop checked.
   */
  fetch(rawUrl: string, request: FetchMediaRequest): Promise<FetchedMedia> {
    const scope = request.scope;
    if (!scope) return this.#download(rawUrl, request, undefined);
    let state = this.#scopes.get(scope);
    if (!state) {
      state = { downloads: new Map(), active: 0, waiting: [], bytes: 0 };
      this.#scopes.set(scope, state);
    }
    const known = state.downloads.get(rawUrl);
    if (known) return known.then((media) => this.#accept(media, request));
    if (state.downloads.size >= this.#options.maxFilesPerRequest) {
      return Promise.reject(
        new GatewayError('GW_ERR_MEDIA_TOO_MANY', {
          message: `The request names more than ${this.#options.maxFilesPerRequest} media URLs (MEDIA_MAX_FILES_PER_REQUEST).`,
          param: request.param,
        }),
      );
    }
    const pending = this.#inTurn(state, () =>
      this.#download(rawUrl, { ...request, signal: scope.signal }, state),
    );
    state.downloads.set(rawUrl, pending);
    return pending;
  }

  /** Runs `download` when fewer than `media.concurrency` downloads of the request are under way. */
  async #inTurn<T>(state: ScopeState, download: () => Promise<T>): Promise<T> {
    if (state.active >= this.#options.concurrency) {
      await new Promise<void>((resolve) => state.waiting.push(resolve));
    }
    state.active++;
    try {
      return await download();
    } finally {
      state.active--;
      state.waiting.shift()?.();
    }
  }

  /** A download made for another part of the request, checked against what this part accepts. */
  #accept(media: FetchedMedia, request: FetchMediaRequest): FetchedMedia {
    if (request.accepts(media.mimeType)) return media;
    throw new GatewayError('GW_ERR_MEDIA_UNSUPPORTED_TYPE', {
      message: `The URL in '${request.param}' answered with content type '${media.mimeType || 'none'}', not ${request.expected}.`,
      param: request.param,
    });
  }

  async #download(
    rawUrl: string,
    request: FetchMediaRequest,
    state: ScopeState | undefined,
  ): Promise<FetchedMedia> {
    const { param } = request;
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Invalid URL in '${param}'.`,
        param,
        code: 'invalid_value',
      });
    }
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = AbortSignal.any([request.signal, timeout]);
    try {
      for (let hop = 0; hop <= this.#options.maxRedirects; hop++) {
        await this.checkUrl(url, param);
        const response = await this.#agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers: { accept: '*/*', 'user-agent': 'llm-gateway-media-fetch' },
          signal,
        });
        if (response.statusCode >= 300 && response.statusCode < 400 && response.headers['location']) {
          response.body.resume().on('error', () => {});
          url = new URL(String(response.headers['location']), url);
          continue;
        }
        return await this.#read(response, url, request, state);
      }
      throw fetchFailed(param, url, `more than ${this.#options.maxRedirects} redirects`);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      if (request.signal.aborted) throw toUpstreamFailure(error, request.signal, 'media');
      if (timeout.aborted) {
        throw fetchFailed(param, url, `no complete answer within ${this.#options.timeoutMs} ms`, error);
      }
      const forbidden = findCause(error, ForbiddenAddress);
      if (forbidden) throw forbiddenError(param, url, forbidden.address);
      const code = (error as { code?: string }).code;
      throw fetchFailed(param, url, code ?? (error as Error).message ?? 'connection failed', error);
    }
  }

  async #read(
    response: Dispatcher.ResponseData,
    url: URL,
    request: FetchMediaRequest,
    state: ScopeState | undefined,
  ): Promise<FetchedMedia> {
    const { param } = request;
    if (response.statusCode < 200 || response.statusCode > 299) {
      response.body.resume().on('error', () => {});
      throw fetchFailed(param, url, `it answered HTTP ${response.statusCode}`);
    }
    const declared = String(response.headers['content-type'] ?? '');
    const mimeType = (declared.split(';')[0] ?? '').trim().toLowerCase();
    if (!request.accepts(mimeType)) {
      response.body.on('error', () => {}).destroy();
      throw new GatewayError('GW_ERR_MEDIA_UNSUPPORTED_TYPE', {
        message: `The URL in '${param}' answered with content type '${mimeType || 'none'}', not ${request.expected}.`,
        param,
      });
    }
    const limit = this.#options.maxBytes;
    const tooLarge = () =>
      new GatewayError('GW_ERR_MEDIA_TOO_LARGE', {
        message: `The media at the URL in '${param}' is larger than the ${limit} bytes the gateway downloads.`,
        param,
      });
    const length = Number(response.headers['content-length']);
    if (Number.isFinite(length) && length > limit) {
      response.body.on('error', () => {}).destroy();
      throw tooLarge();
    }
    const budget = this.#options.maxBytesPerRequest;
    const overBudget = () =>
      new GatewayError('GW_ERR_MEDIA_TOO_MANY', {
        message:
          `The media URLs of this request come to more than the ${budget} bytes the gateway downloads for ` +
          `one request (MEDIA_MAX_BYTES_PER_REQUEST); the URL in '${param}' passed it.`,
        param,
      });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const length = (chunk as Buffer).length;
      size += length;
      if (size > limit) {
        response.body.on('error', () => {}).destroy();
        throw tooLarge();
      }
      if (state) {
        state.bytes += length;
        if (state.bytes > budget) {
          response.body.on('error', () => {}).destroy();
          throw overBudget();
        }
      }
      chunks.push(chunk as Buffer);
    }
    return { mimeType, data: Buffer.concat(chunks, size) };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
