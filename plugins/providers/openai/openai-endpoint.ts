/**
 * Where the calls of an OpenAI-type adapter go and how they are authorized. OpenAI's API, and the
 * servers that copy it, take `<base URL>/<operation>` with a bearer key (`BearerEndpoint`); a
 * provider that serves the same API under another URL scheme or with another credential (Azure's
 * deployments and `api-key` header, an Entra ID token) brings its own endpoint and reuses the rest
 * of the adapter unchanged.
 * @see https://platform.openai.com/docs/api-reference/authentication
 */
import type { CallContext } from '../../../src/provider.js';
import { originOf } from '../../../src/upstream.js';
import {
  OPENAI_CHAT_PATH,
  OPENAI_EMBEDDINGS_PATH,
  OPENAI_MODELS_PATH,
  OPENAI_MODERATIONS_PATH,
  OPENAI_FILES_PATH,
  OPENAI_IMAGES_PATH,
  OPENAI_IMAGE_EDITS_PATH,
  OPENAI_IMAGE_VARIATIONS_PATH,
  OPENAI_BATCHES_PATH,
  OPENAI_REALTIME_CLIENT_SECRETS_PATH,
  OPENAI_REALTIME_PATH,
  OPENAI_REALTIME_SESSIONS_PATH,
  OPENAI_RESPONSES_PATH,
  OPENAI_SPEECH_PATH,
  OPENAI_TRANSCRIPTIONS_PATH,
  OPENAI_TRANSLATIONS_PATH,
  buildOpenAIHeaders,
  type OpenAIInstanceHeaders,
} from './openai-api.js';

/** The operations of OpenAI's API the adapter calls. */
export type OpenAIOperation =
  | 'chat'
  | 'embeddings'
  | 'transcriptions'
  | 'translations'
  | 'speech'
  | 'responses'
  | 'models'
  | 'moderations'
  | 'files'
  | 'batches'
  | 'images'
  | 'imageEdits'
  | 'imageVariations'
  | 'realtime'
  | 'realtime_client_secrets'
  | 'realtime_sessions';

/** The path of each operation under OpenAI's `/v1` (Azure's v1 API keeps the same names). */
export const OPENAI_OPERATION_PATHS: Readonly<Record<OpenAIOperation, string>> = {
  chat: OPENAI_CHAT_PATH,
  embeddings: OPENAI_EMBEDDINGS_PATH,
  transcriptions: OPENAI_TRANSCRIPTIONS_PATH,
  translations: OPENAI_TRANSLATIONS_PATH,
  speech: OPENAI_SPEECH_PATH,
  responses: OPENAI_RESPONSES_PATH,
  models: OPENAI_MODELS_PATH,
  moderations: OPENAI_MODERATIONS_PATH,
  files: OPENAI_FILES_PATH,
  batches: OPENAI_BATCHES_PATH,
  images: OPENAI_IMAGES_PATH,
  imageEdits: OPENAI_IMAGE_EDITS_PATH,
  imageVariations: OPENAI_IMAGE_VARIATIONS_PATH,
  realtime: OPENAI_REALTIME_PATH,
  realtime_client_secrets: OPENAI_REALTIME_CLIENT_SECRETS_PATH,
  realtime_sessions: OPENAI_REALTIME_SESSIONS_PATH,
};

export interface OpenAICall {
  readonly operation: OpenAIOperation;
  /** The upstream model the call is for; absent when it names none (a model list, a stored response). */
  readonly model?: string;
  /** A stored response's id: the call is `responses/{id}`. */
  readonly responseId?: string;
  /** The client's query string for a stored response: '' or `?a=b`. */
  readonly query?: string;
  /** A stored object's path after the operation's (`/file-abc/content`) and its query: the call is that path. */
  readonly subpath?: string;
}

/** What a call needs to be authorized: its signal (a token may be fetched) and the client's own key. */
export type AuthorizeContext = Pick<CallContext, 'signal' | 'apiKey'>;

export interface OpenAIEndpoint {
  readonly origin: string;
  /** The path of one call, with its query string. */
  path(call: OpenAICall): string;
  /** The path of a realtime session's WebSocket for an upstream model, with its query string. */
  realtimePath(model: string): string;
  /**
   * The headers of a JSON call, authorization included: with the client's own key when it brought
   * one (BYOK). The adapter adds or overrides `content-type` and `accept` for other bodies.
   */
  headers(context: AuthorizeContext): Record<string, string> | Promise<Record<string, string>>;
  /** The credentials in use, scrubbed from anything an upstream says before a client reads it. */
  secrets(context: AuthorizeContext): (string | undefined)[];
}

/** The path of a stored response under a `responses` path: its id, then the client's query. */
export function storedResponsePath(responsesPath: string, call: OpenAICall): string {
  return `${responsesPath}/${encodeURIComponent(call.responseId ?? '')}${call.query ?? ''}`;
}

/** OpenAI's own scheme: `<base URL>/<operation>`, `Authorization: Bearer <key>`. */
export class BearerEndpoint implements OpenAIEndpoint {
  readonly origin: string;
  readonly #pathPrefix: string;
  readonly #apiKey: string | undefined;
  readonly #headers: Record<string, string>;
  readonly #extra: OpenAIInstanceHeaders;

  constructor(baseUrl: string, apiKey: string | undefined, extra: OpenAIInstanceHeaders = {}) {
    const { origin, pathPrefix } = originOf(baseUrl);
    this.origin = origin;
    this.#pathPrefix = pathPrefix;
    this.#apiKey = apiKey;
    this.#extra = extra;
    this.#headers = buildOpenAIHeaders(apiKey, extra);
  }

  path(call: OpenAICall): string {
    const path = this.#pathPrefix + OPENAI_OPERATION_PATHS[call.operation];
    if (call.subpath !== undefined) return path + call.subpath;
    return call.responseId === undefined ? path : storedResponsePath(path, call);
  }

  /** `/v1/realtime?model=<model>`. @see https://platform.openai.com/docs/guides/realtime-websocket */
  realtimePath(model: string): string {
    return `${this.#pathPrefix}${OPENAI_REALTIME_PATH}?model=${encodeURIComponent(model)}`;
  }

  headers(context: AuthorizeContext): Record<string, string> {
    return context.apiKey ? buildOpenAIHeaders(context.apiKey, this.#extra) : this.#headers;
  }

  secrets(context: AuthorizeContext): (string | undefined)[] {
    return [this.#apiKey, context.apiKey];
  }
}
