/**
 * The admin API (`/admin/`, docs/admin.md): request and response bodies of every route, one source
 * for validation, TypeScript types and the OpenAPI document. Field names are snake_case, as in the
 * rest of the gateway's public API. Request bodies are strict (an unknown field is a 400 naming it);
 * response schemas document the answers and never shape them (src/validation.ts).
 *
 * Keys and teams come from two sources: the store (made at run time through this API or
 * `npm run keys`, writable) and the configuration (`auth.clients`, `GATEWAY_API_KEYS`: read-only
 * here, changed by editing the configuration).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

// ---- shared pieces ------------------------------------------------------------------------------

const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
/** A day, or (for the hourly grain) an instant: 2026-03-01, 2026-03-01T10:30:00Z. */
const DAY_OR_INSTANT_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$';

export const AdminId = Type.String({
  pattern: ID_PATTERN,
  description: 'Letters, digits, `.`, `_` and `-`, at most 64, starting with a letter or digit',
});

export const AdminSource = Type.Union([Type.Literal('store'), Type.Literal('config')], {
  description: '`store`: made at run time, writable; `config`: from the configuration, read-only',
});

export const AdminBudget = Type.Object(
  {
    limit_usd: Type.Number({ minimum: 0, description: 'Spending limit in USD per period' }),
    period: Type.Union([Type.Literal('daily'), Type.Literal('monthly')], {
      description: 'A UTC day, or a calendar month (UTC)',
    }),
  },
  { additionalProperties: false },
);

export const AdminRateLimits = Type.Object(
  {
    chat: Type.Optional(Type.Integer({ minimum: 0, description: 'Chat requests per minute' })),
    embeddings: Type.Optional(Type.Integer({ minimum: 0, description: 'Embeddings requests per minute' })),
    audio: Type.Optional(Type.Integer({ minimum: 0, description: 'Audio requests per minute' })),
    tokens_per_minute: Type.Optional(Type.Integer({ minimum: 0, description: 'Tokens per minute' })),
  },
  { additionalProperties: false },
);

export const AdminMetadata = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Free for the operator (owner, cost centre); never read by the gateway',
});

const ModelGlobs = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
  maxItems: 1000,
  description: 'Model names or globs (`gpt-4o*`, `openai/*`) that may be called; null = every model',
});

const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });
const PageLimit = Type.Integer({
  minimum: 1,
  maximum: 1000,
  description: 'Items per page (100 when absent)',
});
const PageCursor = Type.String({
  minLength: 1,
  maxLength: 512,
  description: 'The `next_cursor` of the previous page',
});

// ---- keys ---------------------------------------------------------------------------------------

export const AdminKeyStatus = Type.Union(
  [Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')],
  { description: 'Whether the key is accepted now' },
);

export const AdminKeySchema = Type.Object(
  {
    object: Type.Literal('admin.key'),
    id: Type.String({ description: 'What logs, limits and spend rows name' }),
    name: Nullable(Type.String()),
    source: AdminSource,
    status: AdminKeyStatus,
    prefix: Nullable(Type.String({ description: "The key's first characters, to recognise it" })),
    team_id: Nullable(Type.String()),
    allowed_models: Nullable(Type.Array(Type.String())),
    rate_limits: Nullable(AdminRateLimits),
    budget: Nullable(AdminBudget),
    byok: Type.Boolean({ description: 'Whether the client may send its own provider key' }),
    expires_at: Nullable(Timestamp),
    metadata: AdminMetadata,
    created_at: Nullable(Timestamp),
    updated_at: Nullable(Timestamp),
    rotated_at: Nullable(Timestamp),
    revoked_at: Nullable(Timestamp),
    previous_key_valid_until: Nullable(
      Type.String({
        format: 'date-time',
        description: 'Until when the secret replaced by the last rotation is still accepted',
      }),
    ),
  },
  { $id: 'AdminKey', additionalProperties: true },
);

/** A key just made or rotated: the only answer that carries its secret. */
export const AdminKeyWithSecretSchema = Type.Composite(
  [
    Type.Omit(AdminKeySchema, ['object']),
    Type.Object({
      object: Type.Literal('admin.key'),
      key: Type.String({
        description: 'The secret, shown this once: it is not kept and cannot be read again',
      }),
    }),
  ],
  { $id: 'AdminKeyWithSecret', additionalProperties: true },
);

export const AdminKeyCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    id: Type.Optional(AdminId),
    team_id: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
    allowed_models: Type.Optional(Nullable(ModelGlobs)),
    rate_limits: Type.Optional(Nullable(AdminRateLimits)),
    budget: Type.Optional(Nullable(AdminBudget)),
    byok: Type.Optional(Type.Boolean()),
    expires_at: Type.Optional(Nullable(Timestamp)),
    metadata: Type.Optional(AdminMetadata),
  },
  { additionalProperties: false },
);

