/**
 * The adapter contract every provider implements, and the per-call context the gateway hands it.
 * This file names no provider: routes and the router only ever see `ProviderAdapter`.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import type { SpeechRequest } from '../schemas/audio.js';
import type { CatalogModel } from '../schemas/catalog.js';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../schemas/chat.js';
import type { EmbeddingsRequest } from '../schemas/embeddings.js';
import type { ModerationRequest } from '../schemas/moderations.js';
import type { ImageGenerationRequest } from '../schemas/images.js';
import type { ResponsesRequest } from '../schemas/responses.js';
import type { TObject } from '@sinclair/typebox';
import type { FetchedMedia, FetchMediaRequest, MediaScope } from './remote-media.js';

/** Token usage in the gateway's own terms, whatever the provider called it. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  reasoningTokens: number;
  /** Prompt tokens read from the provider's cache (part of `promptTokens`). */
  cachedTokens: number;
  /**
   * Prompt tokens written to the provider's cache (part of `promptTokens`), billed at the catalog's
   * `cache_write` price; absent means none.
   */
  cacheWriteTokens?: number;
  /**
   * The counts are the gateway's estimate: the provider reported none (a stream cut before its usage
   * came, a server that cannot be asked for it).
   */
  estimated?: boolean;
  /** Characters of text spoken (speech is priced by them). */
  characters?: number;
  /** Images made (image generation is priced by them). */
  images?: number;
  /**
   * Prompt tokens that were audio (part of `promptTokens`), and of them those read from the cache
   * (part of `cachedTokens`), priced at the catalog's `audio_input` and `cached_audio_input`.
   */
  audioPromptTokens?: number;
  cachedAudioTokens?: number;
  /** Completion tokens that were audio (part of `completionTokens`), priced at `audio_output`. */
  audioCompletionTokens?: number;
}

/** What one call needs besides the request: cancellation, deadline, logging, warnings. */
export interface CallContext {
  /** Aborted when the client goes away or the deadline passes; `reason` says which. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds after which the call must give up. */
  readonly deadline: number;
  readonly log: FastifyBaseLogger;
  readonly requestId: string;
  /** Notes for the client about what the gateway changed (sent as `x-gateway-warnings`). */
  readonly warnings: string[];
  /** A provider key the client brought for this request only; never logged or cached. */
  readonly apiKey?: string;
  /** The request's media downloads, shared by its attempts (pass it to `services.media.fetch`). */
  readonly mediaScope?: MediaScope;
}

/** Which upstream model one attempt calls, and what the catalog knows of it. */
export interface Target {
  /** The deployment id, for logs and health (`<instance>/<upstream model>`). */
  readonly deploymentId: string;
  readonly upstreamModel: string;
  /** The catalog entry, when the model is in the catalog. */
  readonly model: CatalogModel | undefined;
}

/** A unary answer ready for the client: the bytes to send and what the gateway reads from them. */
export interface UnaryResult {
  /** Exactly what the client receives (an OpenAI-type upstream's bytes are passed through). */
  readonly body: Buffer | string;
  /** The body's text, when the adapter decoded a Buffer body already (the cache stores text). */
  readonly bodyText?: string;
  readonly contentType: string;
  readonly usage: Usage | undefined;
  /** The model that answered, as the upstream named it. */
  readonly model: string;
}

/** One chunk of a chat stream. `raw` is the upstream's own JSON text when it can be sent unchanged. */
export interface StreamEvent {
  readonly chunk: ChatCompletionChunk;
  readonly raw?: string;
  /**
   * False when the event is known to carry no usage, so a consumer looking for usage need not read
   * `chunk` (which a pass-through adapter parses only on demand).
   */
  readonly mayCarryUsage?: boolean;
  /**
   * Accounted, never sent: the usage of a stream whose client did not ask for it
   * (`stream_options.include_usage`), read so that every request's tokens are counted.
   */
  readonly hidden?: boolean;
  /**
   * The usage this event stands for, when the adapter knows more of it than the chunk says (an
   * estimate, marked `estimated`); absent: the chunk's own `usage`.
   */
  readonly usage?: Usage;
}

/**
 * A chat stream. Iteration ends normally only after the upstream's clean end of stream; any fault
 * (cut connection, malformed event, error event) is thrown from the iterator. Calling `return()`
 * on the iterator releases the upstream connection.
 */
export type ChatStream = AsyncIterable<StreamEvent>;

