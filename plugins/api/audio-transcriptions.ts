/**
 * POST /v1/audio/transcriptions and POST /v1/audio/translations: a multipart form with the audio,
 * streamed to the provider that serves the model (plugins/api/audio-upload.ts), and the answer as the
 * provider gave it: JSON, text, subtitles, or server-sent transcription events.
 * @see https://platform.openai.com/docs/api-reference/audio/createTranscription
 * @see https://platform.openai.com/docs/api-reference/audio/createTranslation
 *
 * This plugin is encapsulated: the multipart parser, and the parser that leaves any other body
 * unread (so it can be refused with a 400 that says what to send), apply to these routes only.
 */
import type { FastifyPluginAsync, RouteShorthandOptions } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  MAX_AUDIO_FILE_BYTES,
  MAX_AUDIO_REQUEST_BYTES,
  TranscriptionFormSchema,
  TranslationFormSchema,
  type AudioEndpoint,
} from '../../schemas/audio.js';
import { commonErrorResponses } from '../../schemas/common.js';
import { receiveAudioUpload } from '../../src/http/audio-upload.js';
import {
  acceptMultipartOnly,
  callWithUpload,
  refuseDeclaredLengthOver,
  type UploadMethod,
} from '../../src/http/call-with-upload.js';
import { GatewayError } from '../../src/errors.js';
import type { AudioUpload } from '../../src/provider.js';

export interface AudioRouteOptions {
  requestTimeout: number;
}

const METHODS: Record<AudioEndpoint, UploadMethod<AudioUpload>> = {
  transcription: (adapter) => adapter.transcribe?.bind(adapter),
  translation: (adapter) => adapter.translate?.bind(adapter),
};

/** A declared length over the limit is refused before a byte of the body is read. */
const refuseDeclaredOversize = refuseDeclaredLengthOver(
  MAX_AUDIO_REQUEST_BYTES,
  (declared) =>
    new GatewayError('GW_ERR_AUDIO_FILE_TOO_LARGE', {
      message:
        `The request declares ${declared} bytes; an audio upload may hold a file of at most ` +
        `${MAX_AUDIO_FILE_BYTES} bytes (25 MB) and ${MAX_AUDIO_REQUEST_BYTES} bytes in all.`,
      param: 'file',
    }),
);

export const audioTranscriptionRoutes: FastifyPluginAsync<AudioRouteOptions> = async (fastify, options) => {
  await acceptMultipartOnly(fastify);

  const route = (endpoint: AudioEndpoint, path: string, summary: string, form: object) => {
    const routeOptions: RouteShorthandOptions = {
      config: { rateLimitClass: 'audio', cacheable: false, concurrencyLimited: true },
      onRequest: refuseDeclaredOversize,
      // The form is read part by part in the handler; the body schema documents it for OpenAPI.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['audio'],
        summary,
        consumes: ['multipart/form-data'],
        body: form,
        response: {
          200: {
            description:
              'The text in the requested response_format: JSON (json, verbose_json), text/plain (text, ' +
              'srt, vtt), or with stream=true server-sent transcription events',
            content: {
              'application/json': { schema: Type.Ref('CreateTranscriptionResponse') },
              'text/plain': { schema: Type.String() },
              'text/event-stream': { schema: Type.String() },
            },
          },
          413: Type.Ref('ErrorResponse'),
          ...commonErrorResponses,
        },
      },
    };
    fastify.post(path, routeOptions, (request, reply) =>
      callWithUpload(fastify.gatewayRouter, request, reply, {
        operation: endpoint,
        requestTimeout: options.requestTimeout,
        receive: () => receiveAudioUpload(request, endpoint),
        method: METHODS[endpoint],
      }),
    );
  };

  route(
    'transcription',
    '/v1/audio/transcriptions',
    'Transcribe audio into the language spoken',
    TranscriptionFormSchema,
  );
  route('translation', '/v1/audio/translations', 'Translate audio into English', TranslationFormSchema);
};
