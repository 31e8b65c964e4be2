/**
 * The Gemini audio converters on the constructed fixtures (test/fixtures/gemini/audio/): forms →
 * transcription requests and the streamed request body, answers → each response_format, speech
 * requests → Gemini's, and Gemini's speech stream → PCM.
 */
import { describe, expect, it } from 'vitest';
import type { GeminiGenerateContentResponse } from '../../../../plugins/providers/gemini/gemini-api.js';
import {
  convertToGeminiTranscription,
  geminiAudioMimeType,
  readTranscriptionOptions,
  writeTranscriptionBody,
  type TranscriptionOptions,
} from '../../../../plugins/providers/gemini/convert-to-gemini-transcription.js';
import {
  compressionRatio,
  convertGeminiTranscription,
  formatSrt,
  readSegments,
} from '../../../../plugins/providers/gemini/convert-gemini-transcription.js';
import {
  GEMINI_VOICES,
  OPENAI_VOICE_MAP,
  convertToGeminiSpeech,
  mapSpeechVoice,
} from '../../../../plugins/providers/gemini/convert-to-gemini-speech.js';
import {
  openGeminiSpeech,
  parsePcmMimeType,
} from '../../../../plugins/providers/gemini/gemini-speech-stream.js';
import {
  GeminiSettingsSchema,
  type GeminiSettings,
} from '../../../../plugins/providers/gemini/gemini-options.js';
import { resolveInstanceSettings } from '../../../../src/provider-registry.js';
import { parseServerSentEvents } from '../../../../src/sse.js';
import type { GatewayError } from '../../../../src/errors.js';
import type { Target } from '../../../../src/provider.js';
import { catalogModel } from '../../../helpers/deployments.js';
import { geminiFixture, speechTone } from '../../../helpers/fake-gemini.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';

const settings = resolveInstanceSettings<GeminiSettings>(GeminiSettingsSchema, 'gemini', {});
const flash: Target = {
  deploymentId: 'gemini/gemini-2.5-flash',
  upstreamModel: 'gemini-2.5-flash',
  model: catalogModel({ id: 'gemini-2.5-flash', provider: 'gemini', serves: ['transcription'] }),
};
const tts: Target = {
  deploymentId: 'gemini/gemini-2.5-flash-preview-tts',
  upstreamModel: 'gemini-2.5-flash-preview-tts',
  model: undefined,
};

function answer(name: string): GeminiGenerateContentResponse {
  return JSON.parse(geminiFixture(name)) as GeminiGenerateContentResponse;
}

function options(fields: Partial<TranscriptionOptions> = {}): TranscriptionOptions {
  return {
    endpoint: 'transcription',
    format: 'json',
    language: undefined,
    prompt: undefined,
    temperature: undefined,
    ...fields,
  };
}

function errorOf(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected an error');
}

async function* events(name: string): AsyncGenerator<GeminiGenerateContentResponse> {
  async function* body() {
    yield geminiFixture(name);
  }
  for await (const event of parseServerSentEvents(body())) {
    yield JSON.parse(event.data) as GeminiGenerateContentResponse;
  }
}

