/**
 * The settings a Vertex AI instance takes besides its base URL (`providers.<id>.<setting>` in the
 * configuration): where it calls (project and location), how it authenticates (a service-account
 * key file, else application default credentials), and the settings of the Gemini and Anthropic
 * providers, whose converters its two model families go through. Validated when the instance is
 * built, so a typo stops the start naming the key.
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/learn/locations
 * @see https://cloud.google.com/docs/authentication/application-default-credentials
 */
import { Type, type Static } from '@sinclair/typebox';
import { AnthropicSettingsSchema } from '../anthropic/anthropic-options.js';
import { GeminiSettingsSchema } from '../gemini/gemini-options.js';

/** A location (`global`, `us-central1`, `europe-west4`, `us`): it becomes part of a host name. */
export const LOCATION_PATTERN = '^[a-z][a-z0-9-]*[a-z0-9]$';

/** A project id (6 to 30 lower-case letters, digits, hyphens) or number. */
export const PROJECT_PATTERN = '^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|\\d+)?$';

export const VertexSettingsSchema = Type.Object(
  {
    /** The Google Cloud project billed; empty: the `project_id` of the key file, else what ADC knows. */
    project: Type.Optional(Type.String({ pattern: PROJECT_PATTERN })),
    /** `global` (aiplatform.googleapis.com) or a region (`{location}-aiplatform.googleapis.com`). */
    location: Type.String({ pattern: LOCATION_PATTERN, default: 'global' }),
    /** A service-account key file (JSON); empty: application default credentials. */
    credentialsFile: Type.Optional(Type.String()),
    // Gemini's settings (safety settings, thought summaries), for the Gemini models.
    ...GeminiSettingsSchema.properties,
    // Anthropic's settings (betas, max tokens, prompt caching, thinking), for the Claude models;
    // http(s) image URLs are downloaded by default, since Claude on Vertex takes only bytes.
    ...AnthropicSettingsSchema.properties,
    imageUrls: Type.Union([Type.Literal('pass'), Type.Literal('download')], { default: 'download' }),
  },
  { additionalProperties: false },
);

export type VertexSettings = Static<typeof VertexSettingsSchema>;

/** Whether an instance knows where to call or with what key: a project, or a key file to read one from. */
export function hasVertexCredentials(settings: Readonly<Partial<VertexSettings>>): boolean {
  return Boolean(settings.project) || Boolean(settings.credentialsFile);
}
