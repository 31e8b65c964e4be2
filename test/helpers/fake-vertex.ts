/**
 * A fake Vertex AI and its OAuth token endpoint, on one loopback server. The token endpoint takes a
 * service account's signed JWT (RFC 7523) as Google's does: it checks the RS256 signature with the
 * test key's public half, the issuer, the scope, the audience and the expiry, and mints an access
 * token that expires when told. Vertex's routes accept only a token it minted and that has not
 * expired, then answer Gemini models from test/fixtures/gemini/ and Claude models from
 * test/fixtures/anthropic/, checking the body Claude on Vertex takes (the API version in it, no
 * model). A service-account key file naming the fake's token endpoint (`token_uri`) is written for
 * the gateway to read.
 */
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FakeUpstream,
  type RecordedRequest,
  type Responder,
  type ScriptedResponse,
} from './fake-upstream.js';
import { anthropicFixture, fixtureSse, streamAnthropic, unaryAnthropic } from './fake-anthropic.js';
import { geminiFixture, streamGemini, unaryGemini } from './fake-gemini.js';

export const VERTEX_PROJECT = 'gateway-test-project';
export const SERVICE_ACCOUNT_EMAIL = 'gateway@gateway-test-project.iam.gserviceaccount.com';
export const TOKEN_PATH = '/token';

export interface MintedToken {
  token: string;
  expiresAt: number;
}

export interface FakeVertex {
  upstream: FakeUpstream;
  /** The key file naming the fake's token endpoint. */
  credentialsFile: string;
  /** Tokens minted so far, in order. */
  minted: MintedToken[];
  /** Seconds the next tokens live (Google's are 3599). */
  expiresIn: number[];
  /** Why the token endpoint refused the last assertion it refused, if any. */
  refusals: string[];
  close(): Promise<void>;
}