/** Fields to change: absent = kept, null = cleared. */
export const AdminKeyUpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    team_id: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
    allowed_models: Type.Optional(Nullable(ModelGlobs)),
    rate_limits: Type.Optional(Nullable(AdminRateLimits)),
    budget: Type.Optional(Nullable(AdminBudget)),
    byok: Type.Optional(Type.Boolean()),
    expires_at: Type.Optional(Nullable(Timestamp)),
    metadata: Type.Optional(AdminMetadata),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AdminKeyRotateBody = Type.Object(
  {
    grace_period_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 30 * 86_400,
        description: 'How long the replaced secret keeps working (3600 when absent; 0 ends it at once)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const AdminKeyListQuery = Type.Object(
  {
    source: Type.Optional(
      Type.Union([Type.Literal('store'), Type.Literal('config'), Type.Literal('all')], {
        description: 'Which keys to list (`all` when absent; config keys come on the first page)',
      }),
    ),
    team_id: Type.Optional(Type.String({ minLength: 1 })),
    include_revoked: Type.Optional(Type.Boolean({ description: 'Revoked keys are left out unless true' })),
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
  },
  { additionalProperties: false },
);

export const AdminKeyListSchema = Type.Object(
  {
    object: Type.Literal('list'),
    data: Type.Array(Type.Ref('AdminKey')),
    next_cursor: Nullable(Type.String({ description: 'Pass it as `cursor` for the next page' })),
  },
  { $id: 'AdminKeyList', additionalProperties: true },
);

export const AdminIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

// ---- teams --------------------------------------------------------------------------------------

export const AdminTeamSchema = Type.Object(
  {
    object: Type.Literal('admin.team'),
    id: Type.String(),
    name: Type.String(),
    source: AdminSource,
    budget: Nullable(AdminBudget),
    allowed_models: Nullable(Type.Array(Type.String())),
    rate_limits: Nullable(AdminRateLimits),
    metadata: AdminMetadata,
    created_at: Nullable(Timestamp),
    updated_at: Nullable(Timestamp),
  },
  { $id: 'AdminTeam', additionalProperties: true },
);

export const AdminTeamCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    id: Type.Optional(AdminId),
    budget: Type.Optional(Nullable(AdminBudget)),
    allowed_models: Type.Optional(Nullable(ModelGlobs)),
    rate_limits: Type.Optional(Nullable(AdminRateLimits)),
    metadata: Type.Optional(AdminMetadata),
  },
  { additionalProperties: false },
);

/** Fields to change: absent = kept, null = cleared. */
export const AdminTeamUpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    budget: Type.Optional(Nullable(AdminBudget)),
    allowed_models: Type.Optional(Nullable(ModelGlobs)),
    rate_limits: Type.Optional(Nullable(AdminRateLimits)),
    metadata: Type.Optional(AdminMetadata),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AdminTeamListQuery = Type.Object(
  {
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
  },
  { additionalProperties: false },
);

export const AdminTeamListSchema = Type.Object(
  {
    object: Type.Literal('list'),
    data: Type.Array(Type.Ref('AdminTeam')),
    next_cursor: Nullable(Type.String()),
  },
  { $id: 'AdminTeamList', additionalProperties: true },
);

export const AdminDeletedSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.String(),
    deleted: Type.Literal(true),
  },
  { $id: 'AdminDeleted', additionalProperties: true },
);

// ---- spend --------------------------------------------------------------------------------------

export const SPEND_DIMENSIONS = ['day', 'hour', 'key', 'team', 'model', 'provider'] as const;

