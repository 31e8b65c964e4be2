/**
 * The adapter of a Vertex AI instance: OpenAI-shaped chat completions (unary and streamed) served by
 * the models Google Cloud's Vertex AI publishes: Gemini, through the Gemini provider's converters and
 * stream translator, and Claude, through the Anthropic provider's. Only the endpoint, the paths and
 * the OAuth token are Vertex's own. Each family also speaks its maker's API on Vertex, so the
 * gateway's Gemini door passes its requests through to Gemini models, and its Anthropic door to
 * Claude models (`native`).
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude
 */
import type { Dispatcher } from 'undici';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type {
  CallContext,
  ChatStream,
  NativeRequest,
  NativeStreamResult,
  ProviderAdapter,
  ProviderInstanceConfig,
  ProviderServices,
  Target,
  UnaryResult,
} from '../../../src/provider.js';
import { GatewayError } from '../../../src/errors.js';
import {
  MAX_ANSWER_BYTES,
  expectEventStream,
  parseJsonObject,
  readJsonObject,
} from '../../../src/provider-toolkit.js';
import { originOf, readBody, sendUpstream } from '../../../src/upstream.js';
import { mergeBetas, type AnthropicMessageResponse } from '../anthropic/anthropic-api.js';
import { MESSAGES_API, nativeBetas, readNativeStream } from '../anthropic/anthropic-native.js';
import { AnthropicStreamTranslator, readAnthropicStream } from '../anthropic/anthropic-stream.js';
import { convertAnthropicResponse, mapAnthropicUsage } from '../anthropic/convert-anthropic-response.js';
import { IMAGE_MEDIA_TYPES } from '../anthropic/convert-to-anthropic-messages.js';
import {
  ANTHROPIC_CHAT_PARAMETERS,
  convertToAnthropicRequest,
} from '../anthropic/convert-to-anthropic-request.js';
import type { GeminiGenerateContentResponse } from '../gemini/gemini-api.js';
import { GeminiStreamTranslator, readGeminiRawEvents, readGeminiStream } from '../gemini/gemini-stream.js';
import { GEMINI_NATIVE_API, readNativeUsage } from '../gemini/gemini-native.js';
import { convertGeminiResponse } from '../gemini/convert-gemini-response.js';
import { GEMINI_CHAT_PARAMETERS, convertToGeminiRequest } from '../gemini/convert-to-gemini-request.js';
import {
  DEFAULT_VERTEX_BASE_URL,
  VERTEX_ANTHROPIC_VERSION,
  publisherOf,
  vertexEndpoint,
  vertexModelPath,
  type VertexMethod,
} from './vertex-api.js';
import type { VertexTokens } from './vertex-auth.js';
import { readVertexError, tokenFailure } from './vertex-error.js';
import type { VertexSettings } from './vertex-options.js';

/** Cloud Storage URIs, which Gemini on Vertex reads itself (`fileData`) rather than the gateway downloading them. */
const CLOUD_STORAGE_PREFIXES = ['gs://'];

/** The chat parameters of either family: the union, each family's converter honouring its own. */
const VERTEX_CHAT_PARAMETERS: ReadonlySet<string> = new Set([
  ...GEMINI_CHAT_PARAMETERS,
  ...ANTHROPIC_CHAT_PARAMETERS,
]);

/** The Gemini API's methods Gemini on Vertex serves with the same bodies and answers. */
const GEMINI_NATIVE_METHODS: ReadonlySet<string> = new Set([
  'generateContent',
  'streamGenerateContent',
  'countTokens',
]);

type Body = Record<string, unknown>;

function isObject(value: unknown): value is Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A Gemini API body as Vertex takes it: the model is the path's alone (Vertex's requests have no
 * `model` field), and `countTokens` takes the fields of a generate request at its top level where
 * the Gemini API nests them in `generateContentRequest`.
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/count-tokens
 */
export function convertToVertexGeminiBody(body: Body, method: string): Body {
  const { model: _model, ...rest } = body;
  if (method !== 'countTokens' || !isObject(rest['generateContentRequest'])) return rest;
  const { model: _nestedModel, ...nested } = rest['generateContentRequest'];
  return nested;
}

export class VertexAdapter implements ProviderAdapter {
  readonly type = 'vertex';
  readonly chatParameters = VERTEX_CHAT_PARAMETERS;
  /** Gemini models speak the Gemini API, Claude models Anthropic's Messages API (`nativeApiFor`). */
  readonly nativeApis: ReadonlySet<string> = new Set([GEMINI_NATIVE_API, MESSAGES_API]);
  readonly #id: string;
  readonly #origin: string;
  readonly #pathPrefix: string;
  readonly #location: string;
  readonly #project: () => Promise<string>;
  readonly #tokens: VertexTokens;
  readonly #dispatcher: Dispatcher;
  readonly #settings: VertexSettings;
  readonly #services: ProviderServices;