/**
 * An answer relayed as it arrives (binary audio, audio event streams): the client receives the bytes
 * unchanged with `contentType`. Iteration ends after the upstream's clean end; a cut connection or a
 * deadline is thrown from the iterator; calling `return()` releases the upstream connection.
 */
export interface ByteStreamResult {
  readonly contentType: string;
  readonly stream: AsyncIterable<Buffer>;
  /** The model that answered, as the upstream named it. */
  readonly model: string;
}

/** Whether a door's request in `api` for `operation` passes through to `target` on this adapter. */
export function speaksNatively(
  adapter: ProviderAdapter,
  api: string,
  operation: string,
  target: Target,
): boolean {
  if (adapter.native === undefined || adapter.nativeApis?.has(api) !== true) return false;
  return adapter.nativeApiFor?.(api, operation, target) ?? true;
}

export function isByteStreamResult(result: UnaryResult | ByteStreamResult): result is ByteStreamResult {
  return 'stream' in result;
}

/** One field of a multipart form, as the client sent it (`timestamp_granularities[]` keeps its brackets). */
export interface FormField {
  readonly name: string;
  readonly value: string;
}

/** The file of an upload (audio, an image). `stream` is read once; it fails with the upload (413 past the limit, 400 for a broken form, ClientClosed). */
export interface UploadedFile {
  readonly stream: Readable;
  readonly filename: string;
  readonly contentType: string;
  /** Bytes, when known before reading (the file was received whole before the call); else undefined. */
  readonly size: number | undefined;
}

/**
 * POST /v1/audio/transcriptions and /translations: the form as it arrives. The file is not held in
 * memory: an adapter that can, streams it on; one that needs it whole buffers it (it is at most
 * MAX_AUDIO_FILE_BYTES).
 */
export interface AudioUpload {
  readonly file: UploadedFile;
  /** The fields sent before the file, in order, validated (`model` as the client named it). */
  readonly fields: readonly FormField[];
  /**
   * The fields sent after the file, validated. They can only be read once the file stream has ended,
   * so call this after reading it; it rejects with the 400 of an invalid field.
   */
  fieldsAfterFile(): Promise<readonly FormField[]>;
}

/** One part of an image form, in the order the client sent it. */
export type ImageFormPart =
  | { readonly kind: 'field'; readonly field: FormField }
  | {
      readonly kind: 'file';
      /** The form field: `image`, `image[]` or `mask`. */
      readonly name: string;
      readonly file: UploadedFile;
    };

/**
 * POST /v1/images/edits and /variations: the form as it arrives. Its files are not held in memory:
 * an adapter that can, streams them on; one that needs them whole reads them (they are at most
 * MAX_IMAGE_UPLOAD_BYTES in all).
 */
export interface ImageUpload {
  /**
   * The form's parts in order, read once: fields validated, files counted against the limit (a
   * file's stream fails with the upload: 413 past the limit, 400 for a broken form, ClientClosed).
   * A file's stream must be read to its end before the next part is asked for.
   */
  readonly parts: AsyncIterable<ImageFormPart>;
  /** Whether the form names `model`; when it does not, the adapter names the model it calls. */
  readonly namesModel: boolean;
}

/** A typed event of a Responses API stream; `data` is the upstream's JSON text, relayed unchanged. */
export interface ResponsesStreamEvent {
  readonly type: string;
  readonly data: string;
}

/**
 * A Responses API event stream. Iteration ends normally only after a terminal event
 * (`response.completed`, `response.incomplete`, `response.failed`, `error`); any other end or fault
 * is thrown from the iterator. Calling `return()` releases the upstream connection.
 */
export type ResponsesStream = AsyncIterable<ResponsesStreamEvent>;

/** GET or DELETE of a stored response (`/v1/responses/{id}`), passed through. */
export interface StoredResponseOperation {
  readonly method: 'GET' | 'DELETE';
  readonly responseId: string;
  /** The client's query string without the gateway's own `model` parameter ('' or `?a=b`). */
  readonly query: string;
}

/**
 * A call on the objects a provider keeps for its account (OpenAI's files and batches), passed
 * through: `GET /files`, `POST /files` (a multipart upload streamed on as it arrives),
 * `GET /files/{id}/content`, `POST /batches/{id}/cancel`, …
 */
export interface StoredObjectRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** The kind of object: the first segment of the path under the API's root. */
  readonly collection: 'files' | 'batches';
  /** The rest of the path after the collection (`''`, `/file-abc`, `/file-abc/content`), encoded. */
  readonly subpath: string;
  /** The client's query string: '' or `?a=b`. */
  readonly query: string;
  /** A JSON body, or an upload relayed unread with its content type (the multipart boundary). */
  readonly body?:
    | { readonly json: unknown }
    | { readonly stream: Readable; readonly contentType: string; readonly length?: number };
}