export const SPEND_GRAINS = ['day', 'hour'] as const;

export const AdminSpendSummaryQuery = Type.Object(
  {
    grain: Type.Optional(
      Type.Union(
        SPEND_GRAINS.map((grain) => Type.Literal(grain)),
        {
          description:
            'The rollups read: `day` (the default; kept for good) or `hour` (kept as long as the request log)',
        },
      ),
    ),
    from: Type.Optional(
      Type.String({
        pattern: DAY_OR_INSTANT_PATTERN,
        description:
          'First day, YYYY-MM-DD (UTC); 30 days ago when absent. At the hourly grain a day or an instant ' +
          '(ISO 8601), whose hour is the first; 23 hours before `to` when absent',
      }),
    ),
    to: Type.Optional(
      Type.String({
        pattern: DAY_OR_INSTANT_PATTERN,
        description:
          'Last day, YYYY-MM-DD (UTC); today when absent. At the hourly grain a day (its last hour) or an ' +
          'instant, whose hour is the last; now when absent',
      }),
    ),
    group_by: Type.Optional(
      Type.String({
        pattern: '^(day|hour|key|team|model|provider)(,(day|hour|key|team|model|provider))*$',
        description:
          'Comma-separated dimensions (`day` or, at the hourly grain, `hour`, then `key`, `team`, `model`, ' +
          '`provider`): one row per combination; `day` or `hour` makes a series. None: the totals only',
      }),
    ),
    percentiles: Type.Optional(
      Type.Boolean({
        description:
          'false: the latency and overhead percentiles are left out (null), and the summary reads a tenth ' +
          'of the columns (for breakdowns over many groups)',
      }),
    ),
    key_id: Type.Optional(Type.String({ minLength: 1 })),
    team_id: Type.Optional(Type.String({ minLength: 1 })),
    model: Type.Optional(Type.String({ minLength: 1 })),
    provider: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const SpendFigureProperties = {
  requests: Type.Integer({ description: 'Model calls' }),
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  reasoning_tokens: Type.Integer(),
  cached_tokens: Type.Integer(),
  cache_write_tokens: Type.Integer(),
  cost_usd: Type.Number(),
  // Kept by the rollups from schema version 3 on (older days: as far as the request log reached).
  errors: Type.Optional(
    Nullable(
      Type.Integer({
        description:
          'Calls answered with a status of 400 or more, or that failed upstream, timed out or failed in the gateway',
      }),
    ),
  ),
  cache_hits: Type.Optional(Nullable(Type.Integer({ description: 'Calls answered from the cache' }))),
  latency_p50_ms: Type.Optional(
    Nullable(
      Type.Number({
        description: 'Median latency, to within one bucket (docs/admin.md); null without calls',
      }),
    ),
  ),
  latency_p95_ms: Type.Optional(Nullable(Type.Number())),
  overhead_p50_ms: Type.Optional(Nullable(Type.Number({ description: "The gateway's own share" }))),
  overhead_p95_ms: Type.Optional(Nullable(Type.Number())),
};

export const AdminSpendFigures = Type.Object(SpendFigureProperties, { additionalProperties: true });

export const AdminSpendSummaryRow = Type.Object(
  {
    day: Type.Optional(Type.String({ description: 'YYYY-MM-DD, when grouped by day' })),
    hour: Type.Optional(
      Type.String({ description: "The hour's start (ISO 8601, UTC), when grouped by hour" }),
    ),
    key_id: Type.Optional(Nullable(Type.String())),
    team_id: Type.Optional(Nullable(Type.String())),
    model: Type.Optional(Nullable(Type.String())),
    provider: Type.Optional(Nullable(Type.String())),
    ...SpendFigureProperties,
  },
  { additionalProperties: true },
);

export const AdminSpendSummarySchema = Type.Object(
  {
    object: Type.Literal('admin.spend.summary'),
    grain: Type.Union(SPEND_GRAINS.map((grain) => Type.Literal(grain))),
    from: Type.String({ description: 'The first day, or at the hourly grain the start of the first hour' }),
    to: Type.String({ description: 'The last day, or at the hourly grain the start of the last hour' }),
    group_by: Type.Array(Type.Union(SPEND_DIMENSIONS.map((dimension) => Type.Literal(dimension)))),
    totals: AdminSpendFigures,
    data: Type.Array(AdminSpendSummaryRow),
  },
  { $id: 'AdminSpendSummary', additionalProperties: true },
);

export const AdminSpendRequestsQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'From this time on (inclusive)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Before this time (exclusive)' })),
    key_id: Type.Optional(Type.String({ minLength: 1 })),
    team_id: Type.Optional(Type.String({ minLength: 1 })),
    model: Type.Optional(
      Type.String({ minLength: 1, description: 'The model asked for or the one that answered' }),
    ),
    provider: Type.Optional(Type.String({ minLength: 1 })),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    outcome: Type.Optional(Type.String({ minLength: 1 })),
    request_id: Type.Optional(Type.String({ minLength: 1 })),
    limit: Type.Optional(PageLimit),
    cursor: Type.Optional(PageCursor),
  },
  { additionalProperties: false },
);

