/**
 * An OpenAI embeddings request → the InvokeModel bodies of a Bedrock embeddings model: Amazon Titan
 * takes one text a call (`inputText`, `dimensions`), Cohere Embed up to 96 (`texts`, `input_type`,
 * `output_dimension` on the models that have it).
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html
 */
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import { unsupportedContent } from '../../../src/provider-toolkit.js';
import type { CohereEmbeddingRequest, TitanEmbeddingRequest } from './bedrock-api.js';
import type { EmbeddingFamily } from './bedrock-models.js';

/** Texts Cohere Embed takes in one call. */
export const COHERE_BATCH = 96;

/** The embeddings request fields this conversion honours; any other is reported as ignored. */
const HONOURED = new Set(['model', 'input', 'dimensions', 'encoding_format']);

/** The texts to embed, in order. Token ids are refused: Bedrock's embedding models take text. */
export function bedrockEmbeddingInputs(request: EmbeddingsRequest): string[] {
  const input = request.input;
  if (typeof input === 'string') return [input];
  if (input.every((item) => typeof item === 'string')) return input as string[];
  throw unsupportedContent(
    'input',
    "Bedrock's embedding models take text only: 'input' must be a string or an array of strings, not token ids.",
  );
}

export function convertToBedrockEmbeddings(
  request: EmbeddingsRequest,
  family: EmbeddingFamily,
  warnings: string[],
): (TitanEmbeddingRequest | CohereEmbeddingRequest)[] {
  for (const key of Object.keys(request)) {
    if (!HONOURED.has(key) && (request as Record<string, unknown>)[key] !== undefined) {
      warnings.push(`ignored parameter '${key}': Bedrock's embedding models do not take it`);
    }
  }
  const inputs = bedrockEmbeddingInputs(request);
  if (family === 'titan') {
    return inputs.map((inputText) =>
      request.dimensions === undefined ? { inputText } : { inputText, dimensions: request.dimensions },
    );
  }
  const bodies: CohereEmbeddingRequest[] = [];
  for (let start = 0; start < inputs.length; start += COHERE_BATCH) {
    // Documents are what an OpenAI client embeds unless it says otherwise (and it cannot say).
    const body: CohereEmbeddingRequest = {
      texts: inputs.slice(start, start + COHERE_BATCH),
      input_type: 'search_document',
      embedding_types: ['float'],
    };
    if (request.dimensions !== undefined) body.output_dimension = request.dimensions;
    bodies.push(body);
  }
  return bodies;
}
