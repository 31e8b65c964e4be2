/**
 * How an answer is kept in the cache (in memory or in Redis, the same text): one JSON header line,
 * then the payload. The header says what the payload is and what answered, so a hit can set the
 * same gateway headers as the call it replays.
 *
 *   unary      the upstream's JSON body, byte for byte
 *   stream     the usage chunk's JSON text (empty without one), then each chunk's, one a line, as
 *              relayed (header letter `t`); a stream with a line end inside a chunk, and entries of
 *              earlier versions (letter `s`): {"chunks": [<chunk JSON text>, ...], "usage": <text> | null}
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
  /** How a stream's payload is laid out (see above); absent for the other kinds. */
  readonly streamLayout?: 'lines' | 'json';
}

export interface StoredStream {
  chunks: string[];
  usage: string | null;
}

const KINDS: Record<string, CacheEntryKind> = { u: 'unary', s: 'stream', t: 'stream', e: 'embedding' };
const LETTERS: Record<CacheEntryKind, string> = { unary: 'u', stream: 's', embedding: 'e' };

export function encodeCacheEntry(entry: CacheEntry): string {
  const letter = entry.streamLayout === 'lines' ? 't' : LETTERS[entry.kind];
  const header = JSON.stringify([letter, entry.provider, entry.model, entry.hasUsage ? 1 : 0]);
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
  const [letter, provider, model, usage] = header as [unknown, unknown, unknown, unknown];
  return {
    kind,
    provider: typeof provider === 'string' ? provider : null,
    model: typeof model === 'string' ? model : null,
    hasUsage: usage === 1,
    payload: text.slice(newline + 1),
    ...(kind === 'stream' ? { streamLayout: letter === 't' ? 'lines' : 'json' } : {}),
  };
}

/**
 * A stream's chunks as the payload of its entry: their texts one a line when none holds a line end
 * (joined as they are, with no escaping), else as JSON.
 */
export function encodeStoredStream(stored: StoredStream): {
  payload: string;
  streamLayout: 'lines' | 'json';
} {
  const usage = stored.usage ?? '';
  let lines = usage.indexOf('\n') === -1;
  for (let index = 0; lines && index < stored.chunks.length; index++) {
    if (stored.chunks[index]!.indexOf('\n') !== -1) lines = false;
  }
  if (!lines) return { payload: JSON.stringify(stored), streamLayout: 'json' };
  const payload = stored.chunks.length === 0 ? usage : `${usage}\n${stored.chunks.join('\n')}`;
  return { payload, streamLayout: 'lines' };
}

/** The chunks of a stream entry, or undefined when its payload cannot be read (then it is a miss). */
export function decodeStoredStream(entry: CacheEntry): StoredStream | undefined {
  if (entry.streamLayout === 'lines') {
    const lines = entry.payload.split('\n');
    const usage = lines[0]!;
    return { chunks: lines.slice(1), usage: usage === '' ? null : usage };
  }
  try {
    const stored = JSON.parse(entry.payload) as Partial<StoredStream>;
    return Array.isArray(stored.chunks) ? { chunks: stored.chunks, usage: stored.usage ?? null } : undefined;
  } catch {
    return undefined;
  }
}
