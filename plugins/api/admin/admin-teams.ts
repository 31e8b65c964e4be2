/** /admin/teams: create, list, read, update and delete teams (a delete is refused while live keys belong to it). */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AdminIdParams,
  AdminTeamCreateBody,
  AdminTeamListQuery,
  AdminTeamUpdateBody,
} from '../../../schemas/admin.js';
import { GatewayError } from '../../../src/errors.js';
import type { TeamChanges } from '../../../src/store/store.js';
import { withStore } from './admin-errors.js';
import {
  convertBudgetFromWire,
  convertRateLimitsFromWire,
  convertTeamToWire,
} from './convert-admin-records.js';
import type { AdminContext } from './index.js';

const errors = {
  400: Type.Ref('ErrorResponse'),
  403: Type.Ref('ErrorResponse'),
  404: Type.Ref('ErrorResponse'),
  409: Type.Ref('ErrorResponse'),
  503: Type.Ref('ErrorResponse'),
};

function teamChangesOf(body: typeof AdminTeamUpdateBody.static): TeamChanges {
  const changes: TeamChanges = {};
  if (body.name !== undefined) changes.name = body.name;
  if (body.budget !== undefined) changes.budget = convertBudgetFromWire(body.budget);
  if (body.allowed_models !== undefined) changes.allowedModels = body.allowed_models;
  if (body.rate_limits !== undefined) changes.rateLimits = convertRateLimitsFromWire(body.rate_limits);
  if (body.metadata !== undefined) changes.metadata = body.metadata;
  return changes;
}

export const adminTeamRoutes: FastifyPluginAsync<{ context: AdminContext }> = async (
  instance,
  { context },
) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.post(
    '/admin/teams',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a team',
        body: AdminTeamCreateBody,
        response: { 201: Type.Ref('AdminTeam'), ...errors },
      },
    },
    async (request, reply) => {
      const store = context.requireStore();
      const body = request.body;
      const team = await withStore(request.log, () =>
        store.createTeam({
          ...teamChangesOf(body),
          name: body.name,
          ...(body.id !== undefined ? { id: body.id } : {}),
        }),
      );
      request.log.info({ event: 'admin_team_created', team: team.id }, 'team created');
      return reply.code(201).send(convertTeamToWire(team));
    },
  );

  fastify.get(
    '/admin/teams',
    {
      schema: {
        tags: ['admin'],
        summary: 'List teams, oldest first',
        querystring: AdminTeamListQuery,
        response: { 200: Type.Ref('AdminTeamList'), ...errors },
      },
    },
    async (request) => {
      const store = context.requireStore();
      const { limit, cursor } = request.query;
      const page = await withStore(request.log, () =>
        store.listTeams({ ...(limit !== undefined ? { limit } : {}), cursor: cursor ?? null }),
      );
      return {
        object: 'list' as const,
        data: page.items.map(convertTeamToWire),
        next_cursor: page.nextCursor,
      };
    },
  );

  fastify.get(
    '/admin/teams/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Read a team',
        params: AdminIdParams,
        response: { 200: Type.Ref('AdminTeam'), ...errors },
      },
    },
    async (request) => {
      const store = context.requireStore();
      const { id } = request.params;
      const team = await withStore(request.log, () => store.getTeam(id));
      if (team === null) throw new GatewayError('GW_ERR_ADMIN_NOT_FOUND', { message: `No team ${id}.` });
      return convertTeamToWire(team);
    },
  );

  fastify.patch(
    '/admin/teams/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change a team: absent fields are kept, null ones cleared',
        params: AdminIdParams,
        body: AdminTeamUpdateBody,
        response: { 200: Type.Ref('AdminTeam'), ...errors },
      },
    },
    async (request) => {
      const store = context.requireStore();
      const { id } = request.params;
      const team = await withStore(request.log, () => store.updateTeam(id, teamChangesOf(request.body)));
      request.log.info({ event: 'admin_team_updated', team: id }, 'team updated');
      return convertTeamToWire(team);
    },
  );

  fastify.delete(
    '/admin/teams/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete a team (refused while a key that is not revoked belongs to it)',
        params: AdminIdParams,
        response: { 200: Type.Ref('AdminDeleted'), ...errors },
      },
    },
    async (request) => {
      const store = context.requireStore();
      const { id } = request.params;
      await withStore(request.log, () => store.deleteTeam(id));
      request.log.info({ event: 'admin_team_deleted', team: id }, 'team deleted');
      return { id, object: 'admin.team', deleted: true as const };
    },
  );
};