/**
 * A request in an API an inbound door speaks (the Anthropic Messages API, the Gemini API), for an
 * adapter whose provider speaks that API itself: the door hands it over as the client sent it, and
 * the answer comes back as the provider sent it (design: doors and rooms; the bytes pass through,
 * only `model` is replaced and usage read).
 */
export interface NativeRequest {
  /** The API, as doors and adapters name it: `anthropic-messages`, `gemini`. */
  readonly api: string;
  /** The API's own operation: `messages`, `count_tokens`, `generateContent`, `streamGenerateContent`, … */
  readonly operation: string;
  /** The client's body, parsed; the adapter sends it with the upstream model name in place. */
  readonly body: Record<string, unknown>;
  readonly stream: boolean;
  /** Request headers of the API that go along (`anthropic-version`, `anthropic-beta`), lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A native stream: the provider's server-sent events, each as its `event` name and `data` text, unchanged. */
export interface NativeStreamResult {
  readonly contentType: string;
  readonly events: AsyncIterable<{ readonly event: string | undefined; readonly data: string }>;
  /** The model that answered, as the upstream named it (or the requested one). */
  readonly model: string;
}

/**
 * A realtime session (a WebSocket to the provider) for one target: the socket once the provider
 * accepted it, and the model it serves as the upstream names it.
 */
export interface RealtimeConnection {
  readonly socket: WebSocket;
  readonly model: string;
}

/** Headers of the client's upgrade request that go along to the provider, lower case (`openai-beta`). */
export interface RealtimeRequest {
  /** The beta protocol the client asked for (OpenAI's `realtime=v1`), or undefined for the current one. */
  readonly beta: string | undefined;
}

/**
 * A call that mints a short-lived credential for a browser's realtime session, passed through:
 * `POST /realtime/client_secrets` or `POST /realtime/sessions` with the client's body (its model
 * replaced by the upstream's name).
 */
export interface RealtimeSecretRequest {
  readonly kind: 'client_secrets' | 'sessions';
  readonly body: Record<string, unknown>;
}

/** A model a provider's server says it serves (its model list), as discovered. */
export interface DiscoveredModel {
  /** The server's name for it: the upstream model. */
  readonly id: string;
  /** Epoch seconds, when the server says. */
  readonly created?: number;
  readonly ownedBy?: string;
  /** Tokens in and out, when the server says. */
  readonly contextWindow?: number;
}

/**
 * Models found on the provider's own server rather than in the catalog (a model server of one's own
 * serves whatever it has loaded): asked at start and every `refreshMs`, listed in /v1/models and callable as
 * `<instance>/<model>`, and by the model's own name when no other instance serves one by that name.
 */
export interface ModelDiscovery {
  readonly refreshMs: number;
  /** The models served now; rejects with the upstream's error. */
  discover(signal: AbortSignal): Promise<DiscoveredModel[]>;
}

export interface ProviderAdapter {
  readonly type: string;
  /** Present when the provider's models are discovered from its server. */
  readonly modelDiscovery?: ModelDiscovery;
  /** APIs besides OpenAI's that this adapter's provider speaks, so a door of that API passes through. */
  readonly nativeApis?: ReadonlySet<string>;
  /**
   * Whether one target speaks an API of `nativeApis` for one of its operations, when that differs by
   * model (a provider hosting several model families, each with its own API); absent: every target
   * speaks every operation of `nativeApis`.
   */
  nativeApiFor?(api: string, operation: string, target: Target): boolean;
  /**
   * A request in one of `nativeApis`, passed through. A unary answer's body is the provider's bytes
   * (with its usage read); a stream's events are the provider's. Rejects with the upstream's error
   * as the other methods do.
   */
  native?(
    request: NativeRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | NativeStreamResult>;
  /**
   * The chat request parameters this adapter honours, or 'all' when it passes the request through
   * (unknown parameters included). Anything else is dropped with a warning or refused (design rule 9).
   */
  readonly chatParameters: ReadonlySet<string> | 'all';
  chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult>;
  /** Resolves once the upstream accepted the stream (status 2xx); rejects with the upstream's error. */
  chatStream(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<ChatStream>;
  /** POST /v1/embeddings; absent when the provider has no embeddings. Answers OpenAI's list shape. */
  embeddings?(request: EmbeddingsRequest, target: Target, context: CallContext): Promise<UnaryResult>;
  /**
   * POST /v1/moderations; absent when the provider has no moderation models. Answers OpenAI's
   * moderation object; its usage (none is reported) is zero: moderation is counted, not priced.
   */
  moderations?(request: ModerationRequest, target: Target, context: CallContext): Promise<UnaryResult>;
  /**
   * POST /v1/images/generations; absent when the provider makes no images. Answers OpenAI's images
   * object (a provider that does not speak it translated, its images as `b64_json`), with
   * `usage.images` the number of images made.
   */
  images?(request: ImageGenerationRequest, target: Target, context: CallContext): Promise<UnaryResult>;
  /**
   * POST /v1/images/edits; absent when the provider edits no images. Answers OpenAI's images object
   * as `images` does, with `usage.images` the number of images made.
   */
  imageEdits?(upload: ImageUpload, target: Target, context: CallContext): Promise<UnaryResult>;
  /** POST /v1/images/variations; absent when the provider makes no variations. As `imageEdits`. */
  imageVariations?(upload: ImageUpload, target: Target, context: CallContext): Promise<UnaryResult>;
  /**
   * The chat parameters honoured for one target, when they differ by model (a model served through
   * another API); absent or undefined: `chatParameters`.
   */
  chatParametersFor?(target: Target): ReadonlySet<string> | 'all' | undefined;
  /** POST /v1/audio/transcriptions; answers in the requested `response_format` (or an event stream). */
  transcribe?(
    upload: AudioUpload,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult>;
  /** POST /v1/audio/translations (into English). */
  translate?(
    upload: AudioUpload,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult>;
  /** POST /v1/audio/speech; the audio in `response_format`, with its content type. */
  speech?(
    request: SpeechRequest,
    target: Target,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult>;
  /** POST /v1/responses without `stream`: a `response` object. */
  responses?(request: ResponsesRequest, target: Target, context: CallContext): Promise<UnaryResult>;
  /** POST /v1/responses with `stream: true`; resolves once the upstream accepted the stream. */
  responsesStream?(request: ResponsesRequest, target: Target, context: CallContext): Promise<ResponsesStream>;
  /** GET or DELETE /v1/responses/{id} (GET with `stream=true` answers an event stream). */
  storedResponse?(
    operation: StoredResponseOperation,
    context: CallContext,
  ): Promise<UnaryResult | ByteStreamResult>;
  /**
   * Files and batches kept by the provider for its account; absent when the provider has none. A
   * JSON answer is read whole (`UnaryResult`), anything else relayed (a file's content).
   */
  storedObjects?(request: StoredObjectRequest, context: CallContext): Promise<UnaryResult | ByteStreamResult>;
  /**
   * Opens a realtime session's WebSocket to the provider (its key added by the adapter); resolves
   * once the provider accepted it, rejects with the upstream's error (its HTTP refusal, a timeout,
   * an unreachable host) as the other methods do. Absent when the provider has no realtime API.
   */
  realtime?(request: RealtimeRequest, target: Target, context: CallContext): Promise<RealtimeConnection>;
  /** Mints a realtime client secret (or session) for a browser, passed through; absent with `realtime`. */
  realtimeSecret?(request: RealtimeSecretRequest, target: Target, context: CallContext): Promise<UnaryResult>;
  close?(): Promise<void>;
}

/**
 * An environment variable a provider reads, and the instance setting it fills: `OPENAI_API_KEY`
 * sets `providers.openai.apiKey`. Config loading, `.env.example`, the chart and the start-up
 * messages are all driven by these declarations.
 */
export interface ProviderVariable {
  readonly name: string;
  /** `apiKey`, `baseUrl`, or one of the provider's own settings. */
  readonly setting: string;
  readonly doc: string;
  /** A secret: never printed, shipped in the chart's Secret rather than its ConfigMap. */
  readonly sensitive?: boolean;
}

/** What the gateway hands every provider factory alike. */
export interface ProviderServices {
  /** The shared keep-alive pool for upstream calls. */
  readonly dispatcher: Dispatcher;
  /** Guarded downloads of media URLs (image_url with http(s)), for providers that take only bytes. */
  readonly media: MediaFetcher;
  /** What to do with a parameter a model cannot honour, for requests an adapter reads itself. */
  readonly unsupportedParameters: 'drop' | 'reject';
}

/** Guarded media downloads (src/remote-media.ts). */
export interface MediaFetcher {
  fetch(url: string, request: FetchMediaRequest): Promise<FetchedMedia>;
}

/**
 * One provider, as its folder declares it (plugins/providers/<type>/index.ts) and the manifest
 * (plugins/providers/index.ts) lists it. Everything the gateway must know of a provider it learns
 * here; its adapter code is loaded only when an instance of it is configured.
 */
export interface ProviderDescriptor<Settings = Record<string, unknown>> {
  /** The type instances name (`providers.<id>.type`); also the id of the instance its variables configure. */
  readonly type: string;
  /** How people name it (`OpenAI`), for messages and documents. */
  readonly displayName: string;
  /**
   * The base URL of an instance that sets none. Absent when there is no such default (a resource of
   * one's own, or a server a preset names): an instance that can serve must then set one.
   */
  readonly defaultBaseUrl?: string;
  /** Whether an instance needs a key to serve (false: a local server, or a provider built into the gateway). */
  readonly requiresApiKey: boolean;
  /**
   * What an instance's own settings decide of the keys every instance has, before the descriptor's
   * defaults: a preset naming a known server gives its base URL, whether it needs a key and the
   * variable that holds it; a credential other than the key makes the key unnecessary. `instance`
   * is what the instance itself sets of those keys. Throws an Error saying what is wrong of a
   * combination of settings that cannot work (the registry names the instance).
   */
  instanceDefaults?(settings: Settings, instance: InstanceCommonKeys): InstanceDefaults;
  /**
   * What to set to configure the instance named after the type, when it is more than its key
   * variable (`AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or …`): named when one of its models is
   * asked for while it is not configured.
   */
  readonly configuredBy?: string;
  /** The environment variables that configure the instance named after the type. */
  readonly variables: readonly ProviderVariable[];
  /** The provider's own instance settings besides the keys every instance has; unknown keys are refused. */
  readonly settings: TObject;
  /** Its catalog entries: a YAML file with a `models` list (schemas/catalog.ts), in its folder. */
  readonly catalog?: URL;
  /**
   * Serves no real model (a provider built into the gateway): it does not make the gateway ready, and is not
   * offered as a provider to configure in messages.
   */
  readonly builtin?: boolean;
  /** Builds the adapter of one configured instance (loading the provider's code on first use). */
  create(instance: ProviderInstanceConfig<Settings>, services: ProviderServices): Promise<ProviderAdapter>;
}

/** The keys every instance has, as one instance sets them (unset: undefined). */
export interface InstanceCommonKeys {
  readonly baseUrl?: string;
  readonly apiKey?: string;
}

/** What an instance's settings decide of its common keys (`ProviderDescriptor.instanceDefaults`). */
export interface InstanceDefaults {
  readonly baseUrl?: string;
  readonly requiresApiKey?: boolean;
  /** The environment variable that holds the key of an instance of this kind, read when it sets none. */
  readonly apiKeyVariable?: string;
}

/** What configures the instance a provider's environment sets up: `configuredBy`, else its key variable. */
export function configurationHint(descriptor: ProviderDescriptor): string | undefined {
  return (
    descriptor.configuredBy ?? descriptor.variables.find((variable) => variable.setting === 'apiKey')?.name
  );
}

/** Types a descriptor by its settings (`Static` of its schema), and erases that type for the manifest's list. */
export function defineProvider<Settings>(descriptor: ProviderDescriptor<Settings>): ProviderDescriptor {
  return descriptor as unknown as ProviderDescriptor;
}

export interface ProviderInstanceConfig<Settings = Record<string, unknown>> {
  readonly id: string;
  readonly type: string;
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  /** The provider's own settings, validated against its schema, defaults filled, frozen. */
  readonly settings: Settings;
}

/** Last failure seen on an instance, for /v1/health/detailed. */
export interface ProviderHealth {
  lastError: { message: string; status: number | null; at: string } | null;
  lastSuccessAt: string | null;
}

export interface ProviderInstance {
  readonly id: string;
  readonly type: string;
  readonly baseUrl: string;
  /** False when a key it needs is missing: its models are not served. */
  readonly configured: boolean;
  /** Prices of the models it serves that the catalog does not price (`providers.<id>.pricing`). */
  readonly pricing?: { input?: number; output?: number; cached_input?: number };
  /** Its adapter; an instance that is not configured answers every call with a 404 naming what to set. */
  readonly adapter: ProviderAdapter;
  readonly descriptor: ProviderDescriptor;
  /** The variable that holds its key, when the instance is the one the environment configures. */
  readonly apiKeyVariable: string | undefined;
  readonly health: ProviderHealth;
}
