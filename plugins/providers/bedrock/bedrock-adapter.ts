/**
 * The adapter of a Bedrock instance: OpenAI-shaped chat completions (unary and streamed) served by
 * the models of Amazon Bedrock through the Converse and ConverseStream APIs, and embeddings through
 * InvokeModel (Titan, Cohere). Requests are signed with SigV4 or carry a Bedrock API key.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference.html
 */
import { Value } from '@sinclair/typebox/value';
import type { Dispatcher } from 'undici';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import { GatewayError } from '../../../src/errors.js';
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
import {
  MAX_ANSWER_BYTES,
  badResponse,
  parseJsonObject,
  readJsonObject,
} from '../../../src/provider-toolkit.js';
import { destroyBody, originOf, readBody, sendUpstream, type UpstreamAnswer } from '../../../src/upstream.js';
import type { AnthropicMessageResponse } from '../anthropic/anthropic-api.js';
import { MESSAGES_API, nativeBetas } from '../anthropic/anthropic-native.js';
import { AnthropicSettingsSchema, type AnthropicSettings } from '../anthropic/anthropic-options.js';
import { mapAnthropicUsage } from '../anthropic/convert-anthropic-response.js';
import { AnthropicStreamTranslator } from '../anthropic/anthropic-stream.js';
import { IMAGE_MEDIA_TYPES } from '../anthropic/convert-to-anthropic-messages.js';
import {
  DEFAULT_BEDROCK_BASE_URL,
  INPUT_TOKEN_COUNT_HEADER,
  bedrockModelPath,
  bedrockRuntimeUrl,
  type BedrockConverseResponse,
  type BedrockOperation,
} from './bedrock-api.js';
import { BedrockRequestAuth } from './bedrock-auth.js';
import { convertToInvokeBody, isBedrockClaude, readInvokeStream } from './bedrock-native.js';
import { readBedrockError } from './bedrock-error.js';
import { embeddingFamily } from './bedrock-models.js';
import { hasSigningKeys, type BedrockSettings } from './bedrock-options.js';
import { EVENT_STREAM_CONTENT_TYPE, readBedrockStream } from './bedrock-stream.js';
import { convertBedrockEmbeddings, type EmbeddingAnswer } from './convert-bedrock-embeddings.js';
import { convertBedrockResponse } from './convert-bedrock-response.js';
import {
  BEDROCK_CHAT_PARAMETERS,
  convertToBedrockRequest,
  type ConvertedBedrockRequest,
} from './convert-to-bedrock-request.js';
import { bedrockEmbeddingInputs, convertToBedrockEmbeddings } from './convert-to-bedrock-embeddings.js';

