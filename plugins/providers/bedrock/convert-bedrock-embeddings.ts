/**
 * The InvokeModel answers of a Bedrock embeddings model (in the order of the bodies sent) → OpenAI's
 * embeddings list. Titan answers `embedding` and counts the input (`inputTextTokenCount`); Cohere
 * answers `embeddings` (a list, or `{float: [...]}` when the types were asked for) and Bedrock
 * counts its input in the `x-amzn-bedrock-input-token-count` header. Without a count the usage is
 * estimated from the input's length, since OpenAI clients expect the field.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_ResponseSyntax
 */
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import { estimateTokens } from '../../../src/tokens.js';
import { badResponse } from '../../../src/provider-toolkit.js';
import { encodeFloat32Base64, type ConvertedEmbeddings } from '../gemini/convert-gemini-embeddings.js';
import type { CohereEmbeddingResponse, TitanEmbeddingResponse } from './bedrock-api.js';
import type { EmbeddingFamily } from './bedrock-models.js';
import { COHERE_BATCH } from './convert-to-bedrock-embeddings.js';

export interface EmbeddingAnswer {
  readonly body: TitanEmbeddingResponse & CohereEmbeddingResponse;
  /** The header's count of input tokens, when Bedrock sent one. */
  readonly inputTokens: number | undefined;
}

function vectorsOf(answer: EmbeddingAnswer, family: EmbeddingFamily, provider: string): number[][] {
  if (family === 'titan') {
    const vector = answer.body.embedding;
    if (!Array.isArray(vector))
      throw badResponse(provider, 'answered an embeddings call without an embedding');
    return [vector];
  }
  const embeddings = answer.body.embeddings;
  const vectors = Array.isArray(embeddings) ? embeddings : embeddings?.float;
  if (!Array.isArray(vectors) || vectors.some((vector) => !Array.isArray(vector))) {
    throw badResponse(provider, 'answered an embeddings call without float embeddings');
  }
  return vectors;
}

export function convertBedrockEmbeddings(
  answers: readonly EmbeddingAnswer[],
  family: EmbeddingFamily,
  inputs: readonly string[],
  request: EmbeddingsRequest,
  model: string,
  provider: string,
): ConvertedEmbeddings {
  const vectors = answers.flatMap((answer) => vectorsOf(answer, family, provider));
  if (vectors.length !== inputs.length) {
    throw badResponse(provider, `answered ${vectors.length} embeddings for ${inputs.length} inputs`);
  }
  let tokens = 0;
  answers.forEach((answer, index) => {
    const counted = answer.body.inputTextTokenCount ?? answer.inputTokens;
    if (typeof counted === 'number') tokens += counted;
    else {
      const texts =
        family === 'titan'
          ? [inputs[index]!]
          : inputs.slice(index * COHERE_BATCH, (index + 1) * COHERE_BATCH);
      tokens += texts.reduce((sum, text) => sum + estimateTokens(text.length), 0);
    }
  });
  const base64 = request.encoding_format === 'base64';
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