  /**
   * @param project the project the instance names or its key file gives, else undefined (then the
   *   application default credentials are asked, once)
   */
  constructor(
    config: ProviderInstanceConfig<VertexSettings>,
    services: ProviderServices,
    tokens: VertexTokens,
    project: string | undefined,
  ) {
    this.#id = config.id;
    const settings = config.settings;
    this.#location = settings.location;
    // The default base URL stands for the location's endpoint; one that was set is kept.
    const baseUrl =
      config.baseUrl === DEFAULT_VERTEX_BASE_URL ? vertexEndpoint(settings.location) : config.baseUrl;
    const { origin, pathPrefix } = originOf(baseUrl);
    this.#origin = origin;
    this.#pathPrefix = pathPrefix;
    this.#tokens = tokens;
    let known: Promise<string> | undefined = project ? Promise.resolve(project) : undefined;
    this.#project = () => {
      known ??= tokens.projectId().catch((error: unknown) => {
        known = undefined;
        throw tokenFailure(error, this.#id);
      });
      return known;
    };
    this.#dispatcher = services.dispatcher;
    this.#settings = settings;
    this.#services = services;
  }

  chatParametersFor(target: Target): ReadonlySet<string> {
    return publisherOf(target.upstreamModel) === 'anthropic'
      ? ANTHROPIC_CHAT_PARAMETERS
      : GEMINI_CHAT_PARAMETERS;
  }

  /** The bearer token: a client's own (an access token it brought), else the instance's, minted as needed. */
  async #token(context: CallContext): Promise<string> {
    if (context.apiKey) return context.apiKey;
    try {
      return await this.#tokens.accessToken();
    } catch (error) {
      throw tokenFailure(error, this.#id);
    }
  }

