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
import type { ModerationRequest } from '../../../schemas/moderations.js';
import type { ImageGenerationRequest } from '../../../schemas/images.js';
import type { ResponsesRequest } from '../../../schemas/responses.js';
import type {
  AudioUpload,
  ByteStreamResult,
  ImageUpload,
  CallContext,
  ChatStream,
  ProviderAdapter,
  ProviderInstanceConfig,
  ProviderServices,
  RealtimeConnection,
  RealtimeRequest,
  RealtimeSecretRequest,
  ResponsesStream,
  StoredObjectRequest,
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
import { chatRequirements } from '../../../src/routing/requirements.js';
import {
  UpstreamFailure,
  readBody,
  relayBody,
  sendUpstream,
  sendUpstreamWhole,
  type UpstreamRequest,
  type UpstreamAnswer,
} from '../../../src/upstream.js';
import { openUpstreamWebSocket, webSocketOrigin } from '../../../src/upstream-websocket.js';
import { SPEECH_CONTENT_TYPES, peekModelAndUsage, type OpenAIModelListWire } from './openai-api.js';
import {
  BearerEndpoint,
  type AuthorizeContext,
  type OpenAICall,
  type OpenAIEndpoint,
} from './openai-endpoint.js';
import type { OpenAISettings } from './openai-options.js';
import { convertToOpenAIRequest } from './convert-to-openai-request.js';
import { convertImageUploadToOpenAIForm, convertToOpenAIForm } from './convert-to-openai-form.js';
import { RESPONSES_CHAT_PARAMETERS, convertToResponsesRequest } from './convert-to-responses-request.js';
import { convertResponsesResponse, type ResponsesResponseWire } from './convert-responses-response.js';
import { estimateStreamUsage } from './estimate-stream-usage.js';
import { convertOpenAIError, readOpenAIError, type OpenAIErrorAnswer } from './openai-error.js';
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

/** Largest realtime event taken from the provider, bytes (a long audio delta is a few MB at most). */
const REALTIME_MAX_PAYLOAD = 32 * 1024 * 1024;

/** The usage of a call that is counted but not priced: a request, no tokens. */
const ZERO_USAGE: Usage = Object.freeze({
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  reasoningTokens: 0,
  cachedTokens: 0,
});

/** What an OpenAI-type adapter is built from: what differs between the providers that speak OpenAI's API. */
export interface OpenAIAdapterInit {
  readonly id: string;
  /** The provider type: `openai`, or that of a provider built on this adapter. */
  readonly type: string;
  readonly endpoint: OpenAIEndpoint;
  /** Serve catalog models marked `api: responses` through /v1/responses (chat completions translated). */
  readonly useResponsesApi: boolean;
  /**
   * Whether the upstream accepts `stream_options`. When it does not, streams go without it and their
   * usage is the server's own usage chunk if it sends one, else estimated (estimate-stream-usage.ts).
   */
  readonly streamOptions?: boolean;
  /**
   * Whether the upstream keeps files and batches at OpenAI's paths (`/files`, `/batches`), so that
   * they are passed through to it; default false.
   */
  readonly storedObjects?: boolean;
  /** The name the upstream knows a target's model by (an Azure deployment); default `upstreamModel`. */
  readonly upstreamModel?: (target: Target) => string;
  /** Reads an error answer (a provider's own refusals); default OpenAI's reading. */
  readonly convertError?: (answer: OpenAIErrorAnswer) => UpstreamFailure;
}

/** The adapter of an `openai` instance: OpenAI's URLs and bearer key, its organization and project. */
export function createOpenAIAdapter(
  config: ProviderInstanceConfig<OpenAISettings>,
  services: Pick<ProviderServices, 'dispatcher'>,
): OpenAIAdapter {
  const { organization, project, useResponsesApi } = config.settings;
  return new OpenAIAdapter(
    {
      id: config.id,
      type: config.type,
      endpoint: new BearerEndpoint(config.baseUrl, config.apiKey, { organization, project }),
      useResponsesApi,
      storedObjects: true,
    },
    services,
  );
}

type SendContext = AuthorizeContext;

export class OpenAIAdapter implements ProviderAdapter {
  readonly type: string;
  readonly chatParameters = 'all' as const;
  readonly #id: string;
  readonly #endpoint: OpenAIEndpoint;
  readonly #dispatcher: Dispatcher;
  readonly #useResponsesApi: boolean;
  readonly #streamOptions: boolean;
  readonly #upstreamModel: ((target: Target) => string) | undefined;
  readonly #convertError: ((answer: OpenAIErrorAnswer) => UpstreamFailure) | undefined;
  readonly storedObjects?: (
    request: StoredObjectRequest,
    context: CallContext,
  ) => Promise<UnaryResult | ByteStreamResult>;
  /** Responses-API models the upstream answered it does not serve there: chat completions from then on. */
  readonly #servedByChat = new Set<string>();

  constructor(init: OpenAIAdapterInit, services: Pick<ProviderServices, 'dispatcher'>) {
    this.#id = init.id;
    this.type = init.type;
    this.#endpoint = init.endpoint;
    this.#dispatcher = services.dispatcher;
    this.#useResponsesApi = init.useResponsesApi;
    this.#streamOptions = init.streamOptions ?? true;
    this.#upstreamModel = init.upstreamModel;
    this.#convertError = init.convertError;
    // Only an upstream that keeps them at OpenAI's paths serves files and batches.
    if (init.storedObjects) this.storedObjects = (request, context) => this.#storedObject(request, context);
  }

  /** The target as the upstream names its model (unchanged unless a name map is given). */
  #routed(target: Target): Target {
    if (!this.#upstreamModel) return target;
    const upstreamModel = this.#upstreamModel(target);
    return upstreamModel === target.upstreamModel ? target : { ...target, upstreamModel };
  }

  #secrets(context: SendContext): (string | undefined)[] {
    return this.#endpoint.secrets(context);
  }

  async #send(
    call: OpenAICall,
    context: SendContext,
    init: {
      method?: Dispatcher.HttpMethod;
      body?: string | NodeJS.ReadableStream;
      headers?: Record<string, string>;
    },
  ): Promise<UpstreamAnswer> {
    const response = await sendUpstream(this.#dispatcher, await this.#request(call, context, init), this.#id);
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await readOpenAIError(
        response,
        context.signal,
        this.#id,
        this.#secrets(context),
        this.#convertError,
      );
    }
    return response;
  }

  async #request(
    call: OpenAICall,
    context: SendContext,
    init: {
      method?: Dispatcher.HttpMethod;
      body?: string | NodeJS.ReadableStream;
      headers?: Record<string, string>;
    },
  ): Promise<UpstreamRequest> {
    let headers = await this.#endpoint.headers(context);
    if (init.headers || init.body === undefined) {
      headers = { ...headers, ...init.headers };
      if (init.body === undefined) delete headers['content-type'];
    }
    return {
      origin: this.#endpoint.origin,
      path: this.#endpoint.path(call),
      method: init.method ?? 'POST',
      headers,
      body: init.body,
      signal: context.signal,
    };
  }

  /** A JSON POST whose answer is read whole (unary calls): the bytes of a 2xx answer. */
  async #postWhole(call: OpenAICall, body: unknown, context: SendContext): Promise<Buffer> {
    const request = await this.#request(call, context, { body: JSON.stringify(body) });
    const answer = await sendUpstreamWhole(this.#dispatcher, request, this.#id);
    if (answer.statusCode < 200 || answer.statusCode > 299) {
      throw (this.#convertError ?? convertOpenAIError)({
        status: answer.statusCode,
        headers: answer.headers,
        text: answer.body.toString('utf8'),
        provider: this.#id,
        secrets: this.#secrets(context),
      });
    }
    return answer.body;
  }

  #post(
    call: OpenAICall,
    body: unknown,
    context: SendContext,
    headers?: Record<string, string>,
  ): Promise<UpstreamAnswer> {
    return this.#send(call, context, { body: JSON.stringify(body), headers });
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
    // With a client's own key the answer says what that key may use, not what the instance serves:
    // this call goes on with chat completions, and no later call is switched.
    if (context.apiKey === undefined) this.#servedByChat.add(target.upstreamModel);
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
    return this.#throughResponses(this.#routed(target)) ? RESPONSES_CHAT_PARAMETERS : undefined;
  }

  async chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    target = this.#routed(target);
    if (this.#throughResponses(target)) {
      try {
        return await this.#chatThroughResponses(request, target, context);
      } catch (error) {
        if (!this.#rememberServedByChat(target, error, context)) throw error;
      }
    }
    const body = convertToOpenAIRequest(request, target, context.warnings);
    if (body['stream']) delete body['stream'];
    const call = { operation: 'chat', model: target.upstreamModel } as const;
    return this.#passThrough(await this.#postWhole(call, body, context), target);
  }

  async #chatThroughResponses(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    const body = convertToResponsesRequest({ ...request, stream: false }, target);
    const response = await this.#post({ operation: 'responses', model: target.upstreamModel }, body, context);
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
    target = this.#routed(target);
    const body = { ...request, model: target.upstreamModel };
    const call = { operation: 'embeddings', model: target.upstreamModel } as const;
    return this.#passThrough(await this.#postWhole(call, body, context), target);
  }

  /** POST /moderations passed through; moderation reports no usage and is counted at zero tokens. */
  async moderations(request: ModerationRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    target = this.#routed(target);
    const body = { ...request, model: target.upstreamModel };
    const call = { operation: 'moderations', model: target.upstreamModel } as const;
    return this.#passThrough(await this.#postWhole(call, body, context), target, () => ZERO_USAGE);
  }

  /** POST /images/generations passed through; each image made is counted (images are priced by the image). */
  async images(request: ImageGenerationRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    target = this.#routed(target);
    const body = { ...request, model: target.upstreamModel };
    const call = { operation: 'images', model: target.upstreamModel } as const;
    const response = await this.#post(call, body, context);
    return this.#imageAnswer(response, target, context);
  }

  /** POST /images/edits: the form relayed as it arrives; each image made is counted. */
  imageEdits(upload: ImageUpload, target: Target, context: CallContext): Promise<UnaryResult> {
    return this.#imageUpload('imageEdits', upload, this.#routed(target), context);
  }

  /** POST /images/variations: the form relayed as it arrives; each image made is counted. */
  imageVariations(upload: ImageUpload, target: Target, context: CallContext): Promise<UnaryResult> {
    return this.#imageUpload('imageVariations', upload, this.#routed(target), context);
  }

  /** An images answer passed through, each image it holds counted (images are priced by the image). */
  async #imageAnswer(
    response: Parameters<typeof readBody>[0],
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    const bytes = await readBody(response, context.signal, this.#id);
    const parsed = parseJsonObject<{ data?: unknown }>(bytes.toString('utf8'), this.#id);
    const images = Array.isArray(parsed.data) ? parsed.data.length : 0;
    return {
      body: bytes,
      contentType: 'application/json',
      usage: { ...ZERO_USAGE, images },
      model: target.upstreamModel,
    };
  }

  async #imageUpload(
    operation: 'imageEdits' | 'imageVariations',
    upload: ImageUpload,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    const form = convertImageUploadToOpenAIForm(upload, target.upstreamModel);
    const response = await this.#send({ operation, model: target.upstreamModel }, context, {
      body: Readable.from(form.body, { objectMode: false }),
      headers: { 'content-type': form.contentType, accept: 'application/json' },
    });
    return this.#imageAnswer(response, target, context);
  }

  /** The upstream's JSON answer, unchanged, with the usage and model read from it. */
  #passThrough(
    bytes: Buffer,
    target: Target,
    readUsage: (usage: unknown) => Usage | undefined = (usage) =>
      usageFromChatCompletion(usage as ChatUsageWire),
  ): UnaryResult {
    const text = bytes.toString('utf8');
    const parsed =
      peekModelAndUsage(text) ?? parseJsonObject<{ model?: unknown; usage?: unknown }>(text, this.#id);
    return {
      body: bytes,
      bodyText: text,
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
    target = this.#routed(target);
    if (this.#throughResponses(target)) {
      try {
        const body = convertToResponsesRequest({ ...request, stream: true }, target);
        const call = { operation: 'responses', model: target.upstreamModel } as const;
        const response = await this.#post(call, body, context);
        expectEventStream(response, this.#id);
        const events = readResponsesStream(response, context.signal, this.#id, this.#secrets(context));
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
    const includeUsage = request.stream_options?.include_usage === true;
    if (!this.#streamOptions) return this.#chatStreamWithoutOptions(request, body, target, context);
    // Usage is asked for always, so that every stream's tokens are counted; a client that did not
    // ask for it gets the stream as it would have been without it.
    const hideUsage = !includeUsage;
    if (hideUsage) body['stream_options'] = { ...request.stream_options, include_usage: true };
    const call = { operation: 'chat', model: target.upstreamModel } as const;
    const response = await this.#post(call, body, context);
    expectEventStream(response, this.#id);
    return readOpenAIStream(response, context.signal, this.#id, this.#secrets(context), hideUsage);
  }

  /**
   * A stream from an upstream that refuses `stream_options`: sent without it, passed through as the
   * server sends it, its usage counted from the server's usage chunk or else estimated.
   */
  async #chatStreamWithoutOptions(
    request: ChatCompletionRequest,
    body: Record<string, unknown>,
    target: Target,
    context: CallContext,
  ): Promise<ChatStream> {
    const includeUsage = request.stream_options?.include_usage === true;
    if (body['stream_options'] !== undefined) {
      delete body['stream_options'];
      if (includeUsage) {
        context.warnings.push(
          `stream_options not sent to ${target.deploymentId}, which does not accept it: ` +
            "the usage chunk is the server's own, or estimated when it sends none",
        );
      }
    }
    const call = { operation: 'chat', model: target.upstreamModel } as const;
    const response = await this.#post(call, body, context);
    expectEventStream(response, this.#id);
    const events = readOpenAIStream(response, context.signal, this.#id, this.#secrets(context));
    return estimateStreamUsage(events, {
      promptTokens: chatRequirements(request).estimate.promptTokens,
      includeUsage,
    });
  }

  // ---- audio --------------------------------------------------------------------------------------

  transcribe(upload: AudioUpload, target: Target, context: CallContext) {
    return this.#upload('transcriptions', upload, this.#routed(target), context);
  }

  translate(upload: AudioUpload, target: Target, context: CallContext) {
    return this.#upload('translations', upload, this.#routed(target), context);
  }

  /** The form streamed on as it arrives; the answer as the upstream sent it (text, JSON or events). */
  async #upload(
    operation: 'transcriptions' | 'translations',
    upload: AudioUpload,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult> {
    const form = convertToOpenAIForm(upload, target.upstreamModel);
    const response = await this.#send({ operation, model: target.upstreamModel }, context, {
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
    target = this.#routed(target);
    const body = { ...request, model: target.upstreamModel };
    const call = { operation: 'speech', model: target.upstreamModel } as const;
    const response = await this.#post(call, body, context, { accept: '*/*' });
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
    target = this.#routed(target);
    const body = { ...request, model: target.upstreamModel };
    const bytes = await this.#postWhole(
      { operation: 'responses', model: target.upstreamModel },
      body,
      context,
    );
    return this.#passThrough(bytes, target, (usage) => usageFromResponsesApi(usage as ResponsesUsageWire));
  }

  async responsesStream(
    request: ResponsesRequest,
    target: Target,
    context: CallContext,
  ): Promise<ResponsesStream> {
    target = this.#routed(target);
    const body = { ...request, model: target.upstreamModel, stream: true };
    const response = await this.#post({ operation: 'responses', model: target.upstreamModel }, body, context);
    expectEventStream(response, this.#id);
    return readResponsesStream(response, context.signal, this.#id, this.#secrets(context));
  }

  async storedResponse(
    operation: StoredResponseOperation,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult> {
    const call = {
      operation: 'responses',
      responseId: operation.responseId,
      query: operation.query,
    } as const;
    const response = await this.#send(call, context, {
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

  // ---- files and batches --------------------------------------------------------------------------

  /** A files or batches call passed through: the body as the client sent it, the answer's bytes. */
  async #storedObject(
    request: StoredObjectRequest,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult> {
    const call = { operation: request.collection, subpath: request.subpath + request.query } as const;
    const body = request.body;
    const response = await this.#send(call, context, {
      method: request.method,
      body: body === undefined ? undefined : 'json' in body ? JSON.stringify(body.json) : body.stream,
      headers:
        body !== undefined && 'stream' in body
          ? {
              'content-type': body.contentType,
              accept: '*/*',
              ...(body.length !== undefined ? { 'content-length': String(body.length) } : {}),
            }
          : { accept: '*/*' },
    });
    const contentType = String(response.headers['content-type'] ?? 'application/octet-stream');
    if (!contentType.startsWith('application/json')) {
      return { contentType, stream: relayBody(response, context.signal, this.#id), model: '' };
    }
    const bytes = await readBody(response, context.signal, this.#id);
    return { body: bytes, contentType: 'application/json', usage: undefined, model: '' };
  }

  // ---- realtime ----------------------------------------------------------------------------------

  /**
   * A realtime session's WebSocket: the instance's key added, `OpenAI-Beta` only when the client
   * sent it (it chooses the beta protocol over the GA one), events then relayed by the route.
   * @see https://platform.openai.com/docs/guides/realtime-websocket
   */
  async realtime(
    request: RealtimeRequest,
    target: Target,
    context: CallContext,
  ): Promise<RealtimeConnection> {
    target = this.#routed(target);
    const headers: Record<string, string> = { ...(await this.#endpoint.headers(context)) };
    delete headers['content-type'];
    delete headers['accept'];
    if (request.beta) headers['openai-beta'] = request.beta;
    const secrets = this.#secrets(context);
    const socket = await openUpstreamWebSocket(
      webSocketOrigin(this.#endpoint.origin) + this.#endpoint.realtimePath(target.upstreamModel),
      {
        headers,
        signal: context.signal,
        provider: this.#id,
        maxPayload: REALTIME_MAX_PAYLOAD,
        convertRefusal: (refusal) =>
          (this.#convertError ?? convertOpenAIError)({ ...refusal, provider: this.#id, secrets }),
      },
    );
    return { socket, model: target.upstreamModel };
  }

  /** POST /realtime/client_secrets or /realtime/sessions passed through, the session's model replaced. */
  async realtimeSecret(
    request: RealtimeSecretRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult> {
    target = this.#routed(target);
    const model = target.upstreamModel;
    const body =
      request.kind === 'sessions'
        ? { ...request.body, model }
        : { ...request.body, session: { ...(request.body['session'] as object | undefined), model } };
    const call = { operation: `realtime_${request.kind}`, model } as const;
    const response = await this.#post(call, body, context);
    const bytes = await readBody(response, context.signal, this.#id);
    return { body: bytes, contentType: 'application/json', usage: undefined, model };
  }

  // ---- models ------------------------------------------------------------------------------------

  /** GET /v1/models: the models the upstream says it serves, as it lists them. */
  async listModels(signal: AbortSignal): Promise<OpenAIModelListWire> {
    const response = await this.#send({ operation: 'models' }, { signal }, { method: 'GET' });
    return readJsonObject<OpenAIModelListWire>(response, signal, this.#id);
  }
}
