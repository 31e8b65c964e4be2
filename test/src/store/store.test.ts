/**
 * One suite, both stores: SQLite in a file and PostgreSQL (the machine's, in a schema of this
 * run's own). Whatever one backend does, the other must do the same.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { bucketOfDuration, percentileOfHistogram } from '../../../src/store/duration-histogram.js';
import { StoreError, statusOfKey, type KeyChange, type SpendRow } from '../../../src/store/store.js';
import { spendEntry } from './spend-samples.js';
import { BACKENDS, type TestBackend } from './store-backends.js';

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A label unique to one test, so tests sharing a database never see each other's rows. */
function unique(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

async function refusal(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe.each(BACKENDS)('store on $name', ({ create }) => {
  let backend: TestBackend;
  let store: SqlStore;
  // Each call a second later, so creation order is time order.
  let clock = Date.parse('2026-03-01T00:00:00.000Z');
  const now = () => new Date((clock += 1000));

  beforeAll(async () => {
    backend = await create('suite');
    store = await backend.open({ now });
  });

  afterAll(async () => {
    await store?.close();
    await backend?.remove();
  });

  describe('teams and keys', () => {
    it('keeps a key with its team, finds it by its SHA-256 only, and never hands the hash out', async () => {
      const team = await store.createTeam({
        name: unique('research'),
        budget: { limitUsd: 250, period: 'monthly' },
        allowedModels: ['gpt-4o*'],
        rateLimits: { chat: 120, tokensPerMinute: 90_000 },
        metadata: { costCentre: 'R-12' },
      });
      const secret = `gwk_${randomUUID()}`;
      const created = await store.createKey({
        name: 'notebook',
        hash: hashOf(secret),
        prefix: secret.slice(0, 8),
        teamId: team.id,
        allowedModels: ['gpt-4o-mini'],
        rateLimits: { chat: 30 },
        budget: { limitUsd: 12.5, period: 'daily' },
        byok: true,
        expiresAt: new Date('2027-01-01T00:00:00.000Z'),
        metadata: { owner: 'ana@example.com', tags: ['lab'] },
      });

      expect(created).toEqual({
        id: expect.stringMatching(/^key_[0-9a-f]{16}$/),
        name: 'notebook',
        prefix: secret.slice(0, 8),
        teamId: team.id,
        allowedModels: ['gpt-4o-mini'],
        rateLimits: { chat: 30 },
        budget: { limitUsd: 12.5, period: 'daily' },
        byok: true,
        expiresAt: new Date('2027-01-01T00:00:00.000Z'),
        metadata: { owner: 'ana@example.com', tags: ['lab'] },
        createdAt: expect.any(Date),
        updatedAt: created.createdAt,
        rotatedAt: null,
        revokedAt: null,
        previousSecretValidUntil: null,
      });
      expect(JSON.stringify(created)).not.toContain(hashOf(secret));
      expect(await store.getKey(created.id)).toEqual(created);
      expect(await store.getTeam(team.id)).toEqual(team);
      expect(team).toMatchObject({
        id: expect.stringMatching(/^team_[0-9a-f]{16}$/),
        budget: { limitUsd: 250, period: 'monthly' },
        allowedModels: ['gpt-4o*'],
        rateLimits: { chat: 120, tokensPerMinute: 90_000 },
        metadata: { costCentre: 'R-12' },
      });

      const match = await store.findKeyByHash(hashOf(secret));
      expect(match).toEqual({ key: created, team, matched: 'current' });
      expect(statusOfKey(match!, new Date('2026-06-01T00:00:00.000Z'))).toBe('active');
      expect(statusOfKey(match!, new Date('2027-01-01T00:00:00.000Z'))).toBe('expired');
      expect(await store.findKeyByHash(hashOf('another secret'))).toBeNull();
      expect(await store.findKeyByHash('not a hash')).toBeNull();
    });

    it('keeps what is not set as null, and takes ids given by the caller', async () => {
      const id = unique('plain');
      const key = await store.createKey({ id, name: 'plain', hash: hashOf(id), prefix: 'gwk_plai' });
      expect(key).toMatchObject({
        id,
        teamId: null,
        allowedModels: null,
        rateLimits: null,
        budget: null,
        byok: false,
        expiresAt: null,
        metadata: {},
      });
      expect((await store.findKeyByHash(hashOf(id)))?.team).toBeNull();
    });

    it('refuses a duplicate id, secret or team name, an unknown team, and a malformed hash', async () => {
      const id = unique('twice');
      await store.createKey({ id, name: 'one', hash: hashOf(id), prefix: 'p' });
      expect(
        (await refusal(store.createKey({ id, name: 'two', hash: hashOf(`${id}2`), prefix: 'p' }))).reason,
      ).toBe('conflict');
      expect((await refusal(store.createKey({ name: 'three', hash: hashOf(id), prefix: 'p' }))).reason).toBe(
        'conflict',
      );
      expect(
        (
          await refusal(
            store.createKey({ name: 'four', hash: hashOf(`${id}4`), prefix: 'p', teamId: 'no-such-team' }),
          )
        ).reason,
      ).toBe('not_found');
      expect((await refusal(store.createKey({ name: 'five', hash: 'ABC', prefix: 'p' }))).reason).toBe(
        'invalid',
      );
      const name = unique('team');
      await store.createTeam({ name });
      expect((await refusal(store.createTeam({ name }))).reason).toBe('conflict');
    });

    it('lists keys newest first, a page at a time, by team, with revoked keys only when asked', async () => {
      const team = await store.createTeam({ name: unique('paged') });
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        const key = await store.createKey({
          name: `key ${index}`,
          hash: hashOf(unique('paged')),
          prefix: 'p',
          teamId: team.id,
        });
        ids.push(key.id);
      }
      await store.revokeKey(ids[2]!);

      const first = await store.listKeys({ teamId: team.id, limit: 2 });
      expect(first.items.map((key) => key.id)).toEqual([ids[4], ids[3]]);
      const second = await store.listKeys({ teamId: team.id, limit: 2, cursor: first.nextCursor });
      expect(second.items.map((key) => key.id)).toEqual([ids[1], ids[0]]);
      expect(second.nextCursor).toBeNull();

      const all = await store.listKeys({ teamId: team.id, includeRevoked: true });
      expect(all.items.map((key) => key.id)).toEqual([...ids].reverse());
      expect(all.nextCursor).toBeNull();

      expect((await refusal(store.listKeys({ cursor: 'not-a-cursor' }))).reason).toBe('invalid');
      expect((await refusal(store.listKeys({ limit: 0 }))).reason).toBe('invalid');
      expect((await refusal(store.listKeys({ limit: 1001 }))).reason).toBe('invalid');
    });

    it('lists teams oldest first, a page at a time', async () => {
      const created = [];
      for (let index = 0; index < 3; index++)
        created.push(await store.createTeam({ name: unique('listed') }));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listTeams({ limit: 2, cursor });
        seen.push(...page.items.map((team) => team.id));
        cursor = page.nextCursor;
      } while (cursor);
      const order = created.map((team) => seen.indexOf(team.id));
      expect(order.every((position) => position >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    });

    it('updates limits, budget, models, team and expiry, and clears what is set to null', async () => {
      const team = await store.createTeam({ name: unique('moved') });
      const key = await store.createKey({
        name: 'before',
        hash: hashOf(unique('updated')),
        prefix: 'p',
        allowedModels: ['a*'],
        budget: { limitUsd: 1, period: 'daily' },
        metadata: { a: 1 },
      });
      const updated = await store.updateKey(key.id, {
        name: 'after',
        teamId: team.id,
        rateLimits: { embeddings: 5 },
        budget: null,
        allowedModels: null,
        expiresAt: new Date('2026-12-31T00:00:00.000Z'),
        byok: true,
      });
      expect(updated).toEqual({
        ...key,
        name: 'after',
        teamId: team.id,
        rateLimits: { embeddings: 5 },
        budget: null,
        allowedModels: null,
        expiresAt: new Date('2026-12-31T00:00:00.000Z'),
        byok: true,
        updatedAt: expect.any(Date),
      });
      expect(updated.updatedAt.getTime()).toBeGreaterThan(key.updatedAt.getTime());
      expect(await store.getKey(key.id)).toEqual(updated);

      expect((await refusal(store.updateKey(key.id, { teamId: 'no-such-team' }))).reason).toBe('not_found');
      expect((await refusal(store.updateKey('no-such-key', { name: 'x' }))).reason).toBe('not_found');
      await store.revokeKey(key.id);
      expect((await refusal(store.updateKey(key.id, { name: 'x' }))).reason).toBe('conflict');
    });

    it('updates a team, and refuses to delete it while a key that is not revoked belongs to it', async () => {
      const team = await store.createTeam({
        name: unique('doomed'),
        budget: { limitUsd: 5, period: 'daily' },
      });
      const updated = await store.updateTeam(team.id, {
        budget: { limitUsd: 50, period: 'monthly' },
        allowedModels: ['*'],
        rateLimits: { chat: 10 },
        metadata: { note: 'grown' },
      });
      expect(updated).toEqual({
        ...team,
        budget: { limitUsd: 50, period: 'monthly' },
        allowedModels: ['*'],
        rateLimits: { chat: 10 },
        metadata: { note: 'grown' },
        updatedAt: expect.any(Date),
      });
      const key = await store.createKey({
        name: 'member',
        hash: hashOf(unique('member')),
        prefix: 'p',
        teamId: team.id,
      });

      const refused = await refusal(store.deleteTeam(team.id));
      expect(refused.reason).toBe('conflict');
      expect(refused.message).toContain('1 key');
      await store.revokeKey(key.id);
      await store.deleteTeam(team.id);
      expect(await store.getTeam(team.id)).toBeNull();
      expect((await store.getKey(key.id))?.teamId).toBeNull();
      expect((await refusal(store.deleteTeam(team.id))).reason).toBe('not_found');
      expect((await refusal(store.updateTeam(team.id, { name: 'x' }))).reason).toBe('not_found');
    });

    it('rotates a key: the new secret works, the old one until the grace period ends', async () => {
      const oldSecret = unique('old');
      const newSecret = unique('new');
      const key = await store.createKey({ name: 'rotated', hash: hashOf(oldSecret), prefix: 'gwk_old' });
      const graceEnd = new Date('2026-04-01T00:00:00.000Z');
      const rotated = await store.rotateKey(key.id, {
        hash: hashOf(newSecret),
        prefix: 'gwk_new',
        previousValidUntil: graceEnd,
      });
      expect(rotated).toMatchObject({
        prefix: 'gwk_new',
        previousSecretValidUntil: graceEnd,
        rotatedAt: expect.any(Date),
      });

      const current = await store.findKeyByHash(hashOf(newSecret));
      const previous = await store.findKeyByHash(hashOf(oldSecret));
      expect(current?.matched).toBe('current');
      expect(previous?.matched).toBe('previous');
      expect(previous?.key.id).toBe(key.id);
      expect(statusOfKey(previous!, new Date('2026-03-31T23:59:59.000Z'))).toBe('active');
      expect(statusOfKey(previous!, graceEnd)).toBe('replaced');
      expect(statusOfKey(current!, graceEnd)).toBe('active');

      // A second rotation forgets the first secret entirely.
      const third = unique('third');
      await store.rotateKey(key.id, { hash: hashOf(third), prefix: 'gwk_thi', previousValidUntil: null });
      expect(await store.findKeyByHash(hashOf(oldSecret))).toBeNull();
      const replaced = await store.findKeyByHash(hashOf(newSecret));
      expect(statusOfKey(replaced!, new Date('2026-03-01T00:00:00.000Z'))).toBe('replaced');
    });

    it('revokes once (revoking again changes nothing), and tells listeners of every change', async () => {
      const changes: KeyChange[] = [];
      const stop = store.onKeyChange((change) => changes.push(change));
      try {
        const secret = unique('revoked');
        const key = await store.createKey({ name: 'revoked', hash: hashOf(secret), prefix: 'p' });
        const revoked = await store.revokeKey(key.id);
        expect(revoked.revokedAt).toBeInstanceOf(Date);
        expect(await store.revokeKey(key.id)).toEqual(revoked);
        const match = await store.findKeyByHash(hashOf(secret));
        expect(statusOfKey(match!, new Date())).toBe('revoked');
        expect(
          (
            await refusal(
              store.rotateKey(key.id, { hash: hashOf('x'), prefix: 'p', previousValidUntil: null }),
            )
          ).reason,
        ).toBe('conflict');
        expect((await refusal(store.revokeKey('no-such-key'))).reason).toBe('not_found');

        const team = await store.createTeam({ name: unique('told') });
        await store.updateTeam(team.id, { rateLimits: { chat: 1 } });
        expect(changes).toEqual([
          { kind: 'key', hashes: [hashOf(secret)] },
          { kind: 'key', hashes: [hashOf(secret)] },
          { kind: 'team', teamId: team.id },
        ]);
      } finally {
        stop();
      }
    });
  });

  describe('spend', () => {
    it('writes rows and their daily rollups together, and counts a row written twice once', async () => {
      const keyId = unique('writer');
      const entries = [
        spendEntry({ keyId, costUsd: 0.25 }),
        spendEntry({ keyId, costUsd: 0.75, promptTokens: 300, cacheWriteTokens: 40, reasoningTokens: 7 }),
      ];
      expect(await store.writeSpend(entries)).toBe(2);
      expect(await store.writeSpend([...entries, entries[0]!])).toBe(0);
      expect(await store.writeSpend([])).toBe(0);

      const page = await store.listSpend({ keyId });
      expect(page.items).toHaveLength(2);
      expect(page.items.find((row) => row.id === entries[1]!.id)).toEqual(entries[1]);
      const [summary, ...others] = await store.summarizeSpend({
        from: '2026-03-01',
        to: '2026-03-01',
        keyId,
      });
      expect(others).toEqual([]);
      expect(summary).toMatchObject({
        requests: 2,
        promptTokens: 400,
        completionTokens: 40,
        reasoningTokens: 7,
        cachedTokens: 20,
        cacheWriteTokens: 40,
        costUsd: 1,
        errors: 0,
        cacheHits: 0,
      });
      expect(summary!.latency[bucketOfDuration(812.5)]).toBe(2);
      expect(summary!.overhead[bucketOfDuration(1.25)]).toBe(2);
      // The same figures, per hour.
      expect(
        await store.summarizeSpend({
          from: '2026-03-01T10:59:59.999Z',
          to: '2026-03-01T10:00:00.000Z',
          grain: 'hour',
          keyId,
          groupBy: ['hour'],
        }),
      ).toEqual([{ ...summary, hour: '2026-03-01T10:00:00.000Z' }]);
    });

    it('counts errors and cache hits exactly, and gives percentiles within one bucket of the true ones', async () => {
      const keyId = unique('figures');
      // 200 calls whose latencies spread from 3 ms to about 40 s, overheads from 0.05 to 25 ms;
      // every 7th failed one way or another, every 5th answered from the cache, every 11th unmeasured.
      const failures = [
        { status: 502, outcome: 'upstream_error' },
        { status: 504, outcome: 'timeout' },
        { status: 500, outcome: 'gateway_error' },
        { status: 429, outcome: 'completed' },
        // A stream cut upstream after its 200 went out.
        { status: 200, outcome: 'upstream_error' },
      ];
      const entries = Array.from({ length: 200 }, (_, index) =>
        spendEntry({
          keyId,
          at: new Date(Date.UTC(2026, 7, 3, 9 + (index % 3), index % 60)),
          latencyMs: index % 11 === 0 ? null : 3 * 1.05 ** index,
          overheadMs: index % 11 === 0 ? null : 0.05 * 1.032 ** index,
          cacheResult: index % 5 === 0 ? 'hit' : index % 2 === 0 ? 'miss' : null,
          // A client going away is not an error.
          ...(index % 7 === 0
            ? failures[(index / 7) % failures.length]!
            : index % 13 === 0
              ? { status: 200, outcome: 'client_closed' }
              : {}),
        }),
      );
      await store.writeSpend(entries.slice(0, 120));
      await store.writeSpend(entries.slice(120));
      const errors = entries.filter((entry, index) => index % 7 === 0).length;
      const hits = entries.filter((entry) => entry.cacheResult === 'hit').length;
      const trueShare = (values: number[], share: number) =>
        [...values].sort((a, b) => a - b)[Math.ceil(share * values.length) - 1]!;
      const latencies = entries.flatMap((entry) => (entry.latencyMs === null ? [] : [entry.latencyMs]));
      const overheads = entries.flatMap((entry) => (entry.overheadMs === null ? [] : [entry.overheadMs]));
      const withinOneBucket = (reported: number | null, truth: number) => {
        expect(reported).not.toBeNull();
        expect(Math.abs(bucketOfDuration(reported!) - bucketOfDuration(truth))).toBeLessThanOrEqual(1);
      };

      for (const grain of ['day', 'hour'] as const) {
        const range =
          grain === 'day'
            ? { from: '2026-08-03', to: '2026-08-03' }
            : { from: '2026-08-03T09:00:00Z', to: '2026-08-03T11:00:00Z' };
        const [totals] = await store.summarizeSpend({ ...range, grain, keyId });
        expect(totals).toMatchObject({ requests: 200, errors, cacheHits: hits });
        withinOneBucket(percentileOfHistogram(totals!.latency, 0.5), trueShare(latencies, 0.5));
        withinOneBucket(percentileOfHistogram(totals!.latency, 0.95), trueShare(latencies, 0.95));
        withinOneBucket(percentileOfHistogram(totals!.overhead, 0.5), trueShare(overheads, 0.5));
        withinOneBucket(percentileOfHistogram(totals!.overhead, 0.95), trueShare(overheads, 0.95));
        expect(totals!.latency.reduce((sum, count) => sum + count, 0)).toBe(latencies.length);
      }

      // Without the buckets: the same counts, no durations.
      const [counts] = await store.summarizeSpend({
        from: '2026-08-03',
        to: '2026-08-03',
        keyId,
        durations: false,
      });
      expect(counts).toMatchObject({ requests: 200, errors, cacheHits: hits });
      expect(percentileOfHistogram(counts!.latency, 0.5)).toBeNull();

      // Per hour: the three hours' counts are those of their own rows, and add up to the day's.
      const hours = await store.summarizeSpend({
        from: '2026-08-03T00:00:00Z',
        to: '2026-08-03T23:59:59Z',
        grain: 'hour',
        keyId,
        groupBy: ['hour'],
      });
      expect(hours.map((row) => row.hour)).toEqual([
        '2026-08-03T09:00:00.000Z',
        '2026-08-03T10:00:00.000Z',
        '2026-08-03T11:00:00.000Z',
      ]);
      hours.forEach((row, hour) => {
        const own = entries.filter((_, index) => index % 3 === hour);
        expect(row).toMatchObject({
          requests: own.length,
          errors: own.filter((entry) => entries.indexOf(entry) % 7 === 0).length,
          cacheHits: own.filter((entry) => entry.cacheResult === 'hit').length,
        });
      });
      // One hour alone.
      expect(
        (
          await store.summarizeSpend({
            from: '2026-08-03T10:15:00Z',
            to: '2026-08-03T10:45:00Z',
            grain: 'hour',
            keyId,
          })
        )[0]?.requests,
      ).toBe(hours[1]!.requests);
    });

    it('refuses an hourly series at the daily grain, a daily one at the hourly grain, and a bad instant', async () => {
      const range = { from: '2026-08-03T00:00:00Z', to: '2026-08-03T05:00:00Z' };
      expect(
        (await refusal(store.summarizeSpend({ ...range, grain: 'hour', groupBy: ['day'] }))).reason,
      ).toBe('invalid');
      expect(
        (await refusal(store.summarizeSpend({ from: '2026-08-03', to: '2026-08-03', groupBy: ['hour'] })))
          .reason,
      ).toBe('invalid');
      expect(
        (await refusal(store.summarizeSpend({ from: 'noon', to: range.to, grain: 'hour' }))).reason,
      ).toBe('invalid');
    });

    it('stores every outcome and the estimated flag, and no prompt or answer field exists', async () => {
      const keyId = unique('outcomes');
      const outcomes = ['completed', 'client_closed', 'upstream_error', 'timeout', 'gateway_error'];
      await store.writeSpend(
        outcomes.map((outcome, index) =>
          spendEntry({
            keyId,
            outcome,
            estimated: outcome === 'client_closed',
            status: outcome === 'completed' ? 200 : 502,
            at: new Date(Date.UTC(2026, 2, 1, 10, 0, index)),
          }),
        ),
      );
      const rows = (await store.listSpend({ keyId })).items;
      expect(rows.map((row) => row.outcome)).toEqual([...outcomes].reverse());
      expect(rows.find((row) => row.outcome === 'client_closed')?.estimated).toBe(true);
      expect(rows.filter((row) => row.estimated)).toHaveLength(1);
      expect(Object.keys(rows[0]!).sort()).toEqual(Object.keys(spendEntry()).sort());
    });

    it('accepts what a database would refuse (NUL characters, long names, NaN), so no batch fails on one row', async () => {
      const keyId = unique('odd');
      const entry = spendEntry({
        keyId,
        requestedModel: `gpt\u0000-${'x'.repeat(5000)}`,
        requestId: 'id\u0000with-nul',
        costUsd: Number.NaN,
        promptTokens: 12.6,
        completionTokens: -3,
        latencyMs: Number.POSITIVE_INFINITY,
      });
      expect(await store.writeSpend([entry])).toBe(1);
      const [row] = (await store.listSpend({ keyId })).items;
      expect(row?.requestedModel).toBe(`gpt-${'x'.repeat(252)}`);
      expect(row?.requestId).toBe('idwith-nul');
      expect(row).toMatchObject({ costUsd: 0, promptTokens: 13, completionTokens: 0, latencyMs: null });
    });

    it('filters the request log by time, key, team, model, provider, status, outcome and request id', async () => {
      const keyId = unique('filtered');
      const teamId = unique('filtered-team');
      const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 12, minute));
      const rows = [
        spendEntry({ keyId, at: at(0), requestId: unique('r0') }),
        spendEntry({
          keyId,
          teamId,
          at: at(1),
          model: 'gemini-2.5-pro',
          requestedModel: 'smart',
          provider: 'gemini',
        }),
        spendEntry({ keyId, teamId, at: at(2), status: 429, outcome: 'upstream_error', model: null }),
        spendEntry({ keyId, at: at(3), outcome: 'client_closed', estimated: true }),
      ];
      await store.writeSpend(rows);
      const ids = async (filter: Parameters<SqlStore['listSpend']>[0]) =>
        (await store.listSpend({ keyId, ...filter })).items.map((row) => row.id);

      expect(await ids({})).toEqual([rows[3]!.id, rows[2]!.id, rows[1]!.id, rows[0]!.id]);
      expect(await ids({ from: at(1), to: at(3) })).toEqual([rows[2]!.id, rows[1]!.id]);
      expect(await ids({ teamId })).toEqual([rows[2]!.id, rows[1]!.id]);
      expect(await ids({ model: 'smart' })).toEqual([rows[1]!.id]);
      expect(await ids({ model: 'gemini-2.5-pro' })).toEqual([rows[1]!.id]);
      expect(await ids({ model: 'gpt-4o' })).toEqual([rows[3]!.id, rows[2]!.id, rows[0]!.id]);
      expect(await ids({ provider: 'gemini' })).toEqual([rows[1]!.id]);
      expect(await ids({ status: 429 })).toEqual([rows[2]!.id]);
      expect(await ids({ outcome: 'client_closed' })).toEqual([rows[3]!.id]);
      expect(await ids({ requestId: rows[0]!.requestId })).toEqual([rows[0]!.id]);
      expect(await ids({ keyId: 'nobody' })).toEqual([]);
    });

    it('pages through the log newest first without skipping or repeating rows of the same instant', async () => {
      const keyId = unique('paged');
      const instant = new Date('2026-03-03T08:00:00.000Z');
      const rows = Array.from({ length: 7 }, (_, index) =>
        spendEntry({ keyId, at: index < 5 ? instant : new Date(instant.getTime() + index * 1000) }),
      );
      await store.writeSpend(rows);
      const seen: SpendRow[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await store.listSpend({ keyId, limit: 3, cursor });
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(new Set(seen.map((row) => row.id)).size).toBe(7);
      const times = seen.map((row) => row.at.getTime());
      expect([...times].sort((a, b) => b - a)).toEqual(times);

      const iterated: string[] = [];
      for await (const row of store.iterateSpend({ keyId })) iterated.push(row.id);
      expect(iterated).toEqual(seen.map((row) => row.id));
    });

    it('iterates over more rows than one page holds', async () => {
      const keyId = unique('exported');
      const rows = Array.from({ length: 1203 }, (_, index) =>
        spendEntry({ keyId, at: new Date(Date.UTC(2026, 2, 4, 0, 0, 0, index)) }),
      );
      expect(await store.writeSpend(rows)).toBe(1203);
      let count = 0;
      let previous = Number.POSITIVE_INFINITY;
      for await (const row of store.iterateSpend({ keyId })) {
        expect(row.at.getTime()).toBeLessThanOrEqual(previous);
        previous = row.at.getTime();
        count++;
      }
      expect(count).toBe(1203);
    });

    it('sums totals and series by day, key, team, model and provider over a range of days', async () => {
      const teamId = unique('summed');
      const keyA = unique('summed-a');
      const keyB = unique('summed-b');
      const day = (date: number, hour = 12) => new Date(Date.UTC(2026, 4, date, hour));
      await store.writeSpend([
        spendEntry({ keyId: keyA, teamId, at: day(1), costUsd: 1 }),
        spendEntry({
          keyId: keyA,
          teamId,
          at: day(1, 23),
          costUsd: 2,
          model: 'gpt-4o-mini',
          requestedModel: 'mini',
        }),
        spendEntry({
          keyId: keyB,
          teamId,
          at: day(2, 0),
          costUsd: 4,
          provider: 'gemini',
          model: 'gemini-2.5-flash',
        }),
        spendEntry({ keyId: keyB, teamId, at: day(3), costUsd: 8 }),
        spendEntry({ keyId: keyB, teamId: null, at: day(3), costUsd: 16 }),
      ]);
      const sum = (rows: { costUsd: number }[]) => rows.map((row) => row.costUsd);

      expect(sum(await store.summarizeSpend({ from: '2026-05-01', to: '2026-05-31', teamId }))).toEqual([15]);
      expect(
        (await store.summarizeSpend({ from: '2026-05-01', to: '2026-05-31', teamId, groupBy: ['day'] })).map(
          ({ day, costUsd, requests }) => ({ day, costUsd, requests }),
        ),
      ).toEqual([
        { day: '2026-05-01', costUsd: 3, requests: 2 },
        { day: '2026-05-02', costUsd: 4, requests: 1 },
        { day: '2026-05-03', costUsd: 8, requests: 1 },
      ]);
      expect(
        (
          await store.summarizeSpend({ from: '2026-05-02', to: '2026-05-03', keyId: keyB, groupBy: ['team'] })
        ).map(({ teamId: team, costUsd }) => ({ team, costUsd })),
      ).toEqual(
        [
          { team: null, costUsd: 16 },
          { team: teamId, costUsd: 12 },
        ].sort((a, b) => String(a.team ?? '').localeCompare(String(b.team ?? ''))),
      );
      const byModel = await store.summarizeSpend({
        from: '2026-05-01',
        to: '2026-05-31',
        teamId,
        groupBy: ['model', 'provider'],
      });
      expect(byModel.map(({ model, provider, costUsd }) => ({ model, provider, costUsd }))).toEqual([
        { model: 'gemini-2.5-flash', provider: 'gemini', costUsd: 4 },
        { model: 'gpt-4o-2024-08-06', provider: 'openai', costUsd: 9 },
        { model: 'gpt-4o-mini', provider: 'openai', costUsd: 2 },
      ]);
      const series = await store.summarizeSpend({
        from: '2026-05-01',
        to: '2026-05-31',
        teamId,
        groupBy: ['key', 'day'],
      });
      expect(
        series.map(({ keyId, day, costUsd }) => `${keyId === keyA ? 'a' : 'b'} ${day} ${costUsd}`).sort(),
      ).toEqual(['a 2026-05-01 3', 'b 2026-05-02 4', 'b 2026-05-03 8']);
      expect(
        sum(await store.summarizeSpend({ from: '2026-05-01', to: '2026-05-01', provider: 'gemini', teamId })),
      ).toEqual([0]);
      expect(
        sum(
          await store.summarizeSpend({
            from: '2026-05-01',
            to: '2026-05-02',
            model: 'gemini-2.5-flash',
            teamId,
          }),
        ),
      ).toEqual([4]);

      expect((await refusal(store.summarizeSpend({ from: 'May', to: '2026-05-02' }))).reason).toBe('invalid');
      expect(
        (
          await refusal(
            store.summarizeSpend({ from: '2026-05-01', to: '2026-05-02', groupBy: ['colour' as 'day'] }),
          )
        ).reason,
      ).toBe('invalid');
    });

    it('tells what a key and a team spent in the current day and month', async () => {
      const teamId = unique('budget-team');
      const keyId = unique('budget-key');
      await store.writeSpend([
        spendEntry({ keyId, teamId, at: new Date('2026-06-30T23:59:59.000Z'), costUsd: 100 }),
        spendEntry({ keyId, teamId, at: new Date('2026-07-01T00:00:00.000Z'), costUsd: 1 }),
        spendEntry({ keyId, teamId, at: new Date('2026-07-14T09:00:00.000Z'), costUsd: 2 }),
        spendEntry({ keyId, teamId, at: new Date('2026-07-15T09:00:00.000Z'), costUsd: 4 }),
        spendEntry({ keyId: unique('other'), teamId, at: new Date('2026-07-15T10:00:00.000Z'), costUsd: 8 }),
      ]);
      const now = new Date('2026-07-15T12:00:00.000Z');
      expect(await store.spentInPeriod({ keyId }, 'daily', now)).toBe(4);
      expect(await store.spentInPeriod({ keyId }, 'monthly', now)).toBe(7);
      expect(await store.spentInPeriod({ teamId }, 'daily', now)).toBe(12);
      expect(await store.spentInPeriod({ teamId }, 'monthly', now)).toBe(15);
      expect(await store.spentInPeriod({ keyId: 'nobody' }, 'monthly', now)).toBe(0);
    });

    it('deletes rows past retention and their hours, and keeps the daily rollups', async () => {
      const keyId = unique('retained');
      await store.writeSpend([
        spendEntry({ keyId, at: new Date('2025-01-01T00:00:00.000Z'), costUsd: 1 }),
        spendEntry({ keyId, at: new Date('2025-01-02T00:00:00.000Z'), costUsd: 2 }),
      ]);
      const hours = {
        from: '2025-01-01T00:00:00Z',
        to: '2025-01-02T00:00:00Z',
        grain: 'hour' as const,
        keyId,
      };
      expect((await store.summarizeSpend({ ...hours, groupBy: ['hour'] })).map((row) => row.costUsd)).toEqual(
        [1, 2],
      );
      expect(await store.deleteSpendBefore(new Date('2025-01-02T00:00:00.000Z'))).toBeGreaterThanOrEqual(1);
      expect((await store.listSpend({ keyId })).items.map((row) => row.costUsd)).toEqual([2]);
      expect(
        (await store.summarizeSpend({ from: '2025-01-01', to: '2025-01-02', keyId, groupBy: ['day'] })).map(
          (row) => row.costUsd,
        ),
      ).toEqual([1, 2]);
      expect((await store.summarizeSpend({ ...hours, groupBy: ['hour'] })).map((row) => row.costUsd)).toEqual(
        [2],
      );
    });
  });

  it('keeps keys, teams and spend across a close and a new open', async () => {
    const secret = unique('kept');
    const team = await store.createTeam({ name: unique('kept') });
    const key = await store.createKey({ name: 'kept', hash: hashOf(secret), prefix: 'p', teamId: team.id });
    const keyId = key.id;
    await store.writeSpend([spendEntry({ keyId, costUsd: 3 })]);
    await store.close();
    store = await backend.open({ now });
    expect((await store.findKeyByHash(hashOf(secret)))?.key).toEqual(key);
    expect(await store.spentInPeriod({ keyId }, 'monthly', new Date('2026-03-20T00:00:00.000Z'))).toBe(3);
    expect((await store.listSpend({ keyId })).items).toHaveLength(1);
    await store.ping();
  });
});
