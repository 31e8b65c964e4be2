/**
 * The Anthropic provider: OpenAI-shaped chat completions (unary and streamed) served by Claude
 * through the Messages API, translated both ways so a client that speaks only OpenAI cannot tell
 * the difference in shapes, stream framing, tool-call protocol or error envelope. Anthropic has no
 * embeddings or audio: the adapter serves chat alone.
 * @see https://docs.anthropic.com/en/api/messages
 */
import fp from 'fastify-plugin';
import type { Dispatcher } from 'undici';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { GatewayOptions, MediaOptions } from '../../../schemas/options.js';
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
  anthropicMessagesPath,
  buildAnthropicHeaders,
  type AnthropicMessageResponse,
  type AnthropicMessagesRequest,
} from './anthropic-api.js';
import { readAnthropicError } from './anthropic-error.js';
import { resolveAnthropicSettings, type AnthropicSettings } from './anthropic-options.js';
import { AnthropicStreamTranslator, readAnthropicStream } from './anthropic-stream.js';
import { convertAnthropicResponse } from './convert-anthropic-response.js';
import { IMAGE_MEDIA_TYPES } from './convert-to-anthropic-messages.js';
import {
  ANTHROPIC_CHAT_PARAMETERS,
  convertToAnthropicRequest,
  type ConvertedRequest,
} from './convert-to-anthropic-request.js';

export { AnthropicSettingsSchema, resolveAnthropicSettings } from './anthropic-options.js';
export {
  ANTHROPIC_CATALOG_FILE,
  anthropicCatalogEntries,
  loadAnthropicCatalog,
} from './anthropic-catalog.js';

export const ANTHROPIC_PROVIDER_TYPE = 'anthropic';
/** The environment variable of the key, named in messages when it is missing. */
export const ANTHROPIC_API_KEY_VARIABLE = 'ANTHROPIC_API_KEY';
export const ANTHROPIC_BASE_URL_VARIABLE = 'ANTHROPIC_BASE_URL';
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** What every provider factory is handed by the gateway. */
export interface AnthropicServices {
  /** The guarded downloader of media URLs (used with `imageUrls: download`). */
  readonly media: RemoteMedia;
  /** What to do with a parameter value the adapter finds it cannot honour (`n` > 1). */
  readonly unsupportedParameters: GatewayOptions['unsupportedParameters'];
}

export class AnthropicAdapter implements ProviderAdapter {
  readonly type = ANTHROPIC_PROVIDER_TYPE;
  readonly chatParameters = ANTHROPIC_CHAT_PARAMETERS;
  readonly #id: string;
  readonly #origin: string;
  readonly #path: string;
  readonly #apiKey: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #settings: AnthropicSettings;
  readonly #services: AnthropicServices;

  constructor(config: ProviderInstanceConfig, services: AnthropicServices) {
    this.#id = config.id;
    const { origin, pathPrefix } = originOf(config.baseUrl);
    this.#origin = origin;
    this.#path = anthropicMessagesPath(pathPrefix);
    this.#apiKey = config.apiKey;
    this.#dispatcher = config.dispatcher;
    this.#settings = resolveAnthropicSettings(config.id, config.options);
    this.#services = services;
  }

  #secrets(context: CallContext): (string | undefined)[] {
    return [this.#apiKey, context.apiKey];
  }

  #convert(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<ConvertedRequest> {
    return convertToAnthropicRequest(request, target, {
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
  }

  async #post(body: AnthropicMessagesRequest, betas: readonly string[], context: CallContext) {
    const headers = buildAnthropicHeaders(context.apiKey ?? this.#apiKey, betas, body.stream === true);
    const response = await sendUpstream(
      this.#dispatcher,
      { origin: this.#origin, path: this.#path, headers, body: JSON.stringify(body), signal: context.signal },
      this.#id,
    );
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readAnthropicError(response, context.signal, this.#id, this.#secrets(context));
    }
    return response;
  }

  async chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const converted = await this.#convert(request, target, context);
    const response = await this.#post(converted.body, converted.betas, context);
    const bytes = await readBody(response, context.signal, this.#id);
    let wire: unknown;
    try {
      wire = JSON.parse(bytes.toString('utf8'));
    } catch {
      wire = undefined;
    }
    if (!wire || typeof wire !== 'object' || Array.isArray(wire)) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${this.#id} sent an answer that is not a JSON object.`,
      });
    }
    const { completion, usage } = convertAnthropicResponse(
      wire as AnthropicMessageResponse,
      target.upstreamModel,
      {
        jsonTool: converted.jsonTool,
        warnings: context.warnings,
      },
    );
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
    const response = await this.#post({ ...converted.body, stream: true }, converted.betas, context);
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.startsWith('text/event-stream')) {
      response.body.on('error', () => {}).destroy();
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${this.#id} answered a stream request with ${contentType || 'no content type'}.`,
      });
    }
    const translator = new AnthropicStreamTranslator({
      model: target.upstreamModel,
      includeUsage: request.stream_options?.include_usage === true,
      jsonTool: converted.jsonTool,
      warnings: context.warnings,
    });
    return readAnthropicStream(response, translator, context.signal, this.#id, this.#secrets(context));
  }
}

/** Builds the adapter of one configured instance (its settings are checked here: a bad one throws). */
export function createAnthropicAdapter(
  config: ProviderInstanceConfig,
  services: AnthropicServices,
): AnthropicAdapter {
  return new AnthropicAdapter(config, services);
}

export interface AnthropicProviderPluginOptions {
  /** Limits of the downloads of image URLs (the gateway's `media` options). */
  media: MediaOptions;
  /** What to do with a parameter a Claude model cannot honour in requests the adapter reads itself. */
  unsupportedParameters?: GatewayOptions['unsupportedParameters'];
}

/** Registers the factory with the provider registry, as the other provider plugins do. */
export const anthropicProviderPlugin = fp<AnthropicProviderPluginOptions>(
  async (fastify, options) => {
    const media = new RemoteMedia(options.media);
    fastify.addHook('onClose', async () => media.close());
    const services: AnthropicServices = {
      media,
      unsupportedParameters: options.unsupportedParameters ?? 'drop',
    };
    fastify.gatewayProviders.registerFactory({
      type: ANTHROPIC_PROVIDER_TYPE,
      apiKeyVariable: ANTHROPIC_API_KEY_VARIABLE,
      create: (config) => createAnthropicAdapter(config, services),
    });
  },
  { name: 'llm-gateway-provider-anthropic', fastify: '5.x', dependencies: ['llm-gateway-providers'] },
);
