/**
 * An OpenAI speech request → a Gemini text-to-speech request: the text (after the `instructions`,
 * as the style direction Google's guide puts before the words to speak), `responseModalities:
 * ["AUDIO"]` and the voice as a prebuilt voice. Gemini answers raw PCM, which the gateway wraps as
 * WAV or encodes as MP3 (src/encode-pcm-audio.ts).
 * @see https://ai.google.dev/gemini-api/docs/speech-generation
 * @see https://platform.openai.com/docs/api-reference/audio/createSpeech
 */
import type { SpeechRequest } from '../../../schemas/audio.js';
import type { GatewayOptions } from '../../../schemas/options.js';
import { refuseOrDropParameters, type UnsupportedParameter } from '../../../src/parameters.js';
import type { Target } from '../../../src/provider.js';
import type { GeminiGenerateContentRequest } from './gemini-api.js';
import { mergeSafetySettings, type GeminiSettings } from './gemini-options.js';
import { invalidValue } from '../../../src/provider-toolkit.js';

/**
 * Gemini's prebuilt voices.
 * @see https://ai.google.dev/gemini-api/docs/speech-generation#voices
 */
export const GEMINI_VOICES = [
  'Zephyr',
  'Puck',
  'Charon',
  'Kore',
  'Fenrir',
  'Leda',
  'Orus',
  'Aoede',
  'Callirrhoe',
  'Autonoe',
  'Enceladus',
  'Iapetus',
  'Umbriel',
  'Algieba',
  'Despina',
  'Erinome',
  'Algenib',
  'Rasalgethi',
  'Laomedeia',
  'Achernar',
  'Alnilam',
  'Schedar',
  'Gacrux',
  'Pulcherrima',
  'Achird',
  'Zubenelgenubi',
  'Vindemiatrix',
  'Sadachbia',
  'Sadaltager',
  'Sulafat',
] as const;

/**
 * OpenAI's voices → the Gemini voice closest in character, by Google's one-word description of each
 * (docs/providers/gemini.md has the table). They are different voices; the mapping only keeps an
 * OpenAI client working without changes.
 */
export const OPENAI_VOICE_MAP: Readonly<Record<string, (typeof GEMINI_VOICES)[number]>> = {
  alloy: 'Kore',
  ash: 'Iapetus',
  ballad: 'Algieba',
  coral: 'Sulafat',
  echo: 'Charon',
  fable: 'Sadaltager',
  onyx: 'Algenib',
  nova: 'Zephyr',
  sage: 'Vindemiatrix',
  shimmer: 'Achernar',
  verse: 'Puck',
  marin: 'Aoede',
  cedar: 'Schedar',
};

const VOICES_BY_LOWER_NAME = new Map(GEMINI_VOICES.map((voice) => [voice.toLowerCase(), voice]));

/** The formats the gateway makes from Gemini's PCM. */
export const GEMINI_SPEECH_FORMATS = ['mp3', 'wav', 'pcm'] as const;
export type GeminiSpeechFormat = (typeof GEMINI_SPEECH_FORMATS)[number];

/** The request fields honoured for Gemini speech; any other is declared (design rule 9). */
const HONOURED = new Set([
  'model',
  'input',
  'voice',
  'instructions',
  'response_format',
  'speed',
  'stream_format',
]);

/** The Gemini voice for the request's `voice`: one of Gemini's names (any case) or an OpenAI name. */
export function mapSpeechVoice(voice: SpeechRequest['voice']): string {
  if (typeof voice !== 'string') {
    throw invalidValue(
      'voice',
      "Custom voices ({ id }) are not available for Gemini models; name one of Gemini's voices or an OpenAI voice.",
      'unsupported_value',
    );
  }
  const name = voice.toLowerCase();
  const found = VOICES_BY_LOWER_NAME.get(name) ?? OPENAI_VOICE_MAP[name];
  if (!found) {
    throw invalidValue(
      'voice',
      `Unknown voice '${voice.slice(0, 64)}' for a Gemini model: use one of Gemini's voices ` +
        `(${GEMINI_VOICES.join(', ')}) or of OpenAI's (${Object.keys(OPENAI_VOICE_MAP).join(', ')}).`,
    );
  }
  return found;
}

export interface SpeechPlan {
  readonly body: GeminiGenerateContentRequest;
  readonly format: GeminiSpeechFormat;
  /** Server-sent `speech.audio.*` events instead of the audio itself. */
  readonly events: boolean;
  readonly voice: string;
}

/** The style direction without its trailing stops and colons, which the joining colon replaces. */
function styleDirection(instructions: string | undefined): string {
  let text = instructions?.trim() ?? '';
  while (text.length > 0 && '.:;'.includes(text.at(-1)!)) text = text.slice(0, -1).trimEnd();
  return text;
}

export function convertToGeminiSpeech(
  request: SpeechRequest,
  target: Target,
  settings: GeminiSettings,
  policy: GatewayOptions['unsupportedParameters'],
  warnings: string[],
): SpeechPlan {
  const format = request.response_format ?? 'mp3';
  if (!(GEMINI_SPEECH_FORMATS as readonly string[]).includes(format)) {
    throw invalidValue(
      'response_format',
      `response_format '${format}' is not available for Gemini models; use one of ${GEMINI_SPEECH_FORMATS.map((each) => `'${each}'`).join(', ')}.`,
      'unsupported_value',
    );
  }
  const voice = mapSpeechVoice(request.voice);
  const unsupported: UnsupportedParameter[] = [];
  for (const key of Object.keys(request)) {
    if (!HONOURED.has(key) && (request as Record<string, unknown>)[key] !== undefined) {
      unsupported.push({ param: key });
    }
  }
  // Gemini speaks at its own pace; the text can ask for another, but not by a factor.
  if (request.speed !== undefined && request.speed !== 1) unsupported.push({ param: 'speed' });
  refuseOrDropParameters(unsupported, target, policy, warnings);

  const direction = styleDirection(request.instructions);
  const text = direction ? `${direction}:\n${request.input}` : request.input;
  const body: GeminiGenerateContentRequest = {
    contents: [{ role: 'user', parts: [{ text }] }],
    generationConfig: {
      responseModalities: ['AUDIO'],
      speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: voice } } },
    },
  };
  const forModel =
    (target.model && settings.modelSafetySettings[target.model.id]) ??
    settings.modelSafetySettings[target.upstreamModel];
  const safetySettings = mergeSafetySettings(settings.safetySettings, forModel);
  if (safetySettings) body.safetySettings = safetySettings;
  return { body, format: format as GeminiSpeechFormat, events: request.stream_format === 'sse', voice };
}
