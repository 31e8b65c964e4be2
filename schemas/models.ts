/**
 * GET /v1/models: OpenAI's list format, with the catalog's metadata as extra fields.
 * @see https://platform.openai.com/docs/api-reference/models
 */
import { Type, type Static } from '@sinclair/typebox';

export const ModelObjectSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('model'),
    created: Type.Integer(),
    owned_by: Type.String(),
    provider: Type.Optional(Type.String()),
    type: Type.Optional(Type.String()),
    context_window: Type.Optional(Type.Integer()),
    max_output_tokens: Type.Optional(Type.Integer()),
    modalities: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
    capabilities: Type.Optional(Type.Array(Type.String())),
    pricing: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'USD per 1M tokens' })),
    available: Type.Optional(Type.Boolean({ description: 'False when its provider is not configured' })),
    strategy: Type.Optional(Type.String({ description: 'Aliases and groups: how a deployment is chosen' })),
    targets: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Aliases: provider/model deployments; groups: member models',
      }),
    ),
    fallbacks: Type.Optional(
      Type.Array(Type.String(), { description: 'Models tried when all targets fail' }),
    ),
  },
  { additionalProperties: true, $id: 'Model' },
);

export const ModelListSchema = Type.Object(
  { object: Type.Literal('list'), data: Type.Array(Type.Ref('Model')) },
  { additionalProperties: true, $id: 'ModelList' },
);

export const ModelListQuerySchema = Type.Object({
  all: Type.Optional(Type.Boolean({ description: 'Also list models whose provider is not configured' })),
});

export type ModelObject = Static<typeof ModelObjectSchema>;
