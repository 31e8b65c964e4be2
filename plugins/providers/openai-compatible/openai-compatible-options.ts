/**
 * The settings of an `openai-compatible` instance besides its key and base URL: the server it is
 * (`preset`), what it does not take of OpenAI's chat API (each quirk overrides the preset's), and how
 * its models are discovered. Checked when the gateway starts, so a typo stops it naming the key.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  OPENAI_QUIRKS,
  PRESETS,
  PRESET_NAMES,
  type CompatiblePreset,
  type CompatibleQuirks,
} from './openai-compatible-presets.js';

export const OpenAICompatibleSettingsSchema = Type.Object(
  {
    /** A known server (its base URL, key variable and quirks), or `custom`: the instance says all. */
    preset: Type.Union([Type.Literal('custom'), ...PRESET_NAMES.map((name) => Type.Literal(name))], {
      default: 'custom',
      description: 'The server: custom, or one of the presets',
    }),
    streamOptions: Type.Optional(Type.Boolean()),
    developerRole: Type.Optional(Type.Boolean()),
    maxTokensField: Type.Optional(
      Type.Union([Type.Literal('max_tokens'), Type.Literal('max_completion_tokens')]),
    ),
    n: Type.Optional(Type.Boolean()),
    toolChoiceRequired: Type.Optional(Type.Boolean()),
    jsonSchema: Type.Optional(Type.Boolean()),
    /** Ask the server's GET /models for the models it serves, at start and every `refreshSeconds`. */
    discovery: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        refreshSeconds: Type.Integer({ minimum: 10, default: 300 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type OpenAICompatibleSettings = Static<typeof OpenAICompatibleSettingsSchema>;

/** The preset an instance names, or undefined for `custom`. */
export function presetOf(settings: OpenAICompatibleSettings): CompatiblePreset | undefined {
  return settings.preset === 'custom' ? undefined : PRESETS[settings.preset];
}

/** The instance's quirks: its own settings over its preset's over OpenAI's full API. */
export function resolveQuirks(settings: OpenAICompatibleSettings): CompatibleQuirks {
  const base = presetOf(settings)?.quirks ?? OPENAI_QUIRKS;
  return {
    streamOptions: settings.streamOptions ?? base.streamOptions,
    developerRole: settings.developerRole ?? base.developerRole,
    maxTokensField: settings.maxTokensField ?? base.maxTokensField,
    n: settings.n ?? base.n,
    toolChoiceRequired: settings.toolChoiceRequired ?? base.toolChoiceRequired,
    jsonSchema: settings.jsonSchema ?? base.jsonSchema,
  };
}
