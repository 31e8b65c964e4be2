/**
 * The settings an Anthropic instance takes besides its key and base URL (`providers.<id>.<setting>`
 * in the configuration), validated when the instance is built so a typo stops the start naming the
 * key.
 * @see https://docs.anthropic.com/en/api/beta-headers
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking
 */
import { Type, type Static } from '@sinclair/typebox';

/** A beta name as Anthropic writes them (`interleaved-thinking-2025-05-14`): no commas or spaces. */
export const BetaNameSchema = Type.String({ pattern: '^[A-Za-z0-9._-]+$' });

const ThinkingBudget = (tokens: number) => Type.Integer({ minimum: 1024, default: tokens });

/**
 * The token budgets `reasoning_effort` stands for on the models that think within a budget
 * (Anthropic's minimum is 1024; the budget counts against `max_tokens`).
 */
export const ThinkingBudgetsSchema = Type.Object(
  {
    minimal: ThinkingBudget(1024),
    low: ThinkingBudget(2048),
    medium: ThinkingBudget(8192),
    high: ThinkingBudget(16384),
    xhigh: ThinkingBudget(32768),
    max: ThinkingBudget(63999),
  },
  { additionalProperties: false, default: {} },
);

export const AnthropicSettingsSchema = Type.Object(
  {
    /** `anthropic-beta` values sent with every request of this instance. */
    betas: Type.Array(BetaNameSchema, { default: [] }),
    /** Per model (catalog id or Anthropic model name), added to `betas`. */
    modelBetas: Type.Record(Type.String(), Type.Array(BetaNameSchema), { default: {} }),
    /** Whether a request may add betas of its own (`anthropic.betas`). */
    allowRequestBetas: Type.Boolean({ default: true }),
    /**
     * `max_tokens` when the client sets neither `max_tokens` nor `max_completion_tokens` (Anthropic
     * requires one): `model`, the catalog's output limit of the model (else 4096), or a number.
     */
    defaultMaxTokens: Type.Union([Type.Literal('model'), Type.Integer({ minimum: 1 })], { default: 'model' }),
    /**
     * Cache breakpoints the gateway adds itself: after the system prompt, after the tool definitions
     * (at most Anthropic's four breakpoints in all: the request's own come first).
     */
    promptCaching: Type.Object(
      {
        system: Type.Boolean({ default: false }),
        tools: Type.Boolean({ default: false }),
        ttl: Type.Union([Type.Literal('5m'), Type.Literal('1h')], { default: '5m' }),
      },
      { additionalProperties: false, default: {} },
    ),
    thinkingBudgets: ThinkingBudgetsSchema,
    /**
     * How a model thinks, by catalog id or Anthropic model name, where the gateway's reading of the
     * model's name is wrong: `adaptive` (Claude decides, at an effort) or `budget` (a token budget).
     */
    thinkingModes: Type.Record(
      Type.String(),
      Type.Union([Type.Literal('adaptive'), Type.Literal('budget')]),
      {
        default: {},
      },
    ),
    /**
     * http(s) image URLs: `pass` sends them to Anthropic, which downloads them; `download` has the
     * gateway fetch them (size, time and address limits of the `media` options) and send the bytes.
     */
    imageUrls: Type.Union([Type.Literal('pass'), Type.Literal('download')], { default: 'pass' }),
  },
  { additionalProperties: false },
);

export type AnthropicSettings = Static<typeof AnthropicSettingsSchema>;
export type ThinkingBudgets = Static<typeof ThinkingBudgetsSchema>;

/** A per-model setting, by catalog id first, then by Anthropic's model name. */
export function forModel<T>(
  byModel: Readonly<Record<string, T>>,
  catalogId: string | undefined,
  upstreamModel: string,
): T | undefined {
  return (catalogId !== undefined ? byModel[catalogId] : undefined) ?? byModel[upstreamModel];
}
