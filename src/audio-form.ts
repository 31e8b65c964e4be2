/**
 * The fields of an audio form (POST /v1/audio/transcriptions and /translations), checked one at a
 * time as they arrive: the gateway never waits for the whole form, whose file may be 25 MB.
 * @see https://platform.openai.com/docs/api-reference/audio/createTranscription
 */
import {
  TIMESTAMP_GRANULARITIES,
  TRANSCRIPTION_RESPONSE_FORMATS,
  TRANSLATION_RESPONSE_FORMATS,
  type AudioEndpoint,
} from '../schemas/audio.js';
import { boolean, nonEmpty, numberBetween, oneOf, checkFormField, type FieldRule } from './form-fields.js';
import type { FormField } from './provider.js';

const AUDIO_FILE_FIELDS = ['file'];

const COMMON_RULES: Record<string, FieldRule> = {
  model: { check: nonEmpty(256), single: true },
  prompt: { check: () => {}, single: true },
  temperature: { check: numberBetween(0, 1), single: true },
};

const RULES: Record<AudioEndpoint, Record<string, FieldRule>> = {
  transcription: {
    ...COMMON_RULES,
    response_format: { check: oneOf(TRANSCRIPTION_RESPONSE_FORMATS), single: true },
    language: { check: nonEmpty(64), single: true },
    stream: { check: boolean, single: true },
    'timestamp_granularities[]': { check: oneOf(TIMESTAMP_GRANULARITIES), single: false },
  },
  translation: {
    ...COMMON_RULES,
    response_format: { check: oneOf(TRANSLATION_RESPONSE_FORMATS), single: true },
  },
};

/**
 * Checks one form field of an audio request (the fields the gateway knows; any other passes through
 * to OpenAI-type providers as it came). `seen` holds the names already read, to refuse a repeat.
 */
export function checkAudioField(endpoint: AudioEndpoint, field: FormField, seen: Set<string>): void {
  checkFormField(RULES[endpoint], AUDIO_FILE_FIELDS, field, seen);
}

/** The options of an audio request, read from its checked fields (for adapters that translate it). */
export interface AudioOptions {
  model: string;
  responseFormat: string;
  language: string | undefined;
  prompt: string | undefined;
  temperature: number | undefined;
  stream: boolean;
  timestampGranularities: string[];
}

export function readAudioOptions(fields: readonly FormField[]): AudioOptions {
  const options: AudioOptions = {
    model: '',
    responseFormat: 'json',
    language: undefined,
    prompt: undefined,
    temperature: undefined,
    stream: false,
    timestampGranularities: [],
  };
  for (const { name, value } of fields) {
    if (name === 'model') options.model = value;
    else if (name === 'response_format') options.responseFormat = value;
    else if (name === 'language') options.language = value;
    else if (name === 'prompt') options.prompt = value;
    else if (name === 'temperature') options.temperature = Number(value);
    else if (name === 'stream') options.stream = value === 'true';
    else if (name === 'timestamp_granularities[]') options.timestampGranularities.push(value);
  }
  return options;
}
