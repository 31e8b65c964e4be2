/**
 * A deterministic local embedding for the semantic cache's benchmark, since no real embedding model
 * is reachable from where the benchmark runs: words and character trigrams, hashed (FNV-1a) into a
 * fixed number of dimensions with a hashed sign, weighted (a word counts twice a trigram), then
 * normalised. It knows no meaning: texts that share words and spellings are close, paraphrases
 * with other words are far, and "the capital of France" is very close to "the capital of Germany".
 * Its figures show how the threshold trades hits for wrong hits; a real model's must be measured
 * with that model (`npm run bench:semantic -- --gateway URL --key KEY --model NAME`).
 */
export const HASHED_DIMENSIONS = 256;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function hashedEmbedding(text: string, dimensions = HASHED_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number) => {
    const hash = fnv1a(feature);
    vector[hash % dimensions]! += hash & 0x80000000 ? -weight : weight;
  };
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    add(`w:${word}`, 1);
    const padded = `^${word}$`;
    for (let index = 0; index + 3 <= padded.length; index++) add(`t:${padded.slice(index, index + 3)}`, 0.5);
  }
  let length = 0;
  for (const value of vector) length += value * value;
  length = Math.sqrt(length) || 1;
  return vector.map((value) => value / length);
}