  async #post(
    model: string,
    method: VertexMethod,
    body: unknown,
    context: CallContext,
    extra: Record<string, string> = {},
  ) {
    const [token, project] = await Promise.all([this.#token(context), this.#project()]);
    const path = vertexModelPath(this.#pathPrefix, project, this.#location, model, method);
    const stream = method === 'streamGenerateContent' || method === 'streamRawPredict';
    const headers = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      authorization: `Bearer ${token}`,
      ...extra,
    };
    const response = await sendUpstream(
      this.#dispatcher,
      { origin: this.#origin, path, headers, body: JSON.stringify(body), signal: context.signal },
      this.#id,
    );
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readVertexError(response, context.signal, this.#id, [token]);
    }
    return { response, token };
  }

  // ---- Gemini ---------------------------------------------------------------------------------------

  #convertGemini(request: ChatCompletionRequest, target: Target, context: CallContext) {
    return convertToGeminiRequest(request, target, {
      settings: this.#settings,
      warnings: context.warnings,
      fileUriPrefixes: CLOUD_STORAGE_PREFIXES,
      fetchImage: (url, param) =>
        this.#services.media.fetch(url, {
          param,
          signal: context.signal,
          accepts: (mimeType) => mimeType.startsWith('image/'),
          expected: 'an image',
        }),
    });
  }

  async #geminiChat(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    const body = await this.#convertGemini(request, target, context);
    const { response } = await this.#post(target.upstreamModel, 'generateContent', body, context);
    const wire = await readJsonObject<GeminiGenerateContentResponse>(response, context.signal, this.#id);
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

  async #geminiStream(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<ChatStream> {
    const body = await this.#convertGemini(request, target, context);
    const { response, token } = await this.#post(
      target.upstreamModel,
      'streamGenerateContent',
      body,
      context,
    );
    expectEventStream(response, this.#id);
    const translator = new GeminiStreamTranslator({
      model: target.upstreamModel,
      includeUsage: request.stream_options?.include_usage === true,
      exposeThoughts: this.#settings.thoughts === 'expose',
      warnings: context.warnings,
    });
    return readGeminiStream(response, translator, context.signal, this.#id, [token]);
  }

  // ---- Claude ---------------------------------------------------------------------------------------

  async #convertClaude(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
    stream: boolean,
  ) {
    const converted = await convertToAnthropicRequest(request, target, {
      settings: this.#settings,
      unsupportedParameters: this.#services.unsupportedParameters,
      warnings: context.warnings,
      imageUrls: this.#settings.imageUrls,
      fetchImage: (url, param) =>
        this.#services.media.fetch(url, {
          param,
          signal: context.signal,
          accepts: (mimeType) => IMAGE_MEDIA_TYPES.has(mimeType),
          expected: 'a JPEG, PNG, GIF or WebP image',
        }),
    });
    // The model is the path's; the API version goes in the body.
    const { model: _model, ...rest } = converted.body;
    const body = {
      anthropic_version: VERTEX_ANTHROPIC_VERSION,
      ...rest,
      ...(stream ? { stream: true } : {}),
    };
    const betas = mergeBetas(converted.betas);
    const headers: Record<string, string> = betas.length > 0 ? { 'anthropic-beta': betas.join(',') } : {};
    return { body, headers, jsonTool: converted.jsonTool };
  }

  async #claudeChat(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    const converted = await this.#convertClaude(request, target, context, false);
    const { response } = await this.#post(
      target.upstreamModel,
      'rawPredict',
      converted.body,
      context,
      converted.headers,
    );
    const wire = await readJsonObject<AnthropicMessageResponse>(response, context.signal, this.#id);
    const { completion, usage } = convertAnthropicResponse(wire, target.upstreamModel, {
      jsonTool: converted.jsonTool,
      warnings: context.warnings,
    });
    return {
      body: JSON.stringify(completion),
      contentType: 'application/json',
      usage,
      model: completion.model,
    };
  }

  async #claudeStream(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<ChatStream> {
    const converted = await this.#convertClaude(request, target, context, true);
    const { response, token } = await this.#post(
      target.upstreamModel,
      'streamRawPredict',
      converted.body,
      context,
      converted.headers,
    );
    expectEventStream(response, this.#id);
    const translator = new AnthropicStreamTranslator({
      model: target.upstreamModel,
      includeUsage: request.stream_options?.include_usage === true,
      jsonTool: converted.jsonTool,
      warnings: context.warnings,
    });
    return readAnthropicStream(response, translator, context.signal, this.#id, [token]);
  }

  // ---- the makers' own APIs, passed through -------------------------------------------------------

  /**
   * Gemini models take the Gemini API's generate and count requests; Claude models the Messages API's
   * `messages` (Claude on Vertex has its token count under another model name: counted by estimate).
   */
  nativeApiFor(api: string, operation: string, target: Target): boolean {
    const publisher = publisherOf(target.upstreamModel);
    if (api === GEMINI_NATIVE_API) return publisher === 'google' && GEMINI_NATIVE_METHODS.has(operation);
    if (api === MESSAGES_API) return publisher === 'anthropic' && operation === 'messages';
    return false;
  }

  /**
   * A request of the Gemini door for a Gemini model, or of the Anthropic door for a Claude model,
   * passed through: the client's body with the model in the path (and, for Claude, Vertex's API
   * version in the body in place of the `anthropic-version` header); the answer's bytes or events
   * unchanged, its usage read.
   */
  async native(
    request: NativeRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | NativeStreamResult> {
    if (!this.nativeApiFor(request.api, request.operation, target)) {
      throw new GatewayError('GW_ERR_MODEL_WRONG_TYPE', {
        message: `The provider ${this.#id} does not serve ${request.api} ${request.operation} for ${target.upstreamModel}.`,
      });
    }
    return request.api === MESSAGES_API
      ? this.#claudeNative(request, target, context)
      : this.#geminiNative(request, target, context);
  }

  async #geminiNative(
    request: NativeRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | NativeStreamResult> {
    const method = request.operation as VertexMethod;
    const body = convertToVertexGeminiBody(request.body, method);
    const { response, token } = await this.#post(target.upstreamModel, method, body, context);
    if (request.stream) {
      expectEventStream(response, this.#id);
      return {
        contentType: 'text/event-stream',
        events: readGeminiRawEvents(response, context.signal, this.#id, [token]),
        model: target.upstreamModel,
      };
    }
    const bytes = await readBody(response, context.signal, this.#id, MAX_ANSWER_BYTES);
    const answer = parseJsonObject<Body>(bytes.toString('utf8'), this.#id);
    const version = answer['modelVersion'];
    return {
      body: bytes,
      contentType: String(response.headers['content-type'] ?? 'application/json; charset=UTF-8'),
      usage: readNativeUsage(request.operation, request.body, answer),
      model: typeof version === 'string' && version ? version : target.upstreamModel,
    };
  }

  async #claudeNative(
    request: NativeRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | NativeStreamResult> {
    // The model is the path's; the API version goes in the body, the betas in their header.
    const { model: _model, ...rest } = request.body;
    const body = { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest };
    const betas = nativeBetas(request, target, this.#settings);
    const headers: Record<string, string> = betas.length > 0 ? { 'anthropic-beta': betas.join(',') } : {};
    const method = request.stream ? 'streamRawPredict' : 'rawPredict';
    const { response, token } = await this.#post(target.upstreamModel, method, body, context, headers);
    if (request.stream) {
      expectEventStream(response, this.#id);
      return {
        contentType: String(response.headers['content-type']),
        events: readNativeStream(response, context.signal, this.#id, [token]),
        model: target.upstreamModel,
      };
    }
    const bytes = await readBody(response, context.signal, this.#id, MAX_ANSWER_BYTES);
    const answer = parseJsonObject<AnthropicMessageResponse>(bytes.toString('utf8'), this.#id);
    const thought = answer.content?.some((block) => block?.type === 'thinking') ?? false;
    return {
      body: bytes,
      contentType: String(response.headers['content-type'] ?? 'application/json'),
      usage: mapAnthropicUsage(answer.usage, thought)?.gateway,
      model: answer.model || target.upstreamModel,
    };
  }

  chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    return publisherOf(target.upstreamModel) === 'anthropic'
      ? this.#claudeChat(request, target, context)
      : this.#geminiChat(request, target, context);
  }

  chatStream(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<ChatStream> {
    return publisherOf(target.upstreamModel) === 'anthropic'
      ? this.#claudeStream(request, target, context)
      : this.#geminiStream(request, target, context);
  }
}
