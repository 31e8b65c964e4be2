/**
 * The request signing of the Bedrock provider, held to AWS's published Signature Version 4 test
 * vectors (test/fixtures/bedrock/sigv4-test-vectors.json): the signer as the provider configures it
 * (the AWS SDK's @smithy/signature-v4), and the independent verifier the fake Bedrock uses, must both
 * give AWS's signatures; then a Bedrock request, its model id with a `:`, signed by one and checked
 * by the other.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BedrockRequestAuth, createSigner } from '../../../../plugins/providers/bedrock/bedrock-auth.js';
import { bedrockModelPath } from '../../../../plugins/providers/bedrock/bedrock-api.js';
import { computeSignature, verifySigV4 } from '../../../helpers/verify-sigv4.js';

interface Vector {
  name: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
  sessionToken?: string;
  authorization: string;
}

const suite = JSON.parse(
  readFileSync(new URL('../../../fixtures/bedrock/sigv4-test-vectors.json', import.meta.url), 'utf8'),
) as {
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  service: string;
  date: string;
  vectors: Vector[];
};

const AMZ_DATE = '20150830T123600Z';

function signatureOf(authorization: string): string {
  return authorization.slice(authorization.indexOf('Signature=') + 'Signature='.length);
}

describe("AWS's SigV4 test vectors", () => {
  it.each(suite.vectors.map((vector) => [vector.name, vector] as const))(
    "%s: the signer the provider uses gives AWS's header",
    async (_name, vector) => {
      const signer = createSigner(
        { ...suite.credentials, ...(vector.sessionToken ? { sessionToken: vector.sessionToken } : {}) },
        suite.region,
        suite.service,
      );
      const query = Object.fromEntries(new URLSearchParams(vector.query));
      const signed = await signer.sign(
        {
          method: vector.method,
          protocol: 'https:',
          hostname: 'example.amazonaws.com',
          path: vector.path,
          query,
          headers: { ...vector.headers },
          body: vector.body,
        },
        { signingDate: new Date(suite.date) },
      );
      expect(signed.headers['authorization']).toBe(vector.authorization);
      expect(signed.headers['x-amz-date']).toBe(AMZ_DATE);
      if (vector.sessionToken) expect(signed.headers['x-amz-security-token']).toBe(vector.sessionToken);
    },
  );

  it.each(suite.vectors.map((vector) => [vector.name, vector] as const))(
    "%s: the fake Bedrock's verifier computes AWS's signature, and refuses a changed one",
    (_name, vector) => {
      const headers: Record<string, string> = {
        ...vector.headers,
        'x-amz-date': AMZ_DATE,
        authorization: vector.authorization,
        ...(vector.sessionToken ? { 'x-amz-security-token': vector.sessionToken } : {}),
      };
      const parts = {
        method: vector.method,
        path: vector.path,
        query: vector.query,
        headers,
        body: vector.body,
      };
      const signedHeaders = vector.authorization.split('SignedHeaders=')[1]!.split(',')[0]!.split(';');
      expect(
        computeSignature(
          parts,
          signedHeaders,
          suite.credentials.secretAccessKey,
          AMZ_DATE,
          suite.region,
          suite.service,
        ),
      ).toBe(signatureOf(vector.authorization));
      const options = {
        secrets: { [suite.credentials.accessKeyId]: suite.credentials.secretAccessKey },
        region: suite.region,
        service: suite.service,
      };
      expect(verifySigV4(parts, options)).toMatchObject({ ok: true });
      expect(verifySigV4({ ...parts, body: `${vector.body} ` }, options)).toMatchObject({ ok: false });
      expect(verifySigV4({ ...parts, path: `${vector.path}x` }, options)).toMatchObject({ ok: false });
    },
  );
});

describe('a Bedrock request', () => {
  const credentials = { accessKeyId: 'AKIAEXAMPLEBEDROCK01', secretAccessKey: 'bedrock/secret/key' };
  const path = bedrockModelPath('', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'converse');
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
  const verify = (headers: Record<string, string>, changes: Partial<{ path: string; body: string }> = {}) =>
    verifySigV4(
      { method: 'POST', path: changes.path ?? path, query: '', headers, body: changes.body ?? body },
      {
        secrets: { [credentials.accessKeyId]: credentials.secretAccessKey },
        region: 'eu-west-3',
        service: 'bedrock',
        now: new Date(),
      },
    );

  it('puts the model id in one encoded path segment, signed as AWS expects (encoded again)', async () => {
    expect(path).toBe('/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse');
    const auth = new BedrockRequestAuth(
      undefined,
      { ...credentials, sessionToken: 'session-token' },
      'eu-west-3',
    );
    const headers = await auth.headersFor({
      origin: 'https://bedrock-runtime.eu-west-3.amazonaws.com',
      path,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
    expect(headers['host']).toBe('bedrock-runtime.eu-west-3.amazonaws.com');
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEBEDROCK01\/\d{8}\/eu-west-3\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(verify(headers)).toMatchObject({ ok: true });
    // The same path signed once-encoded, or another body, is not what was signed.
    expect(
      verify(headers, { path: '/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/converse' }),
    ).toMatchObject({
      ok: false,
    });
    expect(verify(headers, { body: body.replace('Hi', 'Ho') })).toMatchObject({ ok: false });
  });

  it('carries a Bedrock API key as a bearer token instead, and a key the client brought before it', async () => {
    const auth = new BedrockRequestAuth('bedrock-api-key', credentials, 'us-east-1');
    const request = { origin: 'https://example.com', path, headers: { accept: 'application/json' }, body };
    expect(await auth.headersFor(request)).toEqual({
      accept: 'application/json',
      authorization: 'Bearer bedrock-api-key',
    });
    expect((await auth.headersFor(request, 'client-key'))['authorization']).toBe('Bearer client-key');
  });
});