function header(response: UpstreamAnswer, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export class BedrockAdapter implements ProviderAdapter {
  readonly type = 'bedrock';
  readonly chatParameters = BEDROCK_CHAT_PARAMETERS;
  /** Claude models take the Messages API through InvokeModel (`nativeApiFor`, bedrock-native.ts). */
  readonly nativeApis: ReadonlySet<string> = new Set([MESSAGES_API]);
  readonly #id: string;
  readonly #origin: string;
  readonly #pathPrefix: string;
  readonly #auth: BedrockRequestAuth;
  readonly #secrets: (string | undefined)[];
  readonly #dispatcher: Dispatcher;
  readonly #settings: BedrockSettings;
  readonly #claudeSettings: AnthropicSettings;
  readonly #services: ProviderServices;

  constructor(config: ProviderInstanceConfig<BedrockSettings>, services: ProviderServices) {
    this.#id = config.id;
    const settings = config.settings;
    // The default base URL stands for the runtime of the instance's region; one that was set is kept.
    const baseUrl =
      config.baseUrl === DEFAULT_BEDROCK_BASE_URL ? bedrockRuntimeUrl(settings.region) : config.baseUrl;
    const { origin, pathPrefix } = originOf(baseUrl);
    this.#origin = origin;
    this.#pathPrefix = pathPrefix;
    const credentials = hasSigningKeys(settings)
      ? {
          accessKeyId: settings.accessKeyId!,
          secretAccessKey: settings.secretAccessKey!,
          ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
        }
      : undefined;
    this.#auth = new BedrockRequestAuth(config.apiKey, credentials, settings.region);
    this.#secrets = [config.apiKey, settings.secretAccessKey, settings.sessionToken];
    this.#dispatcher = services.dispatcher;
    this.#settings = settings;
    this.#claudeSettings = {
      ...(Value.Default(AnthropicSettingsSchema, {}) as AnthropicSettings),
      thinkingBudgets: settings.thinkingBudgets,
      defaultMaxTokens: settings.defaultMaxTokens,
    };
    this.#services = services;
  }

  #secretsOf(context: CallContext): (string | undefined)[] {
    return [...this.#secrets, context.apiKey];
  }

  async #post(
    modelId: string,
    operation: BedrockOperation,
    body: unknown,
    context: CallContext,
    signal = context.signal,
  ) {
    const path = bedrockModelPath(this.#pathPrefix, modelId, operation);
    const text = JSON.stringify(body);
    const headers = await this.#auth.headersFor(
      {
        origin: this.#origin,
        path,
        headers: {
          'content-type': 'application/json',
          accept:
            operation === 'converse-stream' || operation === 'invoke-with-response-stream'
              ? EVENT_STREAM_CONTENT_TYPE
              : 'application/json',
        },
        body: text,
      },
      context.apiKey,
    );
    const response = await sendUpstream(
      this.#dispatcher,
      { origin: this.#origin, path, headers, body: text, signal },
      this.#id,
    );
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readBedrockError(response, signal, this.#id, this.#secretsOf(context));
    }
    return response;
  }

  #convert(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<ConvertedBedrockRequest> {
    return convertToBedrockRequest(request, target, {
      settings: this.#settings,
      claudeSettings: this.#claudeSettings,
      unsupportedParameters: this.#services.unsupportedParameters,
      warnings: context.warnings,
      fetchImage: (url, param) =>
        this.#services.media.fetch(url, {
          param,
          signal: context.signal,
          accepts: (mimeType) => IMAGE_MEDIA_TYPES.has(mimeType),
          expected: 'a JPEG, PNG, GIF or WebP image',
        }),
    });
  }

  async chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const converted = await this.#convert(request, target, context);
    const response = await this.#post(target.upstreamModel, 'converse', converted.body, context);
    const requestId = header(response, 'x-amzn-requestid');
    const wire = await readJsonObject<BedrockConverseResponse>(response, context.signal, this.#id);
    const { completion, usage } = convertBedrockResponse(wire, target.upstreamModel, {
      jsonTool: converted.jsonTool,
      warnings: context.warnings,
      requestId,
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
    const converted = await this.#convert(request, target, context);
    const response = await this.#post(target.upstreamModel, 'converse-stream', converted.body, context);
    const contentType = header(response, 'content-type') ?? '';
    if (!contentType.startsWith(EVENT_STREAM_CONTENT_TYPE)) {
      destroyBody(response);
      throw badResponse(this.#id, `answered a stream request with ${contentType || 'no content type'}`);
    }
    const translator = new AnthropicStreamTranslator({
      model: target.upstreamModel,
      includeUsage: request.stream_options?.include_usage === true,
      jsonTool: converted.jsonTool,
      warnings: context.warnings,
    });
    return readBedrockStream(response, translator, {
      provider: this.#id,
      secrets: this.#secretsOf(context),
      signal: context.signal,
      model: target.upstreamModel,
      requestId: header(response, 'x-amzn-requestid'),
      warnings: context.warnings,
    });
  }

  /** Claude models speak the Messages API's `messages` (their token count is estimated). */
  nativeApiFor(api: string, operation: string, target: Target): boolean {
    return api === MESSAGES_API && operation === 'messages' && isBedrockClaude(target.upstreamModel);
  }

  /**
   * A request of the Anthropic door for a Claude model, passed through InvokeModel: the client's body
   * in Bedrock's terms (convertToInvokeBody), the answer's bytes, or its Anthropic events, unchanged.
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
    const body = convertToInvokeBody(request, nativeBetas(request, target, this.#claudeSettings));
    const operation = request.stream ? 'invoke-with-response-stream' : 'invoke';
    const response = await this.#post(target.upstreamModel, operation, body, context);
    if (request.stream) {
      const contentType = header(response, 'content-type') ?? '';
      if (!contentType.startsWith(EVENT_STREAM_CONTENT_TYPE)) {
        destroyBody(response);
        throw badResponse(this.#id, `answered a stream request with ${contentType || 'no content type'}`);
      }
      return {
        // The client gets Anthropic's server-sent events, as Anthropic streams them.
        contentType: 'text/event-stream; charset=utf-8',
        events: readInvokeStream(response, {
          provider: this.#id,
          secrets: this.#secretsOf(context),
          signal: context.signal,
          model: target.upstreamModel,
          requestId: header(response, 'x-amzn-requestid'),
          warnings: context.warnings,
        }),
        model: target.upstreamModel,
      };
    }
    const bytes = await readBody(response, context.signal, this.#id, MAX_ANSWER_BYTES);
    const answer = parseJsonObject<AnthropicMessageResponse>(bytes.toString('utf8'), this.#id);
    const thought = answer.content?.some((block) => block?.type === 'thinking') ?? false;
    return {
      body: bytes,
      contentType: header(response, 'content-type') ?? 'application/json',
      usage: mapAnthropicUsage(answer.usage, thought)?.gateway,
      model: answer.model || target.upstreamModel,
    };
  }

  async embeddings(request: EmbeddingsRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const family = embeddingFamily(target.upstreamModel);
    if (!family) {
      throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
        message: `The gateway embeds through Bedrock with Amazon Titan and Cohere Embed models only, not ${target.upstreamModel}.`,
        param: 'model',
      });
    }
    const inputs = bedrockEmbeddingInputs(request);
    const bodies = convertToBedrockEmbeddings(request, family, context.warnings);
    // Calls go out together; the first failure cancels the others.
    const siblings = new AbortController();
    const signal = AbortSignal.any([context.signal, siblings.signal]);
    let answers: EmbeddingAnswer[];
    try {
      answers = await Promise.all(
        bodies.map(async (body) => {
          const response = await this.#post(target.upstreamModel, 'invoke', body, context, signal);
          const counted = Number(header(response, INPUT_TOKEN_COUNT_HEADER));
          return {
            body: await readJsonObject<EmbeddingAnswer['body']>(response, signal, this.#id),
            inputTokens:
              Number.isFinite(counted) && header(response, INPUT_TOKEN_COUNT_HEADER) ? counted : undefined,
          };
        }),
      );
    } catch (error) {
      siblings.abort();
      throw error;
    }
    const converted = convertBedrockEmbeddings(
      answers,
      family,
      inputs,
      request,
      target.upstreamModel,
      this.#id,
    );
    return {
      body: JSON.stringify(converted.body),
      contentType: 'application/json',
      usage: converted.usage,
      model: target.upstreamModel,
    };
  }
}
