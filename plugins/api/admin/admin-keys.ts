/**
 * /admin/keys: create (the secret answered once), list, read, update, rotate (the old secret kept
 * for a grace period) and revoke store keys; configured keys are listed and read, never changed.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AdminIdParams,
  AdminKeyCreateBody,
  AdminKeyListQuery,
  AdminKeyRotateBody,
  AdminKeyUpdateBody,
} from '../../../schemas/admin.js';
import { GatewayError } from '../../../src/errors.js';
import {
  DEFAULT_ROTATION_GRACE_SECONDS,
  createStoreKey,
  rotateStoreKey,
} from '../../../src/store/manage-keys.js';
import { StoreError, type KeyChanges } from '../../../src/store/store.js';
import { convertStoreErrorToAdminError, withStore } from './admin-errors.js';
import {
  convertBudgetFromWire,
  convertConfigKeyToWire,
  convertRateLimitsFromWire,
  convertStoredKeyToWire,
  convertStoredKeyWithSecretToWire,
} from './convert-admin-records.js';
import type { AdminContext } from './index.js';

const errors = {
  400: Type.Ref('ErrorResponse'),
  403: Type.Ref('ErrorResponse'),
  404: Type.Ref('ErrorResponse'),
  409: Type.Ref('ErrorResponse'),
  503: Type.Ref('ErrorResponse'),
};

type KeyBody = typeof AdminKeyUpdateBody.static;

function keyChangesOf(body: KeyBody): KeyChanges {
  const changes: KeyChanges = {};
  if (body.name !== undefined) changes.name = body.name;
  if (body.team_id !== undefined) changes.teamId = body.team_id;
  if (body.allowed_models !== undefined) changes.allowedModels = body.allowed_models;
  if (body.rate_limits !== undefined) changes.rateLimits = convertRateLimitsFromWire(body.rate_limits);
  if (body.budget !== undefined) changes.budget = convertBudgetFromWire(body.budget);
  if (body.byok !== undefined) changes.byok = body.byok;
  if (body.expires_at !== undefined)
    changes.expiresAt = body.expires_at === null ? null : new Date(body.expires_at);
  if (body.metadata !== undefined) changes.metadata = body.metadata;
  return changes;
}

export const adminKeyRoutes: FastifyPluginAsync<{ context: AdminContext }> = async (
  instance,
  { context },
) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  const configKey = (id: string) => context.configKeys.find((key) => key.id === id);
  const refuseConfigKey = (id: string) => {
    if (configKey(id)) {
      throw new GatewayError('GW_ERR_ADMIN_READ_ONLY', {
        message: `The key ${id} comes from the configuration: change it there (auth.clients or GATEWAY_API_KEYS).`,
      });
    }
  };

  fastify.post(
    '/admin/keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a key (its secret is in this answer only)',
        body: AdminKeyCreateBody,
        response: { 201: Type.Ref('AdminKeyWithSecret'), ...errors },
      },
    },
    async (request, reply) => {
      const store = context.requireStore();
      const body = request.body;
      if (body.id !== undefined && configKey(body.id)) {
        throw new GatewayError('GW_ERR_ADMIN_CONFLICT', {
          message: `The id ${body.id} is a configured key's.`,
          param: 'id',
        });
      }
      const created = await createStoreKey(store, {
        ...(body.id !== undefined ? { id: body.id } : {}),
        ...keyChangesOf(body),
        name: body.name,
      }).catch((error: unknown) => {
        // An unknown team is a value the request got wrong, not a missing key.
        if (error instanceof StoreError && error.reason === 'not_found') {
          throw new GatewayError('GW_ERR_ADMIN_INVALID', { message: error.message, param: 'team_id' });
        }
        throw convertStoreErrorToAdminError(error, request.log);
      });
      request.log.info({ event: 'admin_key_created', key: created.key.id }, 'key created');
      return reply.code(201).send(convertStoredKeyWithSecretToWire(created.key, created.secret, new Date()));
    },
  );

  fastify.get(
    '/admin/keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'List keys: configured ones (read-only) on the first page, then the store, newest first',
        querystring: AdminKeyListQuery,
        response: { 200: Type.Ref('AdminKeyList'), ...errors },
      },
    },
    async (request) => {
      const query = request.query;
      const source = query.source ?? 'all';
      const now = new Date();
      const data = [];
      const first = query.cursor === undefined;
      if (source !== 'store' && first && query.team_id === undefined) {
        data.push(...context.configKeys.map(convertConfigKeyToWire));
      }
      let nextCursor: string | null = null;
      if (source !== 'config') {
        const store = context.requireStore();
        const page = await withStore(request.log, () =>
          store.listKeys({
            ...(query.team_id !== undefined ? { teamId: query.team_id } : {}),
            includeRevoked: query.include_revoked === true,
            ...(query.limit !== undefined ? { limit: query.limit } : {}),
            cursor: query.cursor ?? null,
          }),
        );
        data.push(...page.items.map((key) => convertStoredKeyToWire(key, now)));
        nextCursor = page.nextCursor;
      }
      return { object: 'list' as const, data, next_cursor: nextCursor };
    },
  );

  fastify.get(
    '/admin/keys/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Read a key',
        params: AdminIdParams,
        response: { 200: Type.Ref('AdminKey'), ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const declared = configKey(id);
      if (declared) return convertConfigKeyToWire(declared);
      const store = context.requireStore();
      const key = await withStore(request.log, () => store.getKey(id));
      if (key === null) throw new GatewayError('GW_ERR_ADMIN_NOT_FOUND', { message: `No key ${id}.` });
      return convertStoredKeyToWire(key, new Date());
    },
  );

  fastify.patch(
    '/admin/keys/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change a key: absent fields are kept, null ones cleared',
        params: AdminIdParams,
        body: AdminKeyUpdateBody,
        response: { 200: Type.Ref('AdminKey'), ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      refuseConfigKey(id);
      const store = context.requireStore();
      const key = await withStore(request.log, () => store.updateKey(id, keyChangesOf(request.body)));
      request.log.info({ event: 'admin_key_updated', key: id }, 'key updated');
      return convertStoredKeyToWire(key, new Date());
    },
  );

  fastify.post(
    '/admin/keys/:id/rotate',
    {
      schema: {
        tags: ['admin'],
        summary: 'A new secret for the key (in this answer only); the old one works for the grace period',
        params: AdminIdParams,
        body: Type.Optional(AdminKeyRotateBody),
        response: { 200: Type.Ref('AdminKeyWithSecret'), ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      refuseConfigKey(id);
      const store = context.requireStore();
      const grace = request.body?.grace_period_seconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
      const now = new Date();
      const rotated = await withStore(request.log, () => rotateStoreKey(store, id, grace, now));
      request.log.info({ event: 'admin_key_rotated', key: id, graceSeconds: grace }, 'key rotated');
      return convertStoredKeyWithSecretToWire(rotated.key, rotated.secret, now);
    },
  );

  fastify.post(
    '/admin/keys/:id/revoke',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke a key: refused from now on by every replica (within 5 s); kept for its history',
        params: AdminIdParams,
        response: { 200: Type.Ref('AdminKey'), ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      refuseConfigKey(id);
      const store = context.requireStore();
      const key = await withStore(request.log, () => store.revokeKey(id));
      request.log.info({ event: 'admin_key_revoked', key: id }, 'key revoked');
      return convertStoredKeyToWire(key, new Date());
    },
  );
};