function base64UrlJson(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Checks a service account's JWT bearer assertion as Google's token endpoint does; null when it is good. */
export function checkAssertion(assertion: string, publicKey: KeyObject, now = Date.now()): string | null {
  const parts = assertion.split('.');
  if (parts.length !== 3) return 'not a JWT';
  const [header, claims, signature] = parts as [string, string, string];
  if (base64UrlJson(header)['alg'] !== 'RS256') return 'not RS256';
  const verifier = createVerify('RSA-SHA256').update(`${header}.${claims}`);
  if (!verifier.verify(publicKey, Buffer.from(signature, 'base64url'))) return 'bad signature';
  const body = base64UrlJson(claims);
  if (body['iss'] !== SERVICE_ACCOUNT_EMAIL) return `unknown issuer ${String(body['iss'])}`;
  if (body['aud'] !== 'https://oauth2.googleapis.com/token') return `audience ${String(body['aud'])}`;
  if (
    !String(body['scope'] ?? '')
      .split(' ')
      .includes('https://www.googleapis.com/auth/cloud-platform')
  ) {
    return 'no cloud-platform scope';
  }
  const seconds = Math.floor(now / 1000);
  if (typeof body['exp'] !== 'number' || body['exp'] <= seconds || (body['iat'] as number) > seconds + 60) {
    return 'expired or not yet valid';
  }
  return null;
}

/** Google's error body. */
export function googleError(code: number, status: string, message: string): ScriptedResponse {
  return {
    status: code,
    headers: { 'content-type': 'application/json' },
    json: { error: { code, message, status } },
  };
}

export function vertexPath(
  location: string,
  model: string,
  method: string,
  project = VERTEX_PROJECT,
): string {
  const publisher = method.endsWith('RawPredict') || method === 'rawPredict' ? 'anthropic' : 'google';
  return `/v1/projects/${project}/locations/${location}/publishers/${publisher}/models/${encodeURIComponent(model).replaceAll('%40', '@')}:${method}`;
}

export const GEMINI_MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash'];
export const CLAUDE_MODELS = ['claude-sonnet-4-5@20250929'];

/** Starts the fake; `location` is the one the routes serve. */
export async function startFakeVertex(location = 'global'): Promise<FakeVertex> {
  const upstream = new FakeUpstream();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const minted: MintedToken[] = [];
  const refusals: string[] = [];
  const state: FakeVertex = {
    upstream,
    credentialsFile: '',
    minted,
    expiresIn: [],
    refusals,
    close: () => upstream.close(),
  };

  upstream.route('POST', TOKEN_PATH, (request) => {
    const form = new URLSearchParams(request.body.toString('utf8'));
    const refusal =
      form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer'
        ? 'grant type'
        : checkAssertion(form.get('assertion') ?? '', publicKey);
    if (refusal) {
      refusals.push(refusal);
      return { status: 400, json: { error: 'invalid_grant', error_description: refusal } };
    }
    const expiresIn = state.expiresIn.shift() ?? 3599;
    const token = `ya29.test-token-${minted.length + 1}`;
    minted.push({ token, expiresAt: Date.now() + expiresIn * 1000 });
    return { status: 200, json: { access_token: token, expires_in: expiresIn, token_type: 'Bearer' } };
  });

  const authorized =
    (responder: Responder): Responder =>
    (request) => {
      const authorization = String(request.headers['authorization'] ?? '');
      const known = minted.find((entry) => authorization === `Bearer ${entry.token}`);
      if (!known || known.expiresAt <= Date.now()) {
        return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
      }
      return responder(request);
    };
  const claudeBody = (request: RecordedRequest): ScriptedResponse | undefined => {
    const body = request.json as Record<string, unknown> | undefined;
    if (body?.['anthropic_version'] !== 'vertex-2023-10-16' || 'model' in (body ?? {})) {
      return {
        status: 400,
        json: {
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: 'anthropic_version: vertex-2023-10-16 and no model',
          },
        },
      };
    }
    return undefined;
  };

  for (const model of GEMINI_MODELS) {
    upstream.route(
      'POST',
      vertexPath(location, model, 'generateContent'),
      authorized(() => unaryGemini(geminiFixture('vertexai/unary-success-quote-reply.json'))),
    );
    upstream.route(
      'POST',
      vertexPath(location, model, 'streamGenerateContent'),
      authorized(() => streamGemini(geminiFixture('vertexai/streaming-success-basic-reply-parts.txt'))),
    );
    // Vertex's count takes the generate request's fields at its top level, and no model.
    upstream.route(
      'POST',
      vertexPath(location, model, 'countTokens'),
      authorized((request) => {
        const body = (request.json ?? {}) as Record<string, unknown>;
        if (!Array.isArray(body['contents']) || 'generateContentRequest' in body || 'model' in body) {
          return googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
        }
        return { status: 200, json: { totalTokens: 7, totalBillableCharacters: 28 } };
      }),
    );
  }
  for (const model of CLAUDE_MODELS) {
    upstream.route(
      'POST',
      vertexPath(location, model, 'rawPredict'),
      authorized((request) => claudeBody(request) ?? unaryAnthropic(anthropicFixture('anthropic-text.json'))),
    );
    upstream.route(
      'POST',
      vertexPath(location, model, 'streamRawPredict'),
      authorized(
        (request) => claudeBody(request) ?? streamAnthropic(fixtureSse('anthropic-text.chunks.txt')),
      ),
    );
  }
  await upstream.listen();

  const folder = mkdtempSync(join(tmpdir(), 'vertex-credentials-'));
  state.credentialsFile = join(folder, 'service-account.json');
  writeFileSync(
    state.credentialsFile,
    JSON.stringify({
      type: 'service_account',
      project_id: VERTEX_PROJECT,
      private_key_id: 'test-key-1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: SERVICE_ACCOUNT_EMAIL,
      client_id: '100000000000000000001',
      token_uri: `${upstream.origin}${TOKEN_PATH}`,
    }),
  );
  return state;
}
