/**
 * The Gemini provider: OpenAI-shaped chat completions (unary and streamed) and embeddings served by
 * the Gemini API, translated both ways so a client that speaks only OpenAI cannot tell the difference
 * in shapes, stream framing, tool-call protocol or error envelope.
 * @see https://ai.google.dev/api
 */
import fp from 'fastify-plugin';
import type { Dispatcher } from 'undici';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import type { MediaOptions } from '../../../schemas/options.js';
import type {
  CallContext,
  ChatStream,
  ProviderAdapter,
  ProviderInstanceConfig,
  Target,
  UnaryResult,
} from '../../../src/provider.js';
import { RemoteMedia } from '../../../src/remote-media.js';
import { UpstreamFailure, originOf, readBody, sendUpstream } from '../../../src/upstream.js';
import {
  GEMINI_API_VERSION,
  buildGeminiHeaders,
  geminiModelPath,
  type GeminiBatchEmbedContentsResponse,
  type GeminiGenerateContentResponse,
} from './gemini-api.js';
import { GEMINI_CHAT_PARAMETERS, convertToGeminiRequest } from './convert-to-gemini-request.js';
import { convertGeminiResponse } from './convert-gemini-response.js';
import {
  convertGeminiEmbeddings,
  convertToGeminiEmbeddings,
  embeddingInputs,
} from './convert-gemini-embeddings.js';
import { readGeminiError } from './gemini-error.js';
import { resolveGeminiSettings, type GeminiSettings } from './gemini-options.js';
import { GeminiStreamTranslator, readGeminiStream } from './gemini-stream.js';

export const GEMINI_PROVIDER_TYPE = 'gemini';

/** Where Google's Files API keeps uploads; such URIs are passed to Gemini, not downloaded. */
const GOOGLE_FILES_PREFIX = `https://generativelanguage.googleapis.com/${GEMINI_API_VERSION}/files/`;

export class GeminiAdapter implements ProviderAdapter {
  readonly type = GEMINI_PROVIDER_TYPE;
  readonly chatParameters = GEMINI_CHAT_PARAMETERS;
  readonly #id: string;
  readonly #origin: string;
  readonly #pathPrefix: string;
  readonly #apiKey: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #headers: Record<string, string>;
  readonly #settings: GeminiSettings;
  readonly #media: RemoteMedia;
  readonly #fileUriPrefixes: readonly string[];

  constructor(config: ProviderInstanceConfig, media: RemoteMedia) {
    this.#id = config.id;
    const { origin, pathPrefix } = originOf(config.baseUrl);
    this.#origin = origin;
    this.#pathPrefix = pathPrefix;
    this.#apiKey = config.apiKey;
    this.#dispatcher = config.dispatcher;
    this.#headers = buildGeminiHeaders(config.apiKey);
    this.#settings = resolveGeminiSettings(config.id, config.options);
    this.#media = media;
    const own = `${config.baseUrl}/${GEMINI_API_VERSION}/files/`;
    this.#fileUriPrefixes = own === GOOGLE_FILES_PREFIX ? [own] : [own, GOOGLE_FILES_PREFIX];
  }

  #secrets(context: CallContext): (string | undefined)[] {
    return [this.#apiKey, context.apiKey];
  }

  async #post(path: string, body: unknown, context: CallContext, signal = context.signal) {
    const headers = context.apiKey ? { ...this.#headers, 'x-goog-api-key': context.apiKey } : this.#headers;
    const response = await sendUpstream(
      this.#dispatcher,
      { origin: this.#origin, path, headers, body: JSON.stringify(body), signal },
      this.#id,
    );
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readGeminiError(response, signal, this.#id, this.#secrets(context));
    }
    return response;
  }

  async #readJson<T>(response: Dispatcher.ResponseData, signal: AbortSignal): Promise<T> {
    const bytes = await readBody(response, signal, this.#id);
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${this.#id} sent an answer that is not a JSON object.`,
      });
    }
    return parsed as T;
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
          accepts: (mimeType) => mimeType.startsWith('image/'),
          expected: 'an image',
        }),
    });
  }

  async chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const body = await this.#convert(request, target, context);
    const path = geminiModelPath(this.#pathPrefix, target.upstreamModel, 'generateContent');
    const response = await this.#post(path, body, context);
    const wire = await this.#readJson<GeminiGenerateContentResponse>(response, context.signal);
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
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.startsWith('text/event-stream')) {
      response.body.on('error', () => {}).destroy();
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${this.#id} answered a stream request with ${contentType || 'no content type'}.`,
      });
    }
    const translator = new GeminiStreamTranslator({
      model: target.upstreamModel,
      includeUsage: request.stream_options?.include_usage === true,
      exposeThoughts: this.#settings.thoughts === 'expose',
      warnings: context.warnings,
    });
    return readGeminiStream(response, translator, context.signal, this.#id, this.#secrets(context));
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
          return this.#readJson<GeminiBatchEmbedContentsResponse>(response, signal);
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
}

export interface GeminiProviderPluginOptions {
  /** Limits of the downloads of image URLs (the gateway's `media` options). */
  media: MediaOptions;
}

export const geminiProviderPlugin = fp<GeminiProviderPluginOptions>(
  async (fastify, options) => {
    const media = new RemoteMedia(options.media);
    fastify.addHook('onClose', async () => media.close());
    fastify.gatewayProviders.registerFactory({
      type: GEMINI_PROVIDER_TYPE,
      apiKeyVariable: 'GEMINI_API_KEY',
      create: (config) => new GeminiAdapter(config, media),
    });
  },
  { name: 'llm-gateway-provider-gemini', fastify: '5.x', dependencies: ['llm-gateway-providers'] },
);
