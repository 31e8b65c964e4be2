/**
 * The settings an OpenAI-type instance takes besides its key and base URL (`providers.<id>.<setting>`
 * in the configuration), checked when the gateway starts so a typo stops it naming the key.
 * @see https://platform.openai.com/docs/api-reference/authentication
 */
import { Type, type Static } from '@sinclair/typebox';

export const OpenAISettingsSchema = Type.Object(
  {
    /** Sent as `OpenAI-Organization`. */
    organization: Type.Optional(Type.String({ minLength: 1 })),
    /** Sent as `OpenAI-Project`. */
    project: Type.Optional(Type.String({ minLength: 1 })),
    /** Serve catalog models marked `api: responses` through /v1/responses (chat completions translated). */
    useResponsesApi: Type.Boolean({
      default: true,
      description: 'Serve Responses-only models through /v1/responses',
    }),
  },
  { additionalProperties: false },
);

export type OpenAISettings = Static<typeof OpenAISettingsSchema>;
