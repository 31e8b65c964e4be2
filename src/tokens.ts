/**
 * Token counts for limits. A BPE token is at least one UTF-8 byte, so the byte length is an upper
 * bound that settles most inputs for free; the exact tokenizer (js-tiktoken, loaded on first use) is
 * run only when that bound is over the limit and the model's tokenizer is known.
 */
import type { Tiktoken } from 'js-tiktoken/lite';

const encoders = new Map<string, Promise<Tiktoken | undefined>>();

async function loadEncoder(name: string): Promise<Tiktoken | undefined> {
  const { Tiktoken } = await import('js-tiktoken/lite');
  switch (name) {
    case 'cl100k_base':
      return new Tiktoken((await import('js-tiktoken/ranks/cl100k_base')).default);
    case 'o200k_base':
      return new Tiktoken((await import('js-tiktoken/ranks/o200k_base')).default);
    default:
      return undefined;
  }
}

function encoder(name: string): Promise<Tiktoken | undefined> {
  let loaded = encoders.get(name);
  if (!loaded) {
    loaded = loadEncoder(name);
    encoders.set(name, loaded);
  }
  return loaded;
}

/**
 * Whether `text` is longer than `limit` tokens: `false` or `true` when known, `undefined` when the
 * tokenizer is unknown and the bytes alone cannot tell.
 */
export async function exceedsTokenLimit(
  text: string,
  limit: number,
  tokenizer: string | undefined,
): Promise<boolean | undefined> {
  if (Buffer.byteLength(text, 'utf8') <= limit) return false;
  if (!tokenizer) return undefined;
  const enc = await encoder(tokenizer);
  if (!enc) return undefined;
  return enc.encode(text).length > limit;
}

/**
 * The number of tokens in `text` by a tokenizer the gateway has (`cl100k_base`, `o200k_base`), or
 * undefined when it has not that one.
 */
export async function countTokens(text: string, tokenizer: string): Promise<number | undefined> {
  const enc = await encoder(tokenizer);
  // Special-token text (`<|endoftext|>`) in a prompt is counted as the plain text it is, not refused.
  return enc?.encode(text, [], []).length;
}

/** A rough count for routing decisions (about four characters a token in English). */
export function estimateTokens(characters: number): number {
  return Math.ceil(characters / 4);
}
