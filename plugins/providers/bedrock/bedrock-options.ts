/**
 * The settings a Bedrock instance takes besides its base URL and its Bedrock API key
 * (`providers.<id>.<setting>` in the configuration), validated when the instance is built so a typo
 * stops the start naming the key.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
 */
import { Type, type Static } from '@sinclair/typebox';
import { ThinkingBudgetsSchema } from '../anthropic/anthropic-options.js';

/** An AWS region name (`us-east-1`, `eu-central-2`, `us-gov-west-1`): it becomes part of a host name. */
export const REGION_PATTERN = '^[a-z]{2}(-[a-z]+)+-\\d+$';

export const BedrockSettingsSchema = Type.Object(
  {
    /** The region whose endpoint serves the instance, and the region requests are signed for. */
    region: Type.String({ pattern: REGION_PATTERN, default: 'us-east-1' }),
    /** SigV4 credentials; used when the instance has no Bedrock API key (`apiKey`). */
    accessKeyId: Type.Optional(Type.String()),
    secretAccessKey: Type.Optional(Type.String()),
    /** The session token of temporary credentials (an assumed role, SSO). */
    sessionToken: Type.Optional(Type.String()),
    /**
     * The thinking budgets `reasoning_effort` stands for on Claude models (Bedrock passes them in
     * `additionalModelRequestFields.thinking`, as Anthropic's API takes them).
     */
    thinkingBudgets: ThinkingBudgetsSchema,
    /**
     * `max_tokens` when the client sets neither `max_tokens` nor `max_completion_tokens`: `model`,
     * the catalog's output limit of the model (else Bedrock's own default), or a number.
     */
    defaultMaxTokens: Type.Union([Type.Literal('model'), Type.Integer({ minimum: 1 })], { default: 'model' }),
  },
  { additionalProperties: false },
);

export type BedrockSettings = Static<typeof BedrockSettingsSchema>;

/** Whether the settings hold a SigV4 key pair (both halves, non-empty). */
export function hasSigningKeys(settings: Readonly<Partial<BedrockSettings>>): boolean {
  return Boolean(settings.accessKeyId) && Boolean(settings.secretAccessKey);
}
