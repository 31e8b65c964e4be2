/**
 * One entry of the model catalog (config/models.yaml). Lenient about extra keys so a newer catalog
 * still loads in an older gateway; strict about the fields the gateway reads.
 */
import { Type, type Static } from '@sinclair/typebox';

export const MODEL_TYPES = [
  'chat',
  'embeddings',
  'transcription',
  'speech',
  'realtime',
  'moderation',
  'image',
] as const;
export const CAPABILITIES = [
  'chat',
  'embeddings',
  'audio',
  'vision',
  'tools',
  'reasoning',
  'json_schema',
  'streaming',
] as const;

const Modality = Type.Union(
  ['text', 'image', 'audio', 'video', 'pdf', 'embedding'].map((name) => Type.Literal(name)),
);

export const CatalogModelSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    provider: Type.String({ minLength: 1 }),
    upstream: Type.Optional(Type.String({ minLength: 1 })),
    type: Type.Union(
      MODEL_TYPES.map((name) => Type.Literal(name)),
      { default: 'chat' },
    ),
    /**
     * Kinds of request the model serves besides its `type` (a chat model that hears audio serves
     * `transcription`: /v1/audio/transcriptions and /v1/audio/translations), when its provider can.
     */
    serves: Type.Array(Type.Union(MODEL_TYPES.map((name) => Type.Literal(name))), { default: [] }),
    context_window: Type.Optional(Type.Integer({ minimum: 1 })),
    max_output_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    embedding_dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    created: Type.Integer({ minimum: 0, default: 0 }),
    owned_by: Type.Optional(Type.String()),
    modalities: Type.Object(
      {
        input: Type.Array(Modality, { default: ['text'] }),
        output: Type.Array(Modality, { default: ['text'] }),
      },
      { default: {} },
    ),
    capabilities: Type.Array(Type.Union(CAPABILITIES.map((name) => Type.Literal(name))), { default: [] }),
    pricing: Type.Object(
      {
        input: Type.Optional(Type.Number({ minimum: 0 })),
        output: Type.Optional(Type.Number({ minimum: 0 })),
        cached_input: Type.Optional(Type.Number({ minimum: 0 })),
        /** Input written to the provider's prompt cache (Anthropic bills it above the input price). */
        cache_write: Type.Optional(Type.Number({ minimum: 0 })),
        /** Input and output through the Batch API; absent: half of `input` and `output`, as OpenAI prices batches. */
        batch_input: Type.Optional(Type.Number({ minimum: 0 })),
        batch_output: Type.Optional(Type.Number({ minimum: 0 })),
        /** Audio tokens in and out (realtime and audio models); absent: at `input` and `output`. */
        audio_input: Type.Optional(Type.Number({ minimum: 0 })),
        cached_audio_input: Type.Optional(Type.Number({ minimum: 0 })),
        audio_output: Type.Optional(Type.Number({ minimum: 0 })),
        per_minute: Type.Optional(Type.Number({ minimum: 0 })),
        /** USD per image made (image generation). */
        per_image: Type.Optional(Type.Number({ minimum: 0 })),
        per_million_characters: Type.Optional(Type.Number({ minimum: 0 })),
      },
      { default: {} },
    ),
    api: Type.Optional(Type.Union([Type.Literal('chat'), Type.Literal('responses')])),
    tokenizer: Type.Optional(Type.String()),
    system_role: Type.Optional(Type.Union([Type.Literal('system'), Type.Literal('developer')])),
    unsupported_parameters: Type.Array(Type.String(), { default: [] }),
  },
  { additionalProperties: true },
);

export type CatalogModel = Static<typeof CatalogModelSchema>;
export type Capability = (typeof CAPABILITIES)[number];
