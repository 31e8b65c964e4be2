/**
 * Entra ID tokens by the client-credentials grant, against a fake token endpoint, on an injected
 * clock: minted once, held, renewed in the background before they expire, awaited when expired, one
 * request for many callers, refusals read without the secret.
 */
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EntraTokenSource } from '../../../../plugins/providers/azure-openai/entra-token.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import { ENTRA_SCOPE, FakeEntra } from '../../../helpers/fake-azure-openai.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'app-client-id';
const SECRET = 'app-client-secret-value-0123';

let entra: FakeEntra;
const dispatcher = new Agent();
let clock = 1_000_000;

beforeAll(async () => {
  entra = await new FakeEntra(TENANT, CLIENT, SECRET).listen();
});
afterEach(() => {
  entra.upstream.reset();
  entra.minted.length = 0;
  entra.lifetimeSeconds = 3599;
});
afterAll(async () => {
  await entra.close();
  await dispatcher.close();
});

function source(secret = SECRET): EntraTokenSource {
  return new EntraTokenSource({
    provider: 'azure-openai',
    authorityHost: entra.origin,
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: secret,
    scope: ENTRA_SCOPE,
    dispatcher,
    now: () => clock,
  });
}

const signal = () => new AbortController().signal;

describe('EntraTokenSource', () => {
  it('mints a token by the client-credentials grant, then holds it', async () => {
    const tokens = source();
    const first = await tokens.token(signal());
    expect(first).toBe(entra.minted[0]);
    const [request] = entra.upstream.received(entra.path);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request!.body.toString('utf8')))).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      client_secret: SECRET,
      scope: ENTRA_SCOPE,
    });
    clock += 50 * 60_000; // 50 of its 60 minutes: more than five minutes left
    expect(await tokens.token(signal())).toBe(first);
    expect(entra.upstream.received(entra.path)).toHaveLength(1);
    expect(tokens.current).toBe(first);
  });

  it('renews a token in its last five minutes while answering with it, and never asks twice at once', async () => {
    const tokens = source();
    const start = clock;
    const first = await tokens.token(signal());
    clock = start + 56 * 60_000; // under five minutes left: still good, renewed in the background
    expect(await tokens.token(signal())).toBe(first);
    expect(await tokens.token(signal())).toBe(first);
    clock = start + 61 * 60_000; // expired: waits for the renewal already asked for
    const second = await tokens.token(signal());
    expect(second).toBe(entra.minted[1]);
    expect(second).not.toBe(first);
    expect(entra.upstream.received(entra.path)).toHaveLength(2);
  });

  it('waits for a new token once the held one expired', async () => {
    entra.lifetimeSeconds = 120; // renewed at half its life when that is under five minutes
    const tokens = source();
    const start = clock;
    const first = await tokens.token(signal());
    clock = start + 59_000;
    expect(await tokens.token(signal())).toBe(first);
    expect(entra.upstream.received(entra.path)).toHaveLength(1);
    clock = start + 121_000;
    const second = await tokens.token(signal());
    expect(second).toBe(entra.minted[1]);
    expect(entra.upstream.received(entra.path)).toHaveLength(2);
  });

  it('asks once for many callers at once', async () => {
    const tokens = source();
    const all = await Promise.all(Array.from({ length: 5 }, () => tokens.token(signal())));
    expect(new Set(all).size).toBe(1);
    expect(entra.upstream.received(entra.path)).toHaveLength(1);
  });

  it('lets a caller give up without cancelling the request the others wait on', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    entra.upstream.enqueue('POST', entra.path, {
      holdAt: 0,
      release: held,
      json: { access_token: 'held-token-value-0123', expires_in: 3599 },
    });
    // The held answer is not one FakeEntra minted: the token source takes what the endpoint says.
    const tokens = source();
    const leaving = new AbortController();
    const first = tokens.token(leaving.signal);
    const second = tokens.token(signal());
    await new Promise<void>((resolve) => entra.upstream.progress.once('body', () => resolve()));
    leaving.abort(new Error('client left'));
    await expect(first).rejects.toThrow('client left');
    release();
    expect(await second).toBe('held-token-value-0123');
    expect(entra.upstream.received(entra.path)).toHaveLength(1);
  });

  it('reads a refusal as a 401 of the provider, without the secret, and asks again on the next call', async () => {
    const tokens = source('wrong-secret-value-0123');
    const failure = await tokens.token(signal()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UpstreamFailure);
    expect((failure as UpstreamFailure).statusCode).toBe(401);
    expect((failure as UpstreamFailure).code).toBe('invalid_client');
    expect((failure as Error).message).toContain('AADSTS7000215');
    expect((failure as Error).message).not.toContain('wrong-secret-value-0123');
    await tokens.token(signal()).catch(() => undefined);
    expect(entra.upstream.received(entra.path)).toHaveLength(2);
    expect(tokens.current).toBeUndefined();
  });
});
