/**
 * The public audio API, as OpenAI defines it: speech out (JSON in, audio out) and transcription or
 * translation in (a multipart form with the audio file).
 * @see https://platform.openai.com/docs/api-reference/audio
 *
 * Multipart forms are read part by part, as they arrive, so their fields are checked one at a time
 * (src/audio-form.ts) rather than by a JSON schema; the TypeBox forms below document them in the
 * OpenAPI document.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Largest audio file accepted, in bytes: OpenAI's 25 MB upload limit. */
export const MAX_AUDIO_FILE_BYTES = 25 * 1024 * 1024;
/** Largest single form field (a prompt, a speaker reference as a data URL), in bytes. */
export const MAX_AUDIO_FIELD_BYTES = 1024 * 1024;
/** Largest total of the form's fields other than the file, in bytes. */
export const MAX_AUDIO_FIELDS_BYTES = 2 * 1024 * 1024;
/** Most form fields accepted besides the file. */
export const MAX_AUDIO_FIELDS = 64;
/**
 * A request whose Content-Length is above this is refused before it is read: the file limit plus
 * the fields' limit plus room for the multipart boundaries and part headers.
 */
export const MAX_AUDIO_REQUEST_BYTES = MAX_AUDIO_FILE_BYTES + MAX_AUDIO_FIELDS_BYTES + 64 * 1024;

export const TRANSCRIPTION_RESPONSE_FORMATS = [
  'json',
  'text',
  'srt',
  'verbose_json',
  'vtt',
  'diarized_json',
] as const;
export const TRANSLATION_RESPONSE_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'] as const;
export const TIMESTAMP_GRANULARITIES = ['word', 'segment'] as const;
export const SPEECH_RESPONSE_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;

export type AudioEndpoint = 'transcription' | 'translation';
// ---- OpenAPI documentation of the multipart forms -----------------------------------------------

const audioFile = Type.String({
  format: 'binary',
  description: `The audio file (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm), at most ${MAX_AUDIO_FILE_BYTES} bytes`,
});

export const TranscriptionFormSchema = Type.Object(
  {
    file: audioFile,
    model: Type.String({ description: 'A transcription model, e.g. whisper-1 or gpt-4o-transcribe' }),
    language: Type.Optional(Type.String({ description: 'ISO-639-1 language of the audio' })),
    prompt: Type.Optional(Type.String()),
    response_format: Type.Optional(
      Type.Union(
        TRANSCRIPTION_RESPONSE_FORMATS.map((format) => Type.Literal(format)),
        { default: 'json' },
      ),
    ),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    'timestamp_granularities[]': Type.Optional(
      Type.Array(Type.Union(TIMESTAMP_GRANULARITIES.map((value) => Type.Literal(value)))),
    ),
    stream: Type.Optional(Type.Boolean({ description: 'Answer as server-sent transcription events' })),
  },
  {
    additionalProperties: true,
    description:
      'multipart/form-data. Put `model` before `file` and the file is streamed straight to the provider; ' +
      'other fields are passed through to OpenAI-type providers.',
  },
);

export const TranslationFormSchema = Type.Object(
  {
    file: audioFile,
    model: Type.String({ description: 'A transcription model that translates, e.g. whisper-1' }),
    prompt: Type.Optional(Type.String()),
    response_format: Type.Optional(
      Type.Union(
        TRANSLATION_RESPONSE_FORMATS.map((format) => Type.Literal(format)),
        { default: 'json' },
      ),
    ),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: true, description: 'multipart/form-data; translates the audio into English.' },
);

export const TranscriptionResponseSchema = Type.Object(
  { text: Type.String() },
  {
    additionalProperties: true,
    $id: 'CreateTranscriptionResponse',
    description:
      'json or verbose_json (`text`, and `language`, `duration`, `segments`, `words` for verbose_json); ' +
      'text, srt and vtt answer text/plain',
  },
);

// ---- speech -------------------------------------------------------------------------------------

export const SpeechRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.String({
      minLength: 1,
      description: 'The text to speak (OpenAI models take up to 4096 characters)',
    }),
    voice: Type.Union(
      [
        Type.String({ minLength: 1 }),
        Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
      ],
      { description: 'A voice name (alloy, ash, coral, …) or a custom voice `{ "id": … }`' },
    ),
    instructions: Type.Optional(Type.String({ maxLength: 4096 })),
    response_format: Type.Optional(
      Type.Union(
        SPEECH_RESPONSE_FORMATS.map((format) => Type.Literal(format)),
        { default: 'mp3' },
      ),
    ),
    speed: Type.Optional(Type.Number({ minimum: 0.25, maximum: 4 })),
    stream_format: Type.Optional(Type.Union([Type.Literal('audio'), Type.Literal('sse')])),
  },
  {
    additionalProperties: true,
    $id: 'CreateSpeechRequest',
    description: 'OpenAI speech request. Unknown fields are passed through to OpenAI-type upstreams.',
  },
);

export type SpeechRequest = Static<typeof SpeechRequestSchema>;
