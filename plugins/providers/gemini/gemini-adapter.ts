/**
 * The adapter of a Gemini instance: OpenAI-shaped chat completions (unary and streamed), embeddings
 * and audio served by the Gemini API, translated both ways so a client that speaks only OpenAI cannot
 * tell the difference in shapes, stream framing, tool-call protocol or error envelope.
 * @see https://ai.google.dev/api
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { AudioEndpoint, SpeechRequest } from '../../../schemas/audio.js';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import type { ImageGenerationRequest } from '../../../schemas/images.js';
import type { GatewayOptions } from '../../../schemas/options.js';
import { PCM_AUDIO_CONTENT_TYPES, canEncodePcm, encodePcmAudio } from '../../../src/encode-pcm-audio.js';
import { startDurationProbe } from '../../../src/measure-audio-duration.js';
import type {
  AudioUpload,
  ByteStreamResult,
  CallContext,
  ChatStream,
  FormField,
  ImageUpload,
  MediaFetcher,
  NativeRequest,
  NativeStreamResult,
  ProviderAdapter,
  ProviderInstanceConfig,
  ProviderServices,
  Target,
  UnaryResult,
} from '../../../src/provider.js';
import {
  MAX_ANSWER_BYTES,
  expectEventStream,
  parseJsonObject,
  readJsonObject,
} from '../../../src/provider-toolkit.js';
import { formatDataEvent } from '../../../src/sse.js';
import {
  UpstreamFailure,
  originOf,
  readBody,
  sendUpstream,
  sendUpstreamWhole,
  toUpstreamFailure,
} from '../../../src/upstream.js';
import {
  GEMINI_API_VERSION,
  buildGeminiHeaders,
  geminiModelPath,
  type GeminiBatchEmbedContentsResponse,
  type GeminiMethod,
  type GeminiGenerateContentResponse,
} from './gemini-api.js';
import { GEMINI_CHAT_PARAMETERS, convertToGeminiRequest } from './convert-to-gemini-request.js';
import { convertGeminiResponse } from './convert-gemini-response.js';
import {
  convertGeminiEmbeddings,
  convertToGeminiEmbeddings,
  embeddingInputs,
} from './convert-gemini-embeddings.js';
import { convertGeminiErrorAnswer, readGeminiError } from './gemini-error.js';
import type { GeminiSettings } from './gemini-options.js';
import { GatewayError } from '../../../src/errors.js';
import { imageTypeOf, readImageEditOptions } from '../../../src/image-form.js';
import {
  GeminiStreamTranslator,
  readGeminiEvents,
  readGeminiRawEvents,
  readGeminiStream,
} from './gemini-stream.js';
import {
  GEMINI_NATIVE_API,
  NATIVE_OPERATIONS,
  readNativeUsage,
  replaceNativeModel,
} from './gemini-native.js';
import {
  convertToGeminiTranscription,
  geminiAudioMimeType,
  readTranscriptionOptions,
  writeTranscriptionBody,
  type TranscriptionOptions,
} from './convert-to-gemini-transcription.js';
import { convertGeminiTranscription } from './convert-gemini-transcription.js';
import { convertToGeminiSpeech } from './convert-to-gemini-speech.js';
import {
  convertGeminiImages,
  convertToGeminiImageEdit,
  convertToGeminiImageRequest,
  type GeminiInlineImage,
  type GeminiImageContentResponse,
  type ImagenPredictResponse,
} from './convert-to-gemini-images.js';
import { openGeminiSpeech } from './gemini-speech-stream.js';

/**
 * Most bytes of image sent inline in one edit: Gemini takes requests of at most 20 MB, and base64
 * makes 15 MB of image 20 MB of text.
 * @see https://ai.google.dev/gemini-api/docs/image-understanding#inline-image
 */
const MAX_GEMINI_INLINE_IMAGE_BYTES = 15 * 1024 * 1024;

/** Where Google's Files API keeps uploads; such URIs are passed to Gemini, not downloaded. */
const GOOGLE_FILES_PREFIX = `https://generativelanguage.googleapis.com/${GEMINI_API_VERSION}/files/`;