describe('transcription forms → Gemini', () => {
  it('reads the fields, declaring what a Gemini model cannot honour', () => {
    const warnings: string[] = [];
    const read = readTranscriptionOptions(
      'transcription',
      [
        { name: 'model', value: 'gemini-2.5-flash' },
        { name: 'response_format', value: 'srt' },
        { name: 'temperature', value: '0.3' },
        { name: 'include[]', value: 'logprobs' },
        { name: 'timestamp_granularities[]', value: 'segment' },
      ],
      flash,
      'drop',
      warnings,
    );
    expect(read).toEqual(options({ format: 'srt', temperature: 0.3 }));
    expect(warnings).toEqual([
      "dropped unsupported parameter 'include[]' for model 'gemini-2.5-flash'",
      "dropped unsupported parameter 'timestamp_granularities[]=segment without response_format verbose_json' for model 'gemini-2.5-flash'",
    ]);
    // Translations take no language (as on OpenAI).
    const error = errorOf(() =>
      readTranscriptionOptions('translation', [{ name: 'language', value: 'de' }], flash, 'reject', []),
    );
    expect(error.gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER');
    expect(error.param).toBe('language');
  });

  it('tells the audio type from the part, else from the filename', () => {
    expect(geminiAudioMimeType({ contentType: 'audio/mpeg', filename: 'x' })).toBe('audio/mp3');
    expect(geminiAudioMimeType({ contentType: 'application/octet-stream', filename: 'a.flac' })).toBe(
      'audio/flac',
    );
    expect(geminiAudioMimeType({ contentType: 'application/octet-stream', filename: 'a.webm' })).toBe(
      'video/webm',
    );
    expect(geminiAudioMimeType({ contentType: 'audio/ogg; codecs=opus', filename: 'a' })).toBe('audio/ogg');
    expect(errorOf(() => geminiAudioMimeType({ contentType: 'text/plain', filename: 'a.txt' })).param).toBe(
      'file',
    );
  });

  it('uses the older Schema field for models that predate JSON Schema', () => {
    const old: Target = {
      deploymentId: 'gemini/gemini-2.0-flash',
      upstreamModel: 'gemini-2.0-flash',
      model: undefined,
    };
    const { rest } = convertToGeminiTranscription(options({ format: 'vtt' }), old, settings);
    expect(rest.generationConfig?.responseSchema).toMatchObject({ type: 'object' });
    expect(rest.generationConfig?.responseJsonSchema).toBeUndefined();
  });

  it('writes the body as the audio arrives, its base64 whole across any cut', async () => {
    const audio = Buffer.from(Array.from({ length: 101 }, (_, index) => (index * 37) % 256));
    async function* pieces() {
      // Cuts at every remainder of three.
      for (const [start, end] of [
        [0, 1],
        [1, 5],
        [5, 6],
        [6, 50],
        [50, 101],
      ] as const) {
        yield audio.subarray(start, end);
      }
    }
    const chunks: Buffer[] = [];
    const finish = async () => convertToGeminiTranscription(options({ temperature: 0 }), flash, settings);
    for await (const chunk of writeTranscriptionBody('audio/wav', pieces(), finish)) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    expect(body.contents[0].parts[0]).toEqual({
      inlineData: { mimeType: 'audio/wav', data: audio.toString('base64') },
    });
    expect(body.contents[0].parts[1].text).toContain('Transcribe the speech');
    expect(body.generationConfig).toEqual({ temperature: 0 });
  });
});

describe('Gemini answers → response formats', () => {
  it('json and text from audio/unary-success-transcription.json', () => {
    const wire = answer('audio/unary-success-transcription.json');
    const json = convertGeminiTranscription(wire, options(), { duration: undefined, warnings: [] });
    assertOpenAISchema('CreateTranscriptionResponseJson', JSON.parse(json.body));
    expect(json.usage).toEqual({
      promptTokens: 213,
      completionTokens: 430,
      totalTokens: 643,
      reasoningTokens: 412,
      cachedTokens: 0,
    });
    const text = convertGeminiTranscription(wire, options({ format: 'text' }), {
      duration: undefined,
      warnings: [],
    });
    expect(text).toMatchObject({
      contentType: 'text/plain; charset=utf-8',
      body: 'The quick brown fox jumps over the lazy dog. Then it sleeps in the sun.\n',
    });
  });

  it('verbose_json from audio/unary-success-transcription-segments.json, with the duration given or estimated', () => {
    const wire = answer('audio/unary-success-transcription-segments.json');
    const warnings: string[] = [];
    const verbose = JSON.parse(
      convertGeminiTranscription(wire, options({ format: 'verbose_json', temperature: 0.2 }), {
        duration: undefined,
        warnings,
      }).body,
    );
    assertOpenAISchema('CreateTranscriptionResponseVerboseJson', verbose);
    expect(verbose.duration).toBe(4.36);
    expect(warnings).toEqual([
      "the audio's length could not be read from the file: duration is where the last segment ends",
    ]);
    expect(verbose.segments[0]).toEqual({
      id: 0,
      seek: 0,
      start: 0,
      end: 2.54,
      text: 'The quick brown fox jumps over the lazy dog.',
      tokens: [],
      temperature: 0.2,
      avg_logprob: 0,
      compression_ratio: compressionRatio('The quick brown fox jumps over the lazy dog.'),
      no_speech_prob: 0,
    });
  });

  it('translation from audio/unary-success-translation.json', () => {
    const wire = answer('audio/unary-success-translation.json');
    const json = JSON.parse(
      convertGeminiTranscription(wire, options({ endpoint: 'translation' }), {
        duration: undefined,
        warnings: [],
      }).body,
    );
    expect(json.text).toBe(
      'Hello, my name is Wolfgang and I come from Germany. Where are you heading today?',
    );
  });

  it('a safety stop (audio/unary-failure-transcription-safety.json) is content_filter', () => {
    const error = errorOf(() =>
      convertGeminiTranscription(answer('audio/unary-failure-transcription-safety.json'), options(), {
        duration: undefined,
        warnings: [],
      }),
    );
    expect(error.gatewayCode).toBe('GW_ERR_CONTENT_FILTERED');
  });

  it('makes backwards or missing times sane, and refuses JSON without segments', () => {
    const { segments } = readSegments(
      JSON.stringify({
        language: 'en',
        segments: [{ start: 3, end: 1, text: ' a ' }, { text: 'b' }, { start: 5, end: 6, text: '' }],
      }),
      1,
    );
    expect(segments.map(({ start, end, text }) => ({ start, end, text }))).toEqual([
      { start: 3, end: 3, text: 'a' },
      { start: 3, end: 3, text: 'b' },
    ]);
    expect(formatSrt(segments)).toBe(
      '1\n00:00:03,000 --> 00:00:03,000\na\n\n2\n00:00:03,000 --> 00:00:03,000\nb\n\n\n',
    );
    expect(errorOf(() => readSegments('{"language":"en"}', 1)).gatewayCode).toBe(
      'GW_ERR_UPSTREAM_BAD_RESPONSE',
    );
    expect(errorOf(() => readSegments('not json', 1)).gatewayCode).toBe('GW_ERR_UPSTREAM_BAD_RESPONSE');
  });
});

describe('speech requests → Gemini', () => {
  it('maps every OpenAI voice to a Gemini voice, and takes Gemini voices in any case', () => {
    for (const voice of Object.values(OPENAI_VOICE_MAP)) expect(GEMINI_VOICES).toContain(voice);
    expect(mapSpeechVoice('alloy')).toBe('Kore');
    expect(mapSpeechVoice('zubenelgenubi')).toBe('Zubenelgenubi');
    expect(errorOf(() => mapSpeechVoice({ id: 'voice_123' })).param).toBe('voice');
  });

  it('puts the instructions before the text as a style direction', () => {
    const plan = convertToGeminiSpeech(
      {
        model: 'tts',
        input: 'Good night.',
        voice: 'nova',
        instructions: ' Whisper softly... ',
        response_format: 'wav',
      },
      tts,
      settings,
      'drop',
      [],
    );
    expect(plan.body.contents[0]!.parts).toEqual([{ text: 'Whisper softly:\nGood night.' }]);
    expect(plan).toMatchObject({ format: 'wav', voice: 'Zephyr', events: false });
  });

  it('refuses unknown fields with UNSUPPORTED_PARAMETERS=reject', () => {
    const error = errorOf(() =>
      convertToGeminiSpeech(
        { model: 'tts', input: 'x', voice: 'alloy', extra: 1 } as never,
        tts,
        settings,
        'reject',
        [],
      ),
    );
    expect(error.gatewayCode).toBe('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER');
    expect(error.param).toBe('extra');
  });
});

describe("Gemini's speech stream → PCM", () => {
  it('reads the PCM of audio/streaming-success-speech.txt: exactly the tone the README describes', async () => {
    const speech = await openGeminiSpeech(events('audio/streaming-success-speech.txt'));
    expect(speech.pcmFormat).toEqual({ sampleRate: 24_000, channels: 1 });
    const pieces: Buffer[] = [];
    for await (const piece of speech.pcm) pieces.push(piece);
    expect(pieces.map((piece) => piece.length)).toEqual([12_000, 9600, 7200]);
    expect(Buffer.concat(pieces).equals(speechTone())).toBe(true);
    expect(speech.usage()?.gateway).toMatchObject({ promptTokens: 9, completionTokens: 15, totalTokens: 24 });
  });

  it('refuses a stream without audio, and a blocked prompt, before any audio', async () => {
    await expect(
      openGeminiSpeech(events('audio/streaming-failure-speech-no-audio.txt')),
    ).rejects.toMatchObject({
      gatewayCode: 'GW_ERR_UPSTREAM_BAD_RESPONSE',
    });
    await expect(
      openGeminiSpeech(events('audio/streaming-failure-speech-prompt-blocked.txt')),
    ).rejects.toMatchObject({
      gatewayCode: 'GW_ERR_CONTENT_FILTERED',
    });
  });

  it('reads the PCM format from the MIME type', () => {
    expect(parsePcmMimeType('audio/L16;codec=pcm;rate=24000')).toEqual({ sampleRate: 24_000, channels: 1 });
    expect(parsePcmMimeType('audio/pcm; rate=16000; channels=2')).toEqual({
      sampleRate: 16_000,
      channels: 2,
    });
    expect(parsePcmMimeType('audio/wav')).toBeUndefined();
  });
});
