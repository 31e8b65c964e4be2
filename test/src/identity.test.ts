import type * as crypto from 'node:crypto';
import { createHash, timingSafeEqual } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { KeyRing, formatKeyHash, hashPrefixOf, hashKey, presentedKey, queryKey } from '../../src/identity.js';
import { buildKeyRing } from '../../plugins/auth.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const CLIENT_KEY = 'gwk_client-key-for-unit-tests';
const client = {
  id: 'team-a',
  name: 'Team A',
  keyHash: formatKeyHash(CLIENT_KEY),
  allowedModels: ['gpt-4o*', 'openai/*'],
  rateLimits: { chat: 5, tokensPerMinute: 1000 },
  budget: { limitUsd: 25, period: 'monthly' as const },
  byok: true,
};

describe('KeyRing', () => {
  it('compares the presented key with crypto.timingSafeEqual on the SHA-256 digests', () => {
    const ring = new KeyRing(['gateway-key-1234']);
    vi.mocked(timingSafeEqual).mockClear();
    const identity = ring.identify('gateway-key-1234');
    expect(identity?.kind).toBe('gateway');
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [stored, presented] = vi.mocked(timingSafeEqual).mock.calls[0]!;
    const digest = createHash('sha256').update('gateway-key-1234').digest();
    expect(Buffer.from(stored as Uint8Array).equals(digest)).toBe(true);
    expect(Buffer.from(presented as Uint8Array).equals(digest)).toBe(true);
  });

  it('gives every gateway key its own identity, named after its digest', () => {
    const ring = new KeyRing(['gateway-key-1111', 'gateway-key-2222']);
    const first = ring.identify('gateway-key-1111')!;
    const second = ring.identify('gateway-key-2222')!;
    expect(first.id).toBe(`key_${hashKey('gateway-key-1111').toString('hex', 0, 6)}`);
    expect(first.id).not.toBe(second.id);
    expect(first.scope).not.toBe(second.scope);
    expect(first.rateLimitKeys.chat).not.toBe(second.rateLimitKeys.chat);
    expect(ring.identify('gateway-key-3333')).toBeUndefined();
  });

  it('knows a client by the hash of its key only, and carries its settings in the identity', () => {
    const ring = new KeyRing();
    ring.addClient(client);
    const identity = ring.identify(CLIENT_KEY)!;
    expect(identity).toMatchObject({
      id: 'team-a',
      kind: 'client',
      name: 'Team A',
      scope: 'client:team-a',
      requestsPerMinute: { chat: 5 },
      tokensPerMinute: 1000,
      budget: { limitUsd: 25, period: 'monthly' },
      byok: true,
    });
    expect(identity.allowsModel?.('gpt-4o-mini')).toBe(true);
    expect(identity.allowsModel?.('openai/gpt-5')).toBe(true);
    expect(identity.allowsModel?.('gemini-2.5-pro')).toBe(false);
    // Nothing reachable from the identity holds the key.
    expect(JSON.stringify(identity)).not.toContain(CLIENT_KEY);
    expect(Object.isFrozen(identity)).toBe(true);
  });

  it('refuses the same key or the same client id twice', () => {
    const ring = new KeyRing();
    ring.addClient(client);
    expect(() => ring.addClient({ ...client, id: 'team-b' })).toThrow(/same key/);
    expect(() => ring.addClient({ ...client, keyHash: formatKeyHash('another-key-123') })).toThrow(
      /team-a is used twice/,
    );
  });

  it('keeps a 12-digit hash prefix for logs', () => {
    expect(hashPrefixOf(hashKey('x'))).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('auth modes', () => {
  it('gateway: GATEWAY_API_KEYS only; client: clients only; hybrid: both', () => {
    const gatewayRing = buildKeyRing({ apiKeys: ['gateway-key-1234'], mode: 'gateway', clients: [] });
    expect(gatewayRing.identify('gateway-key-1234')?.kind).toBe('gateway');
    const clientRing = buildKeyRing({ apiKeys: [], mode: 'client', clients: [client] });
    expect(clientRing.identify(CLIENT_KEY)?.kind).toBe('client');
    const hybrid = buildKeyRing({ apiKeys: ['gateway-key-1234'], mode: 'hybrid', clients: [client] });
    expect(hybrid.identify('gateway-key-1234')?.kind).toBe('gateway');
    expect(hybrid.identify(CLIENT_KEY)?.kind).toBe('client');
  });

  it('refuses settings the mode would silently ignore, naming them', () => {
    expect(() => buildKeyRing({ apiKeys: [], mode: 'gateway', clients: [client] })).toThrow(
      /auth.clients is set but AUTH_MODE/,
    );
    expect(() => buildKeyRing({ apiKeys: ['gateway-key-1234'], mode: 'client', clients: [] })).toThrow(
      /GATEWAY_API_KEYS .* is set but AUTH_MODE/,
    );
  });
});

describe('presentedKey', () => {
  it('reads Authorization: Bearer and X-API-Key', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': 'def' })).toBe('def');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
  });

  it("reads x-goog-api-key, the header Google's SDKs send", () => {
    expect(presentedKey({ 'x-goog-api-key': ' ghi ' })).toBe('ghi');
    expect(presentedKey({ authorization: 'Bearer abc', 'x-goog-api-key': 'ghi' })).toBe('abc');
  });
});

describe('queryKey', () => {
  it('reads the key query parameter, the first when repeated', () => {
    expect(queryKey({ key: 'abc' })).toBe('abc');
    expect(queryKey({ key: ['abc', 'def'] })).toBe('abc');
    expect(queryKey({ key: '  ' })).toBeUndefined();
    expect(queryKey({ alt: 'sse' })).toBeUndefined();
    expect(queryKey(undefined)).toBeUndefined();
  });
});
