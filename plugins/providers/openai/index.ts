/**
 * The OpenAI provider: any upstream that speaks OpenAI's wire (OpenAI itself, Azure-style proxies,
 * vLLM, Ollama, other gateways). Requests and answers pass through; only `model` changes.
 */
import fp from 'fastify-plugin';
import type { Dispatcher } from 'undici';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import type {
  CallContext,
  ChatStream,
  ProviderAdapter,
  ProviderInstanceConfig,
  Target,
  UnaryResult,
} from '../../../src/provider.js';
import { UpstreamFailure, destroyBody, originOf, readBody, sendUpstream } from '../../../src/upstream.js';
import {
  OPENAI_CHAT_PATH,
  OPENAI_EMBEDDINGS_PATH,
  buildOpenAIHeaders,
  usageFromOpenAI,
  type OpenAIUsageWire,
} from './openai-api.js';
import { convertToOpenAIRequest } from './convert-to-openai-request.js';
import { readOpenAIError } from './openai-error.js';
import { readOpenAIStream } from './openai-stream.js';

export const OPENAI_PROVIDER_TYPE = 'openai';

export class OpenAIAdapter implements ProviderAdapter {
  readonly type = OPENAI_PROVIDER_TYPE;
  readonly chatParameters = 'all' as const;
  readonly #id: string;
  readonly #origin: string;
  readonly #pathPrefix: string;
  readonly #apiKey: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #headers: Record<string, string>;

  constructor(config: ProviderInstanceConfig) {
    this.#id = config.id;
    const { origin, pathPrefix } = originOf(config.baseUrl);
    this.#origin = origin;
    this.#pathPrefix = pathPrefix;
    this.#apiKey = config.apiKey;
    this.#dispatcher = config.dispatcher;
    this.#headers = buildOpenAIHeaders(config.apiKey, {
      organization: (config.options as Record<string, unknown>)['organization'] as string | undefined,
      project: (config.options as Record<string, unknown>)['project'] as string | undefined,
    });
  }

  #headersFor(context: CallContext): Record<string, string> {
    if (!context.apiKey) return this.#headers;
    return { ...this.#headers, authorization: `Bearer ${context.apiKey}` };
  }

  async #post(path: string, body: unknown, context: CallContext): Promise<Dispatcher.ResponseData> {
    const response = await sendUpstream(
      this.#dispatcher,
      {
        origin: this.#origin,
        path: this.#pathPrefix + path,
        headers: this.#headersFor(context),
        body: JSON.stringify(body),
        signal: context.signal,
      },
      this.#id,
    );
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readOpenAIError(response, context.signal, this.#id, [this.#apiKey, context.apiKey]);
    }
    return response;
  }

  async chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const body = convertToOpenAIRequest(request, target, context.warnings);
    if (body['stream']) delete body['stream'];
    return this.#passThrough(await this.#post(OPENAI_CHAT_PATH, body, context), target, context);
  }

  async embeddings(request: EmbeddingsRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const body = { ...request, model: target.upstreamModel };
    return this.#passThrough(await this.#post(OPENAI_EMBEDDINGS_PATH, body, context), target, context);
  }

  /** The upstream's JSON answer, unchanged, with the usage and model read from it. */
  async #passThrough(
    response: Dispatcher.ResponseData,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    const bytes = await readBody(response, context.signal, this.#id);
    let parsed: { model?: unknown; usage?: OpenAIUsageWire } | null;
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as typeof parsed;
    } catch {
      parsed = null;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${this.#id} sent an answer that is not a JSON object.`,
      });
    }
    return {
      body: bytes,
      contentType: 'application/json',
      usage: usageFromOpenAI(parsed.usage),
      model: typeof parsed.model === 'string' ? parsed.model : target.upstreamModel,
    };
  }

  async chatStream(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<ChatStream> {
    const body = convertToOpenAIRequest(request, target, context.warnings);
    body['stream'] = true;
    const response = await this.#post(OPENAI_CHAT_PATH, body, context);
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.startsWith('text/event-stream')) {
      destroyBody(response);
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${this.#id} answered a stream request with ${contentType || 'no content type'}.`,
      });
    }
    return readOpenAIStream(response, context.signal, this.#id, [this.#apiKey, context.apiKey]);
  }
}

export const openaiProviderPlugin = fp(
  async (fastify) => {
    fastify.gatewayProviders.registerFactory({
      type: OPENAI_PROVIDER_TYPE,
      apiKeyVariable: 'OPENAI_API_KEY',
      create: (config) => new OpenAIAdapter(config),
    });
  },
  { name: 'llm-gateway-provider-openai', fastify: '5.x', dependencies: ['llm-gateway-providers'] },
);
