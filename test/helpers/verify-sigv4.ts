/**
 * The other side of AWS Signature Version 4, written from AWS's description of the algorithm with
 * Node's crypto alone, so that it checks the gateway's signer (the AWS SDK's) rather than repeating
 * it: the fake Bedrock recomputes every request's signature with it, and it is itself held to AWS's
 * published test vectors (test/fixtures/bedrock/sigv4-test-vectors.json).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedRequestParts {
  method: string;
  /**
   * The path the signature's canonical URI is built from: the path on the wire for a real request
   * (AWS services other than S3 encode it again), the unencoded path of a test vector.
   */
  path: string;
  /** The query string, without `?`, as sent. */
  query: string;
  /** Header names in lower case, as Node's server gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | string;
}

export interface VerifyOptions {
  /** Secret access keys by access key id. */
  secrets: Readonly<Record<string, string>>;
  region: string;
  service: string;
  /** When given, a signing time further than 5 minutes from it is refused (AWS allows 15). */
  now?: Date;
}

export type Verdict =
  { ok: true; accessKeyId: string; signedHeaders: string[] } | { ok: false; reason: string };

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, UTF-8 bytes in upper-case hex. */
function uriEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function header(headers: SignedRequestParts['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function canonicalRequest(parts: SignedRequestParts, signedHeaders: readonly string[]): string {
  const segments = parts.path.split('/').map(uriEncode);
  const canonicalUri = segments.join('/') || '/';
  const pairs = parts.query
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const [key = '', value = ''] = pair.split('=');
      return [uriEncode(decodeURIComponent(key)), uriEncode(decodeURIComponent(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  const canonicalQuery = pairs.map(([key, value]) => `${key}=${value}`).join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(header(parts.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = header(parts.headers, 'x-amz-content-sha256') ?? sha256Hex(parts.body);
  return [
    parts.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function computeSignature(
  parts: SignedRequestParts,
  signedHeaders: readonly string[],
  secret: string,
  amzDate: string,
  region: string,
  service: string,
): string {
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    sha256Hex(canonicalRequest(parts, signedHeaders)),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** Checks a request's signature as AWS would; `reason` says what is wrong. */
export function verifySigV4(parts: SignedRequestParts, options: VerifyOptions): Verdict {
  const authorization = header(parts.headers, 'authorization');
  const match = authorization ? AUTHORIZATION.exec(authorization) : null;
  if (!match) return { ok: false, reason: `not a SigV4 authorization header: ${authorization ?? '(none)'}` };
  const [, accessKeyId = '', day = '', region, service, signedList = '', signature = ''] = match;
  const secret = options.secrets[accessKeyId];
  if (secret === undefined) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  if (region !== options.region || service !== options.service) {
    return { ok: false, reason: `signed for ${region}/${service}, not ${options.region}/${options.service}` };
  }
  const amzDate = header(parts.headers, 'x-amz-date') ?? '';
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) {
    return { ok: false, reason: `x-amz-date ${amzDate} does not match the credential's day ${day}` };
  }
  if (options.now) {
    const signedAt = Date.parse(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    if (Math.abs(signedAt - options.now.getTime()) > 5 * 60_000)
      return { ok: false, reason: 'signing time too far off' };
  }
  const signedHeaders = signedList.split(';');
  const sorted = [...signedHeaders].sort();
  if (signedHeaders.join(';') !== sorted.join(';')) return { ok: false, reason: 'signed headers not sorted' };
  for (const required of ['host', 'x-amz-date']) {
    if (!signedHeaders.includes(required)) return { ok: false, reason: `${required} is not signed` };
  }
  if (
    header(parts.headers, 'x-amz-security-token') !== undefined &&
    !signedHeaders.includes('x-amz-security-token')
  ) {
    return { ok: false, reason: 'x-amz-security-token is sent but not signed' };
  }
  const expected = computeSignature(parts, signedHeaders, secret, amzDate, options.region, options.service);
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    return {
      ok: false,
      reason: 'The request signature we calculated does not match the signature you provided.',
    };
  }
  return { ok: true, accessKeyId, signedHeaders };
}
