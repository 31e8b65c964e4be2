/**
 * Embedding answers a test controls: a fake OpenAI embeddings route whose vector for a text is the
 * one the test set for it, else a fixed pseudo-random direction of its own (far from every other
 * text in the test's dimensions), in OpenAI's wire form with usage.
 */
import { fakeVector } from './fake-openai.js';
import type { FakeUpstream, ScriptedResponse } from './fake-upstream.js';

export const EMBEDDING_DIMENSIONS = 32;

export class ControlledEmbeddings {
  readonly #vectors = new Map<string, number[]>();
  /** The texts embedded, in order. */
  readonly texts: string[] = [];

  /** The vector answered for `text`: `components` first, zeros after. */
  set(text: string, components: number[]): this {
    const vector = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
    components.forEach((value, index) => (vector[index] = value));
    this.#vectors.set(text, vector);
    return this;
  }

  vectorFor(text: string): number[] {
    return this.#vectors.get(text) ?? fakeVector(text, EMBEDDING_DIMENSIONS);
  }

  answer(input: unknown): ScriptedResponse {
    const inputs = typeof input === 'string' ? [input] : (input as string[]);
    this.texts.push(...inputs);
    const tokens = inputs.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      json: {
        object: 'list',
        data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: this.vectorFor(text) })),
        model: 'text-embedding-3-small',
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      },
    };
  }

  /** Serves `POST /v1/embeddings` of `upstream` from these vectors. */
  serve(upstream: FakeUpstream): this {
    upstream.route('POST', '/v1/embeddings', (request) =>
      this.answer((request.json as { input?: unknown } | undefined)?.input),
    );
    return this;
  }
}
