/**
 * The adapter of an Anthropic instance: OpenAI-shaped chat completions (unary and streamed) served by
 * Claude through the Messages API, translated both ways so a client that speaks only OpenAI cannot
 * tell the difference in shapes, stream framing, tool-call protocol or error envelope. Anthropic has
 * no embeddings or audio: the adapter serves chat alone, and plans leave it out of the others.
 * @see https://docs.anthropic.com/en/api/messages
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
import {
  anthropicMessagesPath,
  buildAnthropicHeaders,
  type AnthropicMessageResponse,
  type AnthropicMessagesRequest,
} from './anthropic-api.js';
import { readAnthropicError } from './anthropic-error.js';
import type { AnthropicSettings } from './anthropic-options.js';
import {
  MESSAGES_API,
  buildNativeHeaders,
  nativeBody,
  nativePath,
  readNativeStream,
} from './anthropic-native.js';
import { AnthropicStreamTranslator, readAnthropicStream } from './anthropic-stream.js';
import { convertAnthropicResponse, mapAnthropicUsage } from './convert-anthropic-response.js';
import { IMAGE_MEDIA_TYPES } from './convert-to-anthropic-messages.js';
import {
  ANTHROPIC_CHAT_PARAMETERS,
  convertToAnthropicRequest,
  type ConvertedRequest,
} from './convert-to-anthropic-request.js';

export class AnthropicAdapter implements ProviderAdapter {
  readonly type = 'anthropic';
  readonly chatParameters = ANTHROPIC_CHAT_PARAMETERS;
  /** Anthropic speaks the Messages API itself: that door's requests pass through (anthropic-native.ts). */
  readonly nativeApis: ReadonlySet<string> = new Set([MESSAGES_API]);
  readonly #id: string;
  readonly #origin: string;
  readonly #pathPrefix: string;
  readonly #path: string;
  readonly #apiKey: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #settings: AnthropicSettings;
  readonly #services: ProviderServices;

  constructor(config: ProviderInstanceConfig<AnthropicSettings>, services: ProviderServices) {
    this.#id = config.id;
    const { origin, pathPrefix } = originOf(config.baseUrl);
    this.#origin = origin;
    this.#pathPrefix = pathPrefix;
    this.#path = anthropicMessagesPath(pathPrefix);
    this.#apiKey = config.apiKey;
    this.#dispatcher = services.dispatcher;
    this.#settings = config.settings;
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
          scope: context.mediaScope,
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

  async chatStream(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<ChatStream> {
    const converted = await this.#convert(request, target, context);
    const response = await this.#post({ ...converted.body, stream: true }, converted.betas, context);
    expectEventStream(response, this.#id);
    const translator = new AnthropicStreamTranslator({
      model: target.upstreamModel,
      includeUsage: request.stream_options?.include_usage === true,
      jsonTool: converted.jsonTool,
      warnings: context.warnings,
    });
    return readAnthropicStream(response, translator, context.signal, this.#id, this.#secrets(context));
  }

  /**
   * A Messages API request passed through (`messages` unary or streamed, `count_tokens`): the body as
   * the client wrote it with the upstream model, the answer's bytes or events unchanged, the usage
   * read from the message (unary) or left to the door (streams: message_start and message_delta).
   */
  async native(
    request: NativeRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | NativeStreamResult> {
    const path = request.api === MESSAGES_API ? nativePath(this.#pathPrefix, request.operation) : undefined;
    if (path === undefined) {
      throw new GatewayError('GW_ERR_MODEL_WRONG_TYPE', {
        message: `The provider ${this.#id} does not serve ${request.api} ${request.operation}.`,
      });
    }
    const apiKey = context.apiKey ?? this.#apiKey;
    const response = await sendUpstream(
      this.#dispatcher,
      {
        origin: this.#origin,
        path,
        headers: buildNativeHeaders(apiKey, request, target, this.#settings),
        body: nativeBody(request, target),
        signal: context.signal,
      },
      this.#id,
    );
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readAnthropicError(response, context.signal, this.#id, this.#secrets(context));
    }
    if (request.stream) {
      expectEventStream(response, this.#id);
      return {
        contentType: String(response.headers['content-type']),
        events: readNativeStream(response, context.signal, this.#id, this.#secrets(context)),
        model: target.upstreamModel,
      };
    }
    const bytes = await readBody(response, context.signal, this.#id, MAX_ANSWER_BYTES);
    const answer = parseJsonObject<AnthropicMessageResponse>(bytes.toString('utf8'), this.#id);
    const thought = answer.content?.some((block) => block?.type === 'thinking') ?? false;
    return {
      body: bytes,
      contentType: String(response.headers['content-type'] ?? 'application/json'),
      usage: request.operation === 'messages' ? mapAnthropicUsage(answer.usage, thought)?.gateway : undefined,
      model: answer.model || target.upstreamModel,
    };
  }
}
