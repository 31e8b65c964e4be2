/**
 * What one request asks of the cache: `Cache-Control: no-cache` (do not answer from the cache, but
 * store the fresh answer), `Cache-Control: no-store` (neither), and `x-gateway-cache-ttl: <seconds>`
 * (keep this answer that long; 0 = do not store it). Unknown Cache-Control directives are ignored,
 * as HTTP caches do.
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-5.2.1
 */
import { GatewayError } from '../errors.js';

export const CACHE_TTL_HEADER = 'x-gateway-cache-ttl';

export interface CacheDirectives {
  /** May the answer come from the cache. */
  readonly read: boolean;
  /** May the answer be stored. */
  readonly write: boolean;
  readonly ttlSeconds: number;
}

const WHOLE_SECONDS = /^\d{1,10}$/;

function hasDirective(header: string, directive: string): boolean {
  let from = 0;
  for (;;) {
    const at = header.indexOf(directive, from);
    if (at < 0) return false;
    const before = at === 0 ? ',' : header[at - 1]!;
    const after = header[at + directive.length] ?? ',';
    if ((before === ',' || before === ' ') && (after === ',' || after === ' ' || after === ';')) return true;
    from = at + directive.length;
  }
}

/** Reads the request's cache directives; a malformed or too long TTL is a 400 naming the header. */
export function readCacheDirectives(
  headers: Record<string, string | string[] | undefined>,
  defaultTtlSeconds: number,
  maxTtlSeconds: number,
): CacheDirectives | undefined {
  const control = headers['cache-control'];
  const ttlHeader = headers[CACHE_TTL_HEADER];
  if (control === undefined && ttlHeader === undefined) return undefined;

  let read = true;
  let write = true;
  if (typeof control === 'string') {
    const lower = control.toLowerCase();
    if (hasDirective(lower, 'no-store')) {
      read = false;
      write = false;
    } else if (hasDirective(lower, 'no-cache')) read = false;
  }
  let ttlSeconds = defaultTtlSeconds;
  if (ttlHeader !== undefined) {
    const text = typeof ttlHeader === 'string' ? ttlHeader.trim() : '';
    if (!WHOLE_SECONDS.test(text) || Number(text) > maxTtlSeconds) {
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Invalid value for header '${CACHE_TTL_HEADER}': it must be a whole number of seconds from 0 to ${maxTtlSeconds}.`,
        param: CACHE_TTL_HEADER,
      });
    }
    ttlSeconds = Number(text);
    if (ttlSeconds === 0) write = false;
  }
  return { read, write, ttlSeconds };
}
