/**
 * The settings a Gemini instance takes besides its key and base URL (`providers.<id>.<setting>` in
 * the configuration), validated when the instance is built so a typo stops the start naming the key.
 * @see https://ai.google.dev/gemini-api/docs/safety-settings
 */
import { Type, type Static } from '@sinclair/typebox';

export const SafetySettingSchema = Type.Object(
  {
    /** A HarmCategory, e.g. HARM_CATEGORY_HARASSMENT. */
    category: Type.String({ minLength: 1 }),
    /** A HarmBlockThreshold, e.g. BLOCK_ONLY_HIGH, BLOCK_NONE, OFF. */
    threshold: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const GeminiSettingsSchema = Type.Object(
  {
    /** Sent with every request of this instance. Empty: Gemini's own defaults apply. */
    safetySettings: Type.Array(SafetySettingSchema, { default: [] }),
    /** Per model (catalog id or Gemini model name), on top of `safetySettings`, by category. */
    modelSafetySettings: Type.Record(Type.String(), Type.Array(SafetySettingSchema), { default: {} }),
    /** Whether a request may set its own safety settings (`google.safety_settings`). */
    allowRequestSafetySettings: Type.Boolean({ default: true }),
    /**
     * Thought summaries: `expose` asks thinking models for them and returns them as the message's
     * `reasoning_content`; `drop` neither asks for nor returns them.
     */
    thoughts: Type.Union([Type.Literal('expose'), Type.Literal('drop')], { default: 'drop' }),
  },
  { additionalProperties: false },
);

export type GeminiSettings = Static<typeof GeminiSettingsSchema>;
export type SafetySetting = Static<typeof SafetySettingSchema>;

/**
 * The safety settings for one request: the instance's, then the model's, then the request's own,
 * each replacing the previous one's threshold for the same category.
 */
export function mergeSafetySettings(
  ...layers: (readonly SafetySetting[] | undefined)[]
): SafetySetting[] | undefined {
  const byCategory = new Map<string, string>();
  for (const layer of layers) {
    for (const setting of layer ?? []) byCategory.set(setting.category, setting.threshold);
  }
  if (byCategory.size === 0) return undefined;
  return [...byCategory].map(([category, threshold]) => ({ category, threshold }));
}
