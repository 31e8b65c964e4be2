/** The settings of the built-in echo provider (`providers.echo.<setting>`). */
import { Type, type Static } from '@sinclair/typebox';

export const EchoSettingsSchema = Type.Object(
  {
    /** Pause between two streamed tokens, ms: a stream looks like a model typing. */
    delayMs: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      default: 20,
      description: 'Pause between streamed tokens, ms',
    }),
    /** Length of the vectors of an embeddings request that does not ask for `dimensions`. */
    dimensions: Type.Integer({ minimum: 1, maximum: 4096, default: 256 }),
  },
  { additionalProperties: false },
);

export type EchoSettings = Static<typeof EchoSettingsSchema>;