export const AdminSpendRowSchema = Type.Object(
  {
    id: Type.String(),
    at: Timestamp,
    request_id: Type.String(),
    key_id: Nullable(Type.String()),
    team_id: Nullable(Type.String()),
    route: Type.String(),
    requested_model: Nullable(Type.String()),
    model: Nullable(Type.String()),
    provider: Nullable(Type.String()),
    deployment: Nullable(Type.String()),
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    reasoning_tokens: Type.Integer(),
    cached_tokens: Type.Integer(),
    cache_write_tokens: Type.Integer(),
    cost_usd: Type.Number(),
    latency_ms: Nullable(Type.Number()),
    overhead_ms: Nullable(Type.Number()),
    status: Nullable(Type.Integer()),
    cache_result: Nullable(Type.String()),
    outcome: Type.String(),
    estimated: Type.Boolean(),
  },
  { $id: 'AdminSpendRow', additionalProperties: true },
);

export const AdminSpendRequestListSchema = Type.Object(
  {
    object: Type.Literal('list'),
    data: Type.Array(Type.Ref('AdminSpendRow')),
    next_cursor: Nullable(Type.String()),
  },
  { $id: 'AdminSpendRequestList', additionalProperties: true },
);

/** Shared schemas of the admin API, registered with the gateway's (schemas/index.ts order). */
export const adminSchemas = [
  AdminKeySchema,
  AdminKeyWithSecretSchema,
  AdminKeyListSchema,
  AdminTeamSchema,
  AdminTeamListSchema,
  AdminDeletedSchema,
  AdminSpendSummarySchema,
  AdminSpendRowSchema,
  AdminSpendRequestListSchema,
];

export type AdminKey = Static<typeof AdminKeySchema>;
export type AdminKeyWithSecret = Static<typeof AdminKeyWithSecretSchema>;
export type AdminKeyCreate = Static<typeof AdminKeyCreateBody>;
export type AdminKeyUpdate = Static<typeof AdminKeyUpdateBody>;
export type AdminKeyRotate = Static<typeof AdminKeyRotateBody>;
export type AdminKeyListQueryType = Static<typeof AdminKeyListQuery>;
export type AdminKeyList = Static<typeof AdminKeyListSchema>;
export type AdminTeam = Static<typeof AdminTeamSchema>;
export type AdminTeamCreate = Static<typeof AdminTeamCreateBody>;
export type AdminTeamUpdate = Static<typeof AdminTeamUpdateBody>;
export type AdminTeamList = Static<typeof AdminTeamListSchema>;
export type AdminDeleted = Static<typeof AdminDeletedSchema>;
export type AdminSpendSummaryQueryType = Static<typeof AdminSpendSummaryQuery>;
export type AdminSpendSummary = Static<typeof AdminSpendSummarySchema>;
export type AdminSpendSummaryRowType = Static<typeof AdminSpendSummaryRow>;
export type AdminSpendRequestsQueryType = Static<typeof AdminSpendRequestsQuery>;
export type AdminSpendRow = Static<typeof AdminSpendRowSchema>;
export type AdminSpendRequestList = Static<typeof AdminSpendRequestListSchema>;
