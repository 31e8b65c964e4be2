/**
 * Embedding vectors as the semantic cache keeps them: normalised to unit length once, when they
 * arrive, so a cosine similarity is one dot product; stored as 32-bit floats (what embedding models
 * give; half the bytes of numbers in JSON), in Redis as base64 text.
 */

/** The vector scaled to length 1, as 32-bit floats; undefined for a zero or non-finite vector. */
export function normalizeVector(values: ArrayLike<number>): Float32Array | undefined {
  let squares = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    squares += value * value;
  }
  const length = Math.sqrt(squares);
  if (!Number.isFinite(length) || length === 0) return undefined;
  const unit = new Float32Array(values.length);
  for (let index = 0; index < values.length; index++) unit[index] = values[index]! / length;
  return unit;
}

/** The cosine similarity of two unit vectors; -1 when their dimensions differ (never a match). */
export function cosineOfUnitVectors(left: Float32Array, right: Float32Array): number {
  if (left.length !== right.length) return -1;
  let sum = 0;
  for (let index = 0; index < left.length; index++) sum += left[index]! * right[index]!;
  return sum;
}

export function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

export function decodeVector(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  // A copy: Buffer.from may hand back a slice of a shared pool, not aligned for a Float32Array.
  const vector = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(vector.buffer).set(bytes.subarray(0, vector.byteLength));
  return vector;
}
