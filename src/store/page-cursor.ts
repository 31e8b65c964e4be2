/**
 * Keyset pagination: a page ends at a row, and the next page starts after that row's sort key
 * (its time and id), so pages stay right while rows are added, and page 1,000 costs what page 1
 * does. The cursor is that sort key, opaque to clients (base64url of a small JSON array).
 * @see https://use-the-index-luke.com/no-offset
 */
import { StoreError } from './store.js';

export interface PageCursor {
  at: Date;
  id: string;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function encodePageCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.at.toISOString(), cursor.id])).toString('base64url');
}

export function decodePageCursor(text: string): PageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2) {
    const [at, id] = parsed as unknown[];
    if (typeof at === 'string' && typeof id === 'string') {
      const time = new Date(at);
      if (!Number.isNaN(time.getTime())) return { at: time, id };
    }
  }
  throw new StoreError('invalid', 'The cursor is not one this API returned.');
}

/** The page size asked for, checked: 1 to MAX_PAGE_SIZE. */
export function pageSizeOf(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new StoreError('invalid', `The page size must be an integer from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return limit;
}
