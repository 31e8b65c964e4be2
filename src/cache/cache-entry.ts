/**
 * How an answer is kept in the cache (in memory or in Redis, the same text): one JSON header line,
 * then the payload. The header says what the payload is and what answered, so a hit can set the
 * same gateway headers as the call it replays.
 *
 *   unary      the upstream's JSON body, byte for byte
 *   stream     {"chunks": [<chunk JSON text>, ...], "usage": <usage chunk JSON text> | null}
 *   embedding  the JSON text of one input's embedding (an array of floats or a base64 string)
 */
export type CacheEntryKind = 'unary' | 'stream' | 'embedding';

export interface CacheEntry {
  readonly kind: CacheEntryKind;
  /** The provider instance and upstream model that produced the answer. */
  readonly provider: string | null;
  readonly model: string | null;
  /** Whether the answer carries the provider's token usage. */
  readonly hasUsage: boolean;
  readonly payload: string;
}

export interface StoredStream {
  chunks: string[];
  usage: string | null;
}

const KINDS: Record<string, CacheEntryKind> = { u: 'unary', s: 'stream', e: 'embedding' };
const LETTERS: Record<CacheEntryKind, string> = { unary: 'u', stream: 's', embedding: 'e' };

export function encodeCacheEntry(entry: CacheEntry): string {
  const header = JSON.stringify([LETTERS[entry.kind], entry.provider, entry.model, entry.hasUsage ? 1 : 0]);
  return `${header}\n${entry.payload}`;
}

/** The entry in `text`, or undefined when it is not one this version wrote (treated as a miss). */
export function decodeCacheEntry(text: string): CacheEntry | undefined {
  const newline = text.indexOf('\n');
  if (newline < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, newline));
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || header.length !== 4) return undefined;
  const kind = KINDS[String(header[0])];
  if (!kind) return undefined;
  const [, provider, model, usage] = header as [unknown, unknown, unknown, unknown];
  return {
    kind,
    provider: typeof provider === 'string' ? provider : null,
    model: typeof model === 'string' ? model : null,
    hasUsage: usage === 1,
    payload: text.slice(newline + 1),
  };
}
