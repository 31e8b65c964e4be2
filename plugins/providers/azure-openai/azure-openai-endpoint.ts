/**
 * Azure OpenAI's URLs and credentials, for the OpenAI adapter (openai/openai-endpoint.ts).
 *
 * Two URL schemes: the deployment paths, `{endpoint}/openai/deployments/{deployment}/chat/completions
 * ?api-version={version}` (the Responses API, not per deployment: `/openai/responses?api-version=`),
 * and the v1 API, `{endpoint}/openai/v1/chat/completions`, versionless, with the deployment as
 * `model`. A key goes in the `api-key` header (both schemes take it); without one, an Entra ID token
 * as `Authorization: Bearer`.
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/reference
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/how-to/managed-identity
 */
import { originOf, toUpstreamFailure } from '../../../src/upstream.js';
import {
  OPENAI_OPERATION_PATHS,
  storedResponsePath,
  type AuthorizeContext,
  type OpenAICall,
  type OpenAIEndpoint,
} from '../openai/openai-endpoint.js';
import type { EntraTokenSource } from './entra-token.js';

/** Operations served per deployment on the deployment paths; the others are per resource. */
const PER_DEPLOYMENT = new Set(['chat', 'embeddings', 'transcriptions', 'translations', 'speech']);

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;

export interface AzureOpenAIEndpointOptions {
  /** For error messages: the instance. */
  readonly provider: string;
  /** The resource endpoint, `https://{resource}.openai.azure.com`. */
  readonly baseUrl: string;
  readonly paths: 'deployments' | 'v1';
  readonly apiVersion: string;
  /** Sent as `api-key`; without it, `tokens` authorize. */
  readonly apiKey: string | undefined;
  readonly tokens: EntraTokenSource | undefined;
}

export class AzureOpenAIEndpoint implements OpenAIEndpoint {
  readonly origin: string;
  readonly #options: AzureOpenAIEndpointOptions;
  readonly #prefix: string;
  readonly #version: string;
  readonly #keyHeaders: Record<string, string> | undefined;

  constructor(options: AzureOpenAIEndpointOptions) {
    const { origin, pathPrefix } = originOf(options.baseUrl);
    this.origin = origin;
    this.#options = options;
    this.#prefix = `${pathPrefix}/openai`;
    this.#version = `api-version=${encodeURIComponent(options.apiVersion)}`;
    this.#keyHeaders = options.apiKey ? { ...JSON_HEADERS, 'api-key': options.apiKey } : undefined;
  }

  path(call: OpenAICall): string {
    const operationPath = OPENAI_OPERATION_PATHS[call.operation];
    if (this.#options.paths === 'v1') {
      const path = `${this.#prefix}/v1${operationPath}`;
      return call.responseId === undefined ? path : storedResponsePath(path, call);
    }
    if (call.responseId !== undefined) {
      // The client's own query follows the api-version.
      const query = call.query ? `&${call.query.slice(1)}` : '';
      return `${storedResponsePath(this.#prefix + operationPath, { ...call, query: '' })}?${this.#version}${query}`;
    }
    if (PER_DEPLOYMENT.has(call.operation) && call.model !== undefined) {
      return `${this.#prefix}/deployments/${encodeURIComponent(call.model)}${operationPath}?${this.#version}`;
    }
    return `${this.#prefix}${operationPath}?${this.#version}`;
  }

  /**
   * A realtime session: `/openai/v1/realtime?model=<deployment>` (v1), or
   * `/openai/realtime?api-version=<version>&deployment=<deployment>` (deployment paths).
   * @see https://learn.microsoft.com/azure/ai-foundry/openai/how-to/realtime-audio-websockets
   */
  realtimePath(model: string): string {
    const deployment = encodeURIComponent(model);
    if (this.#options.paths === 'v1') return `${this.#prefix}/v1/realtime?model=${deployment}`;
    return `${this.#prefix}/realtime?${this.#version}&deployment=${deployment}`;
  }

  headers(context: AuthorizeContext): Record<string, string> | Promise<Record<string, string>> {
    // A key the client brought for this request (BYOK) is a key of the resource.
    if (context.apiKey) return { ...JSON_HEADERS, 'api-key': context.apiKey };
    if (this.#keyHeaders) return this.#keyHeaders;
    return this.#bearerHeaders(context.signal);
  }

  async #bearerHeaders(signal: AbortSignal): Promise<Record<string, string>> {
    let token: string;
    try {
      token = await this.#options.tokens!.token(signal);
    } catch (error) {
      throw toUpstreamFailure(error, signal, this.#options.provider);
    }
    return { ...JSON_HEADERS, authorization: `Bearer ${token}` };
  }

  secrets(context: AuthorizeContext): (string | undefined)[] {
    return [this.#options.apiKey, context.apiKey, this.#options.tokens?.current];
  }
}
