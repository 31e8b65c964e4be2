/**
 * OpenAI embeddings ⇄ Gemini `batchEmbedContents`: one Gemini request per input, answers in input
 * order, `dimensions` → `outputDimensionality`, and `encoding_format: base64` as OpenAI encodes it
 * (little-endian float32, base64).
 * @see https://ai.google.dev/api/embeddings#method:-models.batchembedcontents
 * @see https://platform.openai.com/docs/api-reference/embeddings/create
 */
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import { GatewayError } from '../../../src/errors.js';
import type { Usage } from '../../../src/provider.js';
import { estimateTokens } from '../../../src/tokens.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import type { GeminiBatchEmbedContentsResponse, GeminiEmbedContentRequest } from './gemini-api.js';

/** Requests Gemini takes in one `batchEmbedContents` call. */
export const GEMINI_EMBEDDINGS_BATCH = 100;

/** The embeddings request fields this conversion honours; any other is reported as ignored. */
const HONOURED = new Set(['model', 'input', 'dimensions', 'encoding_format']);

/** The texts to embed, in order. Token ids are refused: Gemini takes text only. */
export function embeddingInputs(request: EmbeddingsRequest): string[] {
  const input = request.input;
  if (typeof input === 'string') return [input];
  if (input.every((item) => typeof item === 'string')) return input as string[];
  throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_CONTENT', {
    message:
      "Gemini embeddings take text only: 'input' must be a string or an array of strings, not token ids.",
    param: 'input',
  });
}

/** The batches to send, each at most GEMINI_EMBEDDINGS_BATCH requests long. */
export function convertToGeminiEmbeddings(
  request: EmbeddingsRequest,
  upstreamModel: string,
  warnings: string[],
): { requests: GeminiEmbedContentRequest[] }[] {
  for (const key of Object.keys(request)) {
    if (!HONOURED.has(key) && (request as Record<string, unknown>)[key] !== undefined) {
      warnings.push(`ignored parameter '${key}': Gemini embeddings do not take it`);
    }
  }
  const model = `models/${upstreamModel}`;
  const requests = embeddingInputs(request).map((text) => {
    const item: GeminiEmbedContentRequest = { model, content: { parts: [{ text }] } };
    if (request.dimensions !== undefined) item.outputDimensionality = request.dimensions;
    return item;
  });
  const batches: { requests: GeminiEmbedContentRequest[] }[] = [];
  for (let start = 0; start < requests.length; start += GEMINI_EMBEDDINGS_BATCH) {
    batches.push({ requests: requests.slice(start, start + GEMINI_EMBEDDINGS_BATCH) });
  }
  return batches;
}

/** A float vector as OpenAI's base64: the bytes of a little-endian float32 array. */
export function encodeFloat32Base64(values: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (let index = 0; index < values.length; index++) bytes.writeFloatLE(values[index]!, index * 4);
  return bytes.toString('base64');
}

export interface ConvertedEmbeddings {
  body: {
    object: 'list';
    data: { object: 'embedding'; index: number; embedding: number[] | string }[];
    model: string;
    usage: { prompt_tokens: number; total_tokens: number };
  };
  usage: Usage;
}

/**
 * Gemini's answers (one per batch, in order) → OpenAI's list. The usage is Gemini's count when it
 * reports one, else an estimate from the input length (about four characters a token), since
 * OpenAI clients expect the field.
 */
export function convertGeminiEmbeddings(
  answers: readonly GeminiBatchEmbedContentsResponse[],
  inputs: readonly string[],
  request: EmbeddingsRequest,
  model: string,
): ConvertedEmbeddings {
  const vectors: number[][] = [];
  let reportedTokens = 0;
  let reported = true;
  for (const answer of answers) {
    for (const embedding of answer.embeddings ?? []) {
      const values = embedding?.values;
      if (!Array.isArray(values)) {
        throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
          message: 'Gemini answered with an embedding that has no values.',
        });
      }
      vectors.push(values);
    }
    const count = answer.usageMetadata?.promptTokenCount;
    if (typeof count === 'number') reportedTokens += count;
    else reported = false;
  }
  if (vectors.length !== inputs.length) {
    throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
      message: `Gemini answered ${vectors.length} embeddings for ${inputs.length} inputs.`,
    });
  }
  const base64 = request.encoding_format === 'base64';
  const tokens = reported
    ? reportedTokens
    : inputs.reduce((sum, text) => sum + estimateTokens(text.length), 0);
  return {
    body: {
      object: 'list',
      data: vectors.map((values, index) => ({
        object: 'embedding',
        index,
        embedding: base64 ? encodeFloat32Base64(values) : values,
      })),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
    usage: {
      promptTokens: tokens,
      completionTokens: 0,
      totalTokens: tokens,
      reasoningTokens: 0,
      cachedTokens: 0,
    },
  };
}