export class GeminiAdapter implements ProviderAdapter {
  readonly type = 'gemini';
  readonly chatParameters = GEMINI_CHAT_PARAMETERS;
  readonly nativeApis: ReadonlySet<string> = new Set([GEMINI_NATIVE_API]);
  readonly #id: string;
  readonly #origin: string;
  readonly #pathPrefix: string;
  readonly #apiKey: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #headers: Record<string, string>;
  readonly #settings: GeminiSettings;
  readonly #media: MediaFetcher;
  readonly #fileUriPrefixes: readonly string[];
  readonly #unsupportedParameters: GatewayOptions['unsupportedParameters'];

  constructor(config: ProviderInstanceConfig<GeminiSettings>, services: ProviderServices) {
    this.#unsupportedParameters = services.unsupportedParameters;
    this.#id = config.id;
    const { origin, pathPrefix } = originOf(config.baseUrl);
    this.#origin = origin;
    this.#pathPrefix = pathPrefix;
    this.#apiKey = config.apiKey;
    this.#dispatcher = services.dispatcher;
    this.#headers = buildGeminiHeaders(config.apiKey);
    this.#settings = config.settings;
    this.#media = services.media;
    const own = `${config.baseUrl}/${GEMINI_API_VERSION}/files/`;
    this.#fileUriPrefixes = own === GOOGLE_FILES_PREFIX ? [own] : [own, GOOGLE_FILES_PREFIX];
  }

  #secrets(context: CallContext): (string | undefined)[] {
    return [this.#apiKey, context.apiKey];
  }

