/**
 * The OpenAI provider: any upstream that speaks OpenAI's wire (OpenAI itself, Azure-style proxies,
 * vLLM, Ollama, other gateways). Requests and answers pass through; only `model` changes.
 */
import { Readable } from 'node:stream';
import fp from 'fastify-plugin';
import type { Dispatcher } from 'undici';
import type { SpeechRequest } from '../../../schemas/audio.js';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import type { ResponsesRequest } from '../../../schemas/responses.js';
import type {
  AudioUpload,
  ByteStreamResult,
  CallContext,
  ChatStream,
  ProviderAdapter,
  ProviderInstanceConfig,
  ResponsesStream,
  StoredResponseOperation,
  Target,
  Usage,
  UnaryResult,
} from '../../../src/provider.js';
import {
  UpstreamFailure,
  destroyBody,
  originOf,
  readBody,
  relayBody,
  sendUpstream,
} from '../../../src/upstream.js';
import { ProviderConfigError } from '../registry.js';
import {
  OPENAI_CHAT_PATH,
  OPENAI_EMBEDDINGS_PATH,
  OPENAI_RESPONSES_PATH,
  OPENAI_SPEECH_PATH,
  OPENAI_TRANSCRIPTIONS_PATH,
  OPENAI_TRANSLATIONS_PATH,
  SPEECH_CONTENT_TYPES,
  buildOpenAIHeaders,
  usageFromOpenAI,
  usageFromResponses,
  type OpenAIUsageWire,
  type ResponsesUsageWire,
  peekModelAndUsage,
} from './openai-api.js';
import { convertToOpenAIRequest } from './convert-to-openai-request.js';
import { convertToOpenAIForm } from './convert-to-openai-form.js';
import { RESPONSES_CHAT_PARAMETERS, convertToResponsesRequest } from './convert-to-responses-request.js';
import { convertResponsesResponse, type ResponsesResponseWire } from './convert-responses-response.js';
import { readOpenAIError } from './openai-error.js';
import { readOpenAIStream } from './openai-stream.js';
import { convertResponsesStream, readResponsesStream } from './responses-stream.js';

export const OPENAI_PROVIDER_TYPE = 'openai';

/** The settings of an OpenAI-type instance besides its key and URL (`providers.<id>.<setting>`). */
export interface OpenAIInstanceSettings {
  organization: string | undefined;
  project: string | undefined;
  /** Serve catalog models marked `api: responses` through /v1/responses (default true). */
  useResponsesApi: boolean;
}

