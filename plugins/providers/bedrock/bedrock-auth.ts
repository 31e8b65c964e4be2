/**
 * How a Bedrock request proves who sends it: a Bedrock API key as a bearer token, or an AWS
 * Signature Version 4 over the request, computed by the AWS SDK's own signer
 * (@smithy/signature-v4 with Node's SHA-256 through @smithy/hash-node).
 *
 * The signature covers the method, the path as sent (the model id percent-encoded, then encoded
 * again for the canonical request, as every AWS service but S3 expects), the host, the date, the
 * headers sent and a hash of the body; a session token, for temporary credentials, is sent and
 * signed as `x-amz-security-token`.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { BEDROCK_SERVICE } from './bedrock-api.js';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** SHA-256 in the shape the signer takes (a hash class whose constructor may take an HMAC key). */
const Sha256 = Hash.bind(null, 'sha256') as unknown as NonNullable<
  ConstructorParameters<typeof SignatureV4>[0]['sha256']
>;

/**
 * A SigV4 signer for one service, region and set of credentials. `applyChecksum` is off: the body's
 * hash goes into the signature either way, and Bedrock does not ask for it as a header.
 */
export function createSigner(credentials: SigningCredentials, region: string, service: string): SignatureV4 {
  return new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
    region,
    service,
    sha256: Sha256,
    applyChecksum: false,
  });
}

export interface OutgoingRequest {
  readonly origin: string;
  /** The path as it goes on the wire (already percent-encoded), with its query string, if any. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Splits `a=1&b=2` into the query map the signer takes (values decoded: it encodes them itself). */
function parseQuery(search: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(search)) query[key] = value;
  return query;
}

export class BedrockRequestAuth {
  readonly #signer: SignatureV4 | undefined;
  readonly #apiKey: string | undefined;

  /**
   * @param apiKey a Bedrock API key, used as a bearer token (it wins over signing keys)
   * @param credentials SigV4 keys, used when there is no API key
   */
  constructor(apiKey: string | undefined, credentials: SigningCredentials | undefined, region: string) {
    this.#apiKey = apiKey || undefined;
    this.#signer = credentials ? createSigner(credentials, region, BEDROCK_SERVICE) : undefined;
  }

  /**
   * The headers to send: the request's own, plus the bearer token or the signature (with `host`
   * and `x-amz-date`, which it covers). A key the client brought for this call is a Bedrock API key.
   */
  async headersFor(request: OutgoingRequest, clientKey?: string): Promise<Record<string, string>> {
    const bearer = clientKey ?? this.#apiKey;
    if (bearer) return { ...request.headers, authorization: `Bearer ${bearer}` };
    if (!this.#signer) throw new Error('a Bedrock instance was built without credentials');
    const url = new URL(request.path, request.origin);
    const signed = await this.#signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      // The signer encodes each path segment for the canonical request; the wire path is already
      // encoded once, which is what AWS expects it to have been.
      path: url.pathname,
      query: parseQuery(url.search),
      headers: { ...request.headers, host: url.host },
      body: request.body,
    });
    return signed.headers;
  }
}
