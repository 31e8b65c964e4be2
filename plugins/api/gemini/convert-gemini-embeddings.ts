/**
 * Gemini `embedContent` and `batchEmbedContents` → the internal embeddings request (OpenAI's), and
 * its answer back.
 * @see https://ai.google.dev/api/embeddings
 *
 * Each request's content becomes one input: its text parts, joined by a line break (Gemini embeds a
 * content as one text). `outputDimensionality` → `dimensions` (one value for the whole call: requests
 * of a batch that ask for different sizes are refused for a translated model). `taskType` and `title`
 * tune Gemini's own embedding models and have no counterpart: named in a warning, or refused.
 */
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import { invalidValue, unsupportedContent } from '../../../src/provider-toolkit.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import type { EmbedContentRequest } from './gemini-schemas.js';
import { createTranslationNotes, type TranslationNotes } from './translation-notes.js';

const READ_FIELDS = new Set(['model', 'content', 'outputDimensionality']);

export interface EmbeddingsTranslation {
  readonly request: EmbeddingsRequest;
  readonly notes: TranslationNotes;
}

/**
 * @param requests the embed requests, with the prefix that names each in messages (`''` for
 *   `embedContent`, `requests[3].` in a batch)
 */
export function convertGeminiEmbedRequests(
  requests: readonly { request: EmbedContentRequest; prefix: string }[],
  model: string,
): EmbeddingsTranslation {
  const notes = createTranslationNotes();
  const input: string[] = [];
  for (const { request, prefix } of requests) {
    for (const key of Object.keys(request)) {
      if (!READ_FIELDS.has(key)) notes.unsupported.push({ param: `${prefix}${key}` });
    }
    const texts: string[] = [];
    request.content.parts.forEach((part, index) => {
      if (typeof part.text === 'string') texts.push(part.text);
      else {
        const param = `${prefix}content.parts[${index}]`;
        notes.refusals.push(
          unsupportedContent(param, `'${param}' is not text; this model embeds text only.`),
        );
      }
    });
    input.push(texts.join('\n'));
  }
  const dimensions = requests[0]?.request.outputDimensionality;
  const differing = requests.find(({ request }) => request.outputDimensionality !== dimensions);
  if (differing) {
    notes.refusals.push(
      invalidValue(
        `${differing.prefix}outputDimensionality`,
        'The requests of this batch ask for different outputDimensionality; this model takes one size per call.',
      ),
    );
  }
  const request: EmbeddingsRequest = { model, input, encoding_format: 'float' };
  if (dimensions !== undefined) request.dimensions = dimensions;
  return { request, notes };
}

interface EmbeddingsListWire {
  data?: { index?: number; embedding?: unknown }[] | null;
}

/** The vectors of OpenAI's embeddings list, in input order, as Gemini's `ContentEmbedding`s. */
export function convertToGeminiEmbeddings(body: string | Buffer, expected: number): { values: number[] }[] {
  let parsed: EmbeddingsListWire;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as EmbeddingsListWire;
  } catch {
    parsed = {};
  }
  const vectors = new Array<{ values: number[] } | undefined>(expected);
  for (const [position, item] of (parsed.data ?? []).entries()) {
    const index = item?.index ?? position;
    if (Array.isArray(item?.embedding) && index >= 0 && index < expected) {
      vectors[index] = { values: item.embedding as number[] };
    }
  }
  if (vectors.some((vector) => vector === undefined) || (parsed.data ?? []).length !== expected) {
    throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
      message: `The provider answered an embeddings request of ${expected} inputs with a list the gateway could not read.`,
    });
  }
  return vectors as { values: number[] }[];
}