  async #post(path: string, body: unknown, context: CallContext, signal = context.signal) {
    return this.#send(path, JSON.stringify(body), context, signal);
  }

  /** POSTs a JSON body already written (a string, or a stream of its bytes). */
  async #send(path: string, body: string | Readable, context: CallContext, signal = context.signal) {
    const headers = context.apiKey ? { ...this.#headers, 'x-goog-api-key': context.apiKey } : this.#headers;
    const response = await sendUpstream(
      this.#dispatcher,
      { origin: this.#origin, path, headers, body, signal },
      this.#id,
    );
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readGeminiError(response, signal, this.#id, this.#secrets(context));
    }
    return response;
  }

  /** POSTs a JSON body and reads the answer whole (unary calls): the bytes of a 2xx answer. */
  async #postWhole(path: string, body: unknown, context: CallContext): Promise<Buffer> {
    const headers = context.apiKey ? { ...this.#headers, 'x-goog-api-key': context.apiKey } : this.#headers;
    const answer = await sendUpstreamWhole(
      this.#dispatcher,
      { origin: this.#origin, path, headers, body: JSON.stringify(body), signal: context.signal },
      this.#id,
      MAX_ANSWER_BYTES,
    );
    if (answer.statusCode < 200 || answer.statusCode > 299) {
      const text = answer.body.toString('utf8');
      throw convertGeminiErrorAnswer(
        answer.statusCode,
        answer.headers,
        text,
        this.#id,
        this.#secrets(context),
      );
    }
    return answer.body;
  }

  #convert(request: ChatCompletionRequest, target: Target, context: CallContext) {
    return convertToGeminiRequest(request, target, {
      settings: this.#settings,
      warnings: context.warnings,
      fileUriPrefixes: this.#fileUriPrefixes,
      fetchImage: (url, param) =>
        this.#media.fetch(url, {
          param,
          signal: context.signal,
          scope: context.mediaScope,
          accepts: (mimeType) => mimeType.startsWith('image/'),
          expected: 'an image',
        }),
    });
  }

  async chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const body = await this.#convert(request, target, context);
    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, 'generateContent');
    const bytes = await this.#postWhole(path, body, context);
    const wire = parseJsonObject<GeminiGenerateContentResponse>(bytes.toString('utf8'), this.#id);
    const { completion, usage } = convertGeminiResponse(wire, target.upstreamModel, {
      exposeThoughts: this.#settings.thoughts === 'expose',
      warnings: context.warnings,
    });
    return {
      body: JSON.stringify(completion),
      contentType: 'application/json',
      usage,
      model: completion.model,
    };
  }

  async chatStream(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<ChatStream> {
    const body = await this.#convert(request, target, context);
    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, 'streamGenerateContent');
    const response = await this.#post(path, body, context);
    expectEventStream(response, this.#id);
    const translator = new GeminiStreamTranslator({
      model: target.upstreamModel,
      includeUsage: request.stream_options?.include_usage === true,
      exposeThoughts: this.#settings.thoughts === 'expose',
      warnings: context.warnings,
    });
    return readGeminiStream(response, translator, context.signal, this.#id, this.#secrets(context));
  }

  /**
   * A request of the gateway's Gemini door, passed through (gemini-native.ts): the client's body with
   * the upstream model in its URL and model fields; a unary answer's bytes unchanged, its usage read;
   * a stream's events unchanged.
   */
  async native(
    request: NativeRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | NativeStreamResult> {
    if (request.api !== GEMINI_NATIVE_API || !NATIVE_OPERATIONS.has(request.operation)) {
      throw new Error(`the Gemini adapter does not pass through ${request.api} ${request.operation}`);
    }
    const operation = request.operation as GeminiMethod;
    const body = replaceNativeModel(request.body, operation, `models/${target.upstreamModel}`);
    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, operation);
    const response = await this.#post(path, body, context);
    if (request.stream) {
      expectEventStream(response, this.#id);
      return {
        contentType: 'text/event-stream',
        events: readGeminiRawEvents(response, context.signal, this.#id, this.#secrets(context)),
        model: target.upstreamModel,
      };
    }
    const bytes = await readBody(response, context.signal, this.#id, MAX_ANSWER_BYTES);
    const answer = parseJsonObject<Record<string, unknown>>(bytes.toString('utf8'), this.#id);
    const version = answer['modelVersion'];
    return {
      body: bytes,
      contentType: String(response.headers['content-type'] ?? 'application/json; charset=UTF-8'),
      usage: readNativeUsage(operation, request.body, answer),
      model: typeof version === 'string' && version ? version : target.upstreamModel,
    };
  }

  /**
   * POST /v1/images/edits: a Gemini image-output model through `generateContent`, the form's images
   * read whole (bounded, their type checked by their bytes) and sent inline after the prompt; the
   * images back as OpenAI's `b64_json`. Imagen edits nothing through the Gemini API, and a mask has
   * no Gemini counterpart: both are refused before anything is read.
   * @see https://ai.google.dev/gemini-api/docs/image-generation#image_editing_text-and-image-to-image
   */
  async imageEdits(upload: ImageUpload, target: Target, context: CallContext): Promise<UnaryResult> {
    if (target.model?.type === 'image') {
      throw new GatewayError('GW_ERR_MODEL_WRONG_TYPE', {
        message:
          `${target.upstreamModel} makes images from a prompt only: the Gemini API has no image edits ` +
          'for Imagen models. Edit images with a Gemini image-output model (gemini-2.5-flash-image).',
        param: 'model',
      });
    }
    const fields: FormField[] = [];
    const images: GeminiInlineImage[] = [];
    let inlineBytes = 0;
    for await (const part of upload.parts) {
      if (part.kind === 'field') {
        fields.push(part.field);
        continue;
      }
      if (part.name === 'mask') {
        part.file.stream.resume();
        throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
          message:
            `'mask' is not supported by ${target.upstreamModel}: Gemini edits the image as the prompt ` +
            'says, with no mask. Leave the mask out and say in the prompt what to change.',
          param: 'mask',
        });
      }
      const chunks: Buffer[] = [];
      for await (const chunk of part.file.stream) {
        inlineBytes += (chunk as Buffer).length;
        if (inlineBytes > MAX_GEMINI_INLINE_IMAGE_BYTES) {
          throw new GatewayError('GW_ERR_IMAGE_FILE_TOO_LARGE', {
            message:
              `The images are larger than ${MAX_GEMINI_INLINE_IMAGE_BYTES} bytes in all, the most sent inline ` +
              `to ${target.upstreamModel} (Gemini takes requests of at most 20 MB, images base64-encoded).`,
            param: part.name,
          });
        }
        chunks.push(chunk as Buffer);
      }
      const data = Buffer.concat(chunks);
      const mimeType = imageTypeOf(data);
      if (!mimeType) {
        throw new GatewayError('GW_ERR_MEDIA_UNSUPPORTED_TYPE', {
          message: `The file '${part.file.filename}' is not a png, jpeg or webp image.`,
          param: part.name,
        });
      }
      images.push({ mimeType, data });
    }
    const converted = convertToGeminiImageEdit(readImageEditOptions(fields), images, {
      unsupportedParameters: this.#unsupportedParameters,
      warnings: context.warnings,
      model: target.upstreamModel,
    });
    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, converted.method);
    const response = await this.#post(path, converted.body, context);
    const wire = await readJsonObject<GeminiImageContentResponse>(response, context.signal, this.#id);
    return this.#imagesAnswer(wire, target, false);
  }

  /**
   * POST /v1/images/generations: Imagen (catalog type `image`) through `predict`, a Gemini model that
   * answers images through `generateContent`; the images back as OpenAI's `b64_json`.
   */
  async images(request: ImageGenerationRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const imagen = target.model?.type === 'image';
    const converted = convertToGeminiImageRequest(request, imagen, {
      unsupportedParameters: this.#unsupportedParameters,
      warnings: context.warnings,
      model: target.upstreamModel,
    });
    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, converted.method);
    const response = await this.#post(path, converted.body, context);
    const wire = await readJsonObject<ImagenPredictResponse | GeminiImageContentResponse>(
      response,
      context.signal,
      this.#id,
    );
    return this.#imagesAnswer(wire, target, imagen);
  }

  /** Gemini's images as OpenAI's images object, each image counted. */
  #imagesAnswer(
    wire: ImagenPredictResponse | GeminiImageContentResponse,
    target: Target,
    imagen: boolean,
  ): UnaryResult {
    const answer = convertGeminiImages(wire, target.upstreamModel, Math.floor(Date.now() / 1000));
    const metadata = (wire as GeminiImageContentResponse).usageMetadata;
    const promptTokens = metadata?.promptTokenCount ?? 0;
    return {
      body: JSON.stringify(answer),
      contentType: 'application/json',
      usage: {
        promptTokens: imagen ? 0 : promptTokens,
        completionTokens: 0,
        totalTokens: imagen ? 0 : promptTokens,
        reasoningTokens: 0,
        cachedTokens: 0,
        images: answer.data.length,
      },
      model: target.upstreamModel,
    };
  }

  async embeddings(request: EmbeddingsRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const inputs = embeddingInputs(request);
    const batches = convertToGeminiEmbeddings(request, target.upstreamModel, context.warnings);
    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, 'batchEmbedContents');
    // Batches go out together; the first failure cancels the others.
    const siblings = new AbortController();
    const signal = AbortSignal.any([context.signal, siblings.signal]);
    let answers: GeminiBatchEmbedContentsResponse[];
    try {
      answers = await Promise.all(
        batches.map(async (batch) => {
          const response = await this.#post(path, batch, context, signal);
          return readJsonObject<GeminiBatchEmbedContentsResponse>(response, signal, this.#id);
        }),
      );
    } catch (error) {
      siblings.abort();
      throw error;
    }
    const converted = convertGeminiEmbeddings(answers, inputs, request, target.upstreamModel);
    return {
      body: JSON.stringify(converted.body),
      contentType: 'application/json',
      usage: converted.usage,
      model: target.upstreamModel,
    };
  }

  // ---- audio --------------------------------------------------------------------------------------

  transcribe(upload: AudioUpload, target: Target, context: CallContext): Promise<UnaryResult> {
    return this.#transcribe('transcription', upload, target, context);
  }

  translate(upload: AudioUpload, target: Target, context: CallContext): Promise<UnaryResult> {
    return this.#transcribe('translation', upload, target, context);
  }

  /**
   * `generateContent` with the audio inline, sent while the upload still arrives; the answer in the
   * requested `response_format` (convert-gemini-transcription.ts).
   */
  async #transcribe(
    endpoint: AudioEndpoint,
    upload: AudioUpload,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    const policy = this.#unsupportedParameters;
    // What the fields before the file already refuse is refused before a byte goes to Google.
    readTranscriptionOptions(endpoint, upload.fields, target, policy, []);
    const mimeType = geminiAudioMimeType(upload.file);
    // verbose_json reports the audio's length: measured on the way through when it may be asked for.
    const namesFormat = upload.fields.some((field) => field.name === 'response_format');
    const moreFields = upload.file.size === undefined;
    const leadingFormat = readTranscriptionOptions(endpoint, upload.fields, target, 'drop', []).format;
    const probe =
      leadingFormat === 'verbose_json' || (!namesFormat && moreFields)
        ? startDurationProbe(mimeType)
        : undefined;

    let options: TranscriptionOptions | undefined;
    let bodyFailure: unknown;
    const finish = async () => {
      const fields = [...upload.fields, ...(await upload.fieldsAfterFile())];
      options = readTranscriptionOptions(endpoint, fields, target, policy, context.warnings);
      return convertToGeminiTranscription(options, target, this.#settings);
    };
    async function* body(): AsyncGenerator<Buffer, void, undefined> {
      try {
        const audio = probe ? probe.watch(upload.file.stream) : upload.file.stream;
        yield* writeTranscriptionBody(mimeType, audio, finish);
      } catch (error) {
        bodyFailure = error;
        throw error;
      }
    }

    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, 'generateContent');
    let wire: GeminiGenerateContentResponse;
    try {
      const response = await this.#send(path, Readable.from(body(), { objectMode: false }), context);
      wire = await readJsonObject<GeminiGenerateContentResponse>(response, context.signal, this.#id);
    } catch (error) {
      probe?.stop();
      // A refused field or a failed upload explains the failed request better than the transport.
      throw bodyFailure ?? error;
    }
    if (!options) throw new Error('the transcription request was sent without its options');
    const duration = options.format === 'verbose_json' ? await probe?.duration : undefined;
    probe?.stop();
    const converted = convertGeminiTranscription(wire, options, { duration, warnings: context.warnings });
    return {
      body: converted.body,
      contentType: converted.contentType,
      usage: converted.usage,
      model: wire.modelVersion || target.upstreamModel,
    };
  }

  /**
   * `streamGenerateContent` of a text-to-speech model; its PCM relayed as it arrives, as pcm, wav
   * or mp3, or as `speech.audio.*` events with `stream_format: "sse"`.
   */
  async speech(request: SpeechRequest, target: Target, context: CallContext): Promise<ByteStreamResult> {
    const plan = convertToGeminiSpeech(
      request,
      target,
      this.#settings,
      this.#unsupportedParameters,
      context.warnings,
    );
    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, 'streamGenerateContent');
    const response = await this.#post(path, plan.body, context);
    expectEventStream(response, this.#id);
    const speech = await openGeminiSpeech(
      readGeminiEvents(response, context.signal, this.#id, this.#secrets(context)),
    );
    if (!canEncodePcm(plan.format, speech.pcmFormat)) {
      await speech.cancel();
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `Gemini's audio (${speech.pcmFormat.sampleRate} Hz, ${speech.pcmFormat.channels} channels) cannot be encoded as ${plan.format}.`,
      });
    }
    const signal = context.signal;
    const provider = this.#id;
    const audio = encodePcmAudio(speech.pcm, plan.format, speech.pcmFormat);
    async function* guarded(): AsyncGenerator<Buffer, void, undefined> {
      try {
        yield* audio;
      } catch (error) {
        throw toUpstreamFailure(error, signal, provider);
      }
    }
    if (!plan.events) {
      return {
        contentType: PCM_AUDIO_CONTENT_TYPES[plan.format],
        stream: guarded(),
        model: target.upstreamModel,
      };
    }
    async function* events(): AsyncGenerator<Buffer, void, undefined> {
      for await (const piece of guarded()) {
        yield Buffer.from(formatDataEvent({ type: 'speech.audio.delta', audio: piece.toString('base64') }));
      }
      const usage = speech.usage()?.gateway;
      const done: Record<string, unknown> = { type: 'speech.audio.done' };
      if (usage) {
        done['usage'] = {
          input_tokens: usage.promptTokens,
          output_tokens: usage.completionTokens,
          total_tokens: usage.totalTokens,
        };
      }
      yield Buffer.from(formatDataEvent(done));
    }
    return { contentType: 'text/event-stream; charset=utf-8', stream: events(), model: target.upstreamModel };
  }
}