/** Reads and checks the instance settings; a wrong one stops the start, naming the key. */
export function readOpenAIInstanceSettings(config: ProviderInstanceConfig): OpenAIInstanceSettings {
  const options = config.options as Record<string, unknown>;
  const fail = (key: string, rule: string) =>
    new ProviderConfigError(
      `Invalid configuration: providers.${config.id}.${key}: ${rule}: value was ${JSON.stringify(options[key])}`,
    );
  for (const key of ['organization', 'project'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') throw fail(key, 'must be a string');
  }
  const useResponsesApi = options['useResponsesApi'] ?? true;
  if (typeof useResponsesApi !== 'boolean') throw fail('useResponsesApi', 'must be true or false');
  return {
    organization: options['organization'] as string | undefined,
    project: options['project'] as string | undefined,
    useResponsesApi,
  };
}

/**
 * Answers from /v1/responses that mean "this model or request is not served here" (a server without
 * the Responses API, a model it does not take), after which chat completions are used for the model.
 */
const NOT_SERVED_CODES = new Set(['model_not_found', 'unsupported_model', 'model_not_supported']);
function isNotServedByResponses(error: unknown): boolean {
  if (!(error instanceof UpstreamFailure) || error.kind !== 'http') return false;
  const status = error.upstreamStatus;
  if (status === 404 || status === 405 || status === 501) return true;
  return status === 400 && (error.param === 'model' || NOT_SERVED_CODES.has(error.code ?? ''));
}

export class OpenAIAdapter implements ProviderAdapter {
  readonly type = OPENAI_PROVIDER_TYPE;
  readonly chatParameters = 'all' as const;
  readonly #id: string;
  readonly #origin: string;
  readonly #pathPrefix: string;
  readonly #apiKey: string | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #headers: Record<string, string>;
  readonly #useResponsesApi: boolean;
  /** Responses-API models the upstream answered it does not serve there: chat completions from then on. */
  readonly #servedByChat = new Set<string>();

  constructor(config: ProviderInstanceConfig, settings = readOpenAIInstanceSettings(config)) {
    this.#id = config.id;
    const { origin, pathPrefix } = originOf(config.baseUrl);
    this.#origin = origin;
    this.#pathPrefix = pathPrefix;
    this.#apiKey = config.apiKey;
    this.#dispatcher = config.dispatcher;
    this.#headers = buildOpenAIHeaders(config.apiKey, {
      organization: settings.organization,
      project: settings.project,
    });
    this.#useResponsesApi = settings.useResponsesApi;
  }

  #headersFor(context: CallContext, extra?: Record<string, string>): Record<string, string> {
    if (!context.apiKey && !extra) return this.#headers;
    const headers = { ...this.#headers, ...extra };
    if (context.apiKey) headers['authorization'] = `Bearer ${context.apiKey}`;
    return headers;
  }

  async #send(
    path: string,
    context: CallContext,
    init: {
      method?: Dispatcher.HttpMethod;
      body?: string | NodeJS.ReadableStream;
      headers?: Record<string, string>;
    },
  ): Promise<Dispatcher.ResponseData> {
    let headers = this.#headersFor(context, init.headers);
    if (init.body === undefined) {
      headers = { ...headers };
      delete headers['content-type'];
    }
    const response = await sendUpstream(
      this.#dispatcher,
      {
        origin: this.#origin,
        path: this.#pathPrefix + path,
        method: init.method ?? 'POST',
        headers,
        body: init.body,
        signal: context.signal,
      },
      this.#id,
    );
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readOpenAIError(response, context.signal, this.#id, [this.#apiKey, context.apiKey]);
    }
    return response;
  }

  #post(
    path: string,
    body: unknown,
    context: CallContext,
    headers?: Record<string, string>,
  ): Promise<Dispatcher.ResponseData> {
    return this.#send(path, context, { body: JSON.stringify(body), headers });
  }

  /** Whether a chat request for this target goes through the Responses API. */
  #throughResponses(target: Target): boolean {
    return (
      this.#useResponsesApi &&
      target.model?.api === 'responses' &&
      !this.#servedByChat.has(target.upstreamModel)
    );
  }

  /** Remembers that the Responses API does not serve a model, after it said so. */
  #rememberServedByChat(target: Target, error: unknown, context: CallContext): boolean {
    if (!isNotServedByResponses(error)) return false;
    this.#servedByChat.add(target.upstreamModel);
    context.log.info(
      { provider: this.#id, model: target.upstreamModel, status: (error as UpstreamFailure).upstreamStatus },
      'the Responses API does not serve this model: chat completions are used for it from now on',
    );
    context.warnings.push(
      `${target.upstreamModel} served by chat completions (the Responses API does not serve it)`,
    );
    return true;
  }

  chatParametersFor(target: Target): ReadonlySet<string> | undefined {
    return this.#throughResponses(target) ? RESPONSES_CHAT_PARAMETERS : undefined;
  }

  async chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    if (this.#throughResponses(target)) {
      try {
        return await this.#chatThroughResponses(request, target, context);
      } catch (error) {
        if (!this.#rememberServedByChat(target, error, context)) throw error;
      }
    }
    const body = convertToOpenAIRequest(request, target, context.warnings);
    if (body['stream']) delete body['stream'];
    return this.#passThrough(await this.#post(OPENAI_CHAT_PATH, body, context), target, context);
  }

  async #chatThroughResponses(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    const body = convertToResponsesRequest({ ...request, stream: false }, target);
    const response = await this.#post(OPENAI_RESPONSES_PATH, body, context);
    const parsed = this.#parseObject<ResponsesResponseWire>(
      await readBody(response, context.signal, this.#id),
    );
    const completion = convertResponsesResponse(parsed, this.#id, target.upstreamModel);
    return {
      body: JSON.stringify(completion),
      contentType: 'application/json',
      usage: usageFromResponses(parsed.usage),
      model: completion.model,
    };
  }

  async embeddings(request: EmbeddingsRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const body = { ...request, model: target.upstreamModel };
    return this.#passThrough(await this.#post(OPENAI_EMBEDDINGS_PATH, body, context), target, context);
  }

  #parseObject<T>(bytes: Buffer): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      parsed = null;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${this.#id} sent an answer that is not a JSON object.`,
      });
    }
    return parsed as T;
  }

  /** The upstream's JSON answer, unchanged, with the usage and model read from it. */
  async #passThrough(
    response: Dispatcher.ResponseData,
    target: Target,
    context: CallContext,
    readUsage: (usage: unknown) => Usage | undefined = (usage) => usageFromOpenAI(usage as OpenAIUsageWire),
  ): Promise<UnaryResult> {
    const bytes = await readBody(response, context.signal, this.#id);
    const parsed =
      peekModelAndUsage(bytes.toString('utf8')) ??
      this.#parseObject<{ model?: unknown; usage?: unknown }>(bytes);
    return {
      body: bytes,
      contentType: 'application/json',
      usage: readUsage(parsed.usage),
      model: typeof parsed.model === 'string' ? parsed.model : target.upstreamModel,
    };
  }

  #expectEventStream(response: Dispatcher.ResponseData): void {
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.startsWith('text/event-stream')) {
      destroyBody(response);
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
        message: `The provider ${this.#id} answered a stream request with ${contentType || 'no content type'}.`,
      });
    }
  }

  async chatStream(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<ChatStream> {
    if (this.#throughResponses(target)) {
      try {
        const body = convertToResponsesRequest({ ...request, stream: true }, target);
        const response = await this.#post(OPENAI_RESPONSES_PATH, body, context);
        this.#expectEventStream(response);
        const events = readResponsesStream(response, context.signal, this.#id, [
          this.#apiKey,
          context.apiKey,
        ]);
        return convertResponsesStream(events, {
          provider: this.#id,
          fallbackModel: target.upstreamModel,
          includeUsage: request.stream_options?.include_usage === true,
        });
      } catch (error) {
        if (!this.#rememberServedByChat(target, error, context)) throw error;
      }
    }
    const body = convertToOpenAIRequest(request, target, context.warnings);
    body['stream'] = true;
    // Usage is asked for always, so that every stream's tokens are counted; a client that did not
    // ask for it gets the stream as it would have been without it.
    const hideUsage = request.stream_options?.include_usage !== true;
    if (hideUsage) body['stream_options'] = { ...request.stream_options, include_usage: true };
    const response = await this.#post(OPENAI_CHAT_PATH, body, context);
    this.#expectEventStream(response);
    return readOpenAIStream(response, context.signal, this.#id, [this.#apiKey, context.apiKey], hideUsage);
  }

  // ---- audio --------------------------------------------------------------------------------------

  transcribe(upload: AudioUpload, target: Target, context: CallContext) {
    return this.#upload(OPENAI_TRANSCRIPTIONS_PATH, upload, target, context);
  }

  translate(upload: AudioUpload, target: Target, context: CallContext) {
    return this.#upload(OPENAI_TRANSLATIONS_PATH, upload, target, context);
  }

  /** The form streamed on as it arrives; the answer as the upstream sent it (text, JSON or events). */
  async #upload(
    path: string,
    upload: AudioUpload,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult> {
    const form = convertToOpenAIForm(upload, target.upstreamModel);
    const response = await this.#send(path, context, {
      body: Readable.from(form.body, { objectMode: false }),
      headers: { 'content-type': form.contentType, accept: '*/*' },
    });
    const contentType = String(response.headers['content-type'] ?? 'application/json');
    if (contentType.startsWith('text/event-stream')) {
      return {
        contentType,
        stream: relayBody(response, context.signal, this.#id),
        model: target.upstreamModel,
      };
    }
    const bytes = await readBody(response, context.signal, this.#id);
    let usage: Usage | undefined;
    if (contentType.startsWith('application/json')) {
      try {
        usage = usageFromResponses(
          (JSON.parse(bytes.toString('utf8')) as { usage?: ResponsesUsageWire }).usage,
        );
      } catch {
        usage = undefined;
      }
    }
    return { body: bytes, contentType, usage, model: target.upstreamModel };
  }

  async speech(request: SpeechRequest, target: Target, context: CallContext): Promise<ByteStreamResult> {
    const body = { ...request, model: target.upstreamModel };
    const response = await this.#post(OPENAI_SPEECH_PATH, body, context, { accept: '*/*' });
    const fallback =
      request.stream_format === 'sse'
        ? 'text/event-stream'
        : (SPEECH_CONTENT_TYPES[request.response_format ?? 'mp3'] ?? 'application/octet-stream');
    return {
      contentType: String(response.headers['content-type'] ?? fallback),
      stream: relayBody(response, context.signal, this.#id),
      model: target.upstreamModel,
    };
  }

  // ---- Responses API ------------------------------------------------------------------------------

  async responses(request: ResponsesRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    const body = { ...request, model: target.upstreamModel };
    const response = await this.#post(OPENAI_RESPONSES_PATH, body, context);
    return this.#passThrough(response, target, context, (usage) =>
      usageFromResponses(usage as ResponsesUsageWire),
    );
  }

  async responsesStream(
    request: ResponsesRequest,
    target: Target,
    context: CallContext,
  ): Promise<ResponsesStream> {
    const body = { ...request, model: target.upstreamModel, stream: true };
    const response = await this.#post(OPENAI_RESPONSES_PATH, body, context);
    this.#expectEventStream(response);
    return readResponsesStream(response, context.signal, this.#id, [this.#apiKey, context.apiKey]);
  }

  async storedResponse(
    operation: StoredResponseOperation,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult> {
    const path = `${OPENAI_RESPONSES_PATH}/${encodeURIComponent(operation.responseId)}${operation.query}`;
    const response = await this.#send(path, context, {
      method: operation.method,
      headers: { accept: '*/*' },
    });
    const contentType = String(response.headers['content-type'] ?? 'application/json');
    if (contentType.startsWith('text/event-stream')) {
      return { contentType, stream: relayBody(response, context.signal, this.#id), model: '' };
    }
    const bytes = await readBody(response, context.signal, this.#id);
    const parsed = this.#parseObject<{ model?: unknown; usage?: unknown }>(bytes);
    return {
      body: bytes,
      contentType: 'application/json',
      usage: undefined,
      model: typeof parsed.model === 'string' ? parsed.model : '',
    };
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
