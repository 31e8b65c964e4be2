/**
 * The adapter of an OpenAI-type instance: chat completions, embeddings, audio and the Responses API
 * passed through with only `model` changed, and chat completions for Responses-only models
 * translated to and from /v1/responses.
 */
import { Readable } from 'node:stream';
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
  ProviderServices,
  ResponsesStream,
  StoredResponseOperation,
  Target,
  Usage,
  UnaryResult,
} from '../../../src/provider.js';
import {
  expectEventStream,
  parseJsonObject,
  readJsonObject,
  usageFromChatCompletion,
  usageFromResponsesApi,
  type ChatUsageWire,
  type ResponsesUsageWire,
} from '../../../src/provider-toolkit.js';
import { UpstreamFailure, originOf, readBody, relayBody, sendUpstream } from '../../../src/upstream.js';
import {
  OPENAI_CHAT_PATH,
  OPENAI_EMBEDDINGS_PATH,
  OPENAI_RESPONSES_PATH,
  OPENAI_SPEECH_PATH,
  OPENAI_TRANSCRIPTIONS_PATH,
  OPENAI_TRANSLATIONS_PATH,
  SPEECH_CONTENT_TYPES,
  buildOpenAIHeaders,
  peekModelAndUsage,
} from './openai-api.js';
import type { OpenAISettings } from './openai-options.js';
import { convertToOpenAIRequest } from './convert-to-openai-request.js';
import { convertToOpenAIForm } from './convert-to-openai-form.js';
import { RESPONSES_CHAT_PARAMETERS, convertToResponsesRequest } from './convert-to-responses-request.js';
import { convertResponsesResponse, type ResponsesResponseWire } from './convert-responses-response.js';
import { readOpenAIError } from './openai-error.js';
import { readOpenAIStream } from './openai-stream.js';
import { convertResponsesStream, readResponsesStream } from './responses-stream.js';

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
  readonly type = 'openai';
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

  constructor(
    config: ProviderInstanceConfig<OpenAISettings>,
    services: Pick<ProviderServices, 'dispatcher'>,
  ) {
    const settings = config.settings;
    this.#id = config.id;
    const { origin, pathPrefix } = originOf(config.baseUrl);
    this.#origin = origin;
    this.#pathPrefix = pathPrefix;
    this.#apiKey = config.apiKey;
    this.#dispatcher = services.dispatcher;
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
    const parsed = await readJsonObject<ResponsesResponseWire>(response, context.signal, this.#id);
    const completion = convertResponsesResponse(parsed, this.#id, target.upstreamModel);
    return {
      body: JSON.stringify(completion),
      contentType: 'application/json',
      usage: usageFromResponsesApi(parsed.usage),
      model: completion.model,
    };
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
    readUsage: (usage: unknown) => Usage | undefined = (usage) =>
      usageFromChatCompletion(usage as ChatUsageWire),
  ): Promise<UnaryResult> {
    const bytes = await readBody(response, context.signal, this.#id);
    const text = bytes.toString('utf8');
    const parsed =
      peekModelAndUsage(text) ?? parseJsonObject<{ model?: unknown; usage?: unknown }>(text, this.#id);
    return {
      body: bytes,
      contentType: 'application/json',
      usage: readUsage(parsed.usage),
      model: typeof parsed.model === 'string' ? parsed.model : target.upstreamModel,
    };
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
        expectEventStream(response, this.#id);
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
    expectEventStream(response, this.#id);
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
        usage = usageFromResponsesApi(
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
      usageFromResponsesApi(usage as ResponsesUsageWire),
    );
  }

  async responsesStream(
    request: ResponsesRequest,
    target: Target,
    context: CallContext,
  ): Promise<ResponsesStream> {
    const body = { ...request, model: target.upstreamModel, stream: true };
    const response = await this.#post(OPENAI_RESPONSES_PATH, body, context);
    expectEventStream(response, this.#id);
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
    const parsed = parseJsonObject<{ model?: unknown }>(bytes.toString('utf8'), this.#id);
    return {
      body: bytes,
      contentType: 'application/json',
      usage: undefined,
      model: typeof parsed.model === 'string' ? parsed.model : '',
    };
  }
}
