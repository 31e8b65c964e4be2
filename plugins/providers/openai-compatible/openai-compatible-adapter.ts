/**
 * The adapter of an `openai-compatible` instance: the OpenAI adapter with a bearer key (when there is
 * one), the request put in the server's words before it is sent (convert-to-compatible-request.ts),
 * streams sent without `stream_options` to a server that refuses it, and the models discovered from
 * the server's own GET /v1/models.
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type {
  CallContext,
  ChatStream,
  ModelDiscovery,
  ProviderInstanceConfig,
  ProviderServices,
  Target,
  UnaryResult,
} from '../../../src/provider.js';
import { OpenAIAdapter } from '../openai/openai-adapter.js';
import { BearerEndpoint } from '../openai/openai-endpoint.js';
import { convertCompatibleModels } from './convert-compatible-models.js';
import { convertToCompatibleRequest } from './convert-to-compatible-request.js';
import { resolveQuirks, type OpenAICompatibleSettings } from './openai-compatible-options.js';
import type { CompatibleQuirks } from './openai-compatible-presets.js';

export class OpenAICompatibleAdapter extends OpenAIAdapter {
  readonly quirks: CompatibleQuirks;
  readonly modelDiscovery: ModelDiscovery | undefined;
  readonly #policy: 'drop' | 'reject';

  constructor(
    config: ProviderInstanceConfig<OpenAICompatibleSettings>,
    services: Pick<ProviderServices, 'dispatcher' | 'unsupportedParameters'>,
  ) {
    const quirks = resolveQuirks(config.settings);
    super(
      {
        id: config.id,
        type: config.type,
        endpoint: new BearerEndpoint(config.baseUrl, config.apiKey),
        // The catalog's Responses-only models are OpenAI's; a compatible server's /responses, where
        // it has one, is reached by the Responses API itself.
        useResponsesApi: false,
        streamOptions: quirks.streamOptions,
      },
      services,
    );
    this.quirks = quirks;
    this.#policy = services.unsupportedParameters;
    const { enabled, refreshSeconds } = config.settings.discovery;
    this.modelDiscovery = enabled
      ? {
          refreshMs: refreshSeconds * 1000,
          discover: async (signal) => convertCompatibleModels(await this.listModels(signal)),
        }
      : undefined;
  }

  #inServerWords(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): ChatCompletionRequest {
    return convertToCompatibleRequest(request, target, this.quirks, this.#policy, context.warnings);
  }

  override chat(request: ChatCompletionRequest, target: Target, context: CallContext): Promise<UnaryResult> {
    return super.chat(this.#inServerWords(request, target, context), target, context);
  }

  override chatStream(
    request: ChatCompletionRequest,
    target: Target,
    context: CallContext,
  ): Promise<ChatStream> {
    return super.chatStream(this.#inServerWords(request, target, context), target, context);
  }
}
