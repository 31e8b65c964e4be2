/**
 * The built-in echo provider's adapter: chat completions that say the last user message back
 * (unary, or streamed token by token with a small pause), and deterministic embeddings. It calls no
 * upstream and costs nothing: a model to try the gateway with before any provider key is set, and
 * for health probes and load tests.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import type {
  CallContext,
  ChatStream,
  ProviderAdapter,
  ProviderInstanceConfig,
  StreamEvent,
  Target,
  UnaryResult,
} from '../../../src/provider.js';
import { toUpstreamFailure } from '../../../src/upstream.js';
import {
  convertToEchoChunks,
  convertToEchoCompletion,
  echoTextOf,
  echoUsage,
  echoVector,
  embeddingTexts,
  encodeVector,
  type EchoIdentity,
} from './convert-echo-answer.js';
import type { EchoSettings } from './echo-options.js';

export class EchoAdapter implements ProviderAdapter {
  readonly type = 'echo';
  /** It reads only the messages: every other parameter is accepted and has no effect. */
  readonly chatParameters = 'all' as const;
  readonly #id: string;
  readonly #settings: EchoSettings;

  constructor(config: ProviderInstanceConfig<EchoSettings>) {
    this.#id = config.id;
    this.#settings = config.settings;
  }

  #identity(target: Target): EchoIdentity {
    return {
      id: `chatcmpl-echo-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      model: target.upstreamModel,
    };
  }

  async chat(request: ChatCompletionRequest, target: Target): Promise<UnaryResult> {
    const text = echoTextOf(request);
    const usage = echoUsage(request, text);
    const completion = convertToEchoCompletion(text, usage, this.#identity(target));
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
    const text = echoTextOf(request);
    const chunks = convertToEchoChunks(text, echoUsage(request, text), this.#identity(target));
    const includeUsage = request.stream_options?.include_usage === true;
    const delayMs = this.#settings.delayMs;
    const provider = this.#id;
    const signal = context.signal;
    async function* events(): AsyncGenerator<StreamEvent, void, undefined> {
      try {
        for (const [index, chunk] of chunks.content.entries()) {
          // A pause before each token (not before the first event, which opens the stream).
          if (index > 0 && delayMs > 0) await sleep(delayMs, undefined, { signal });
          else if (signal.aborted) throw signal.reason;
          yield { chunk, mayCarryUsage: false };
        }
      } catch (error) {
        throw toUpstreamFailure(error, signal, provider);
      }
      // Every stream's usage is counted; the client sees it only when it asked for it.
      yield { chunk: chunks.usage, hidden: !includeUsage };
    }
    return events();
  }

  async embeddings(request: EmbeddingsRequest, target: Target): Promise<UnaryResult> {
    const texts = embeddingTexts(request.input);
    const dimensions = request.dimensions ?? this.#settings.dimensions;
    const data = texts.map((text, index) => {
      const vector = echoVector(text, dimensions);
      return {
        object: 'embedding',
        index,
        embedding: request.encoding_format === 'base64' ? encodeVector(vector) : vector,
      };
    });
    const promptTokens = texts.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
    const body = {
      object: 'list',
      data,
      model: target.upstreamModel,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    };
    return {
      body: JSON.stringify(body),
      contentType: 'application/json',
      usage: {
        promptTokens,
        completionTokens: 0,
        totalTokens: promptTokens,
        reasoningTokens: 0,
        cachedTokens: 0,
      },
      model: target.upstreamModel,
    };
  }
}
