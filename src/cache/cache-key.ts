/**
 * Cache keys: SHA-256 of a canonical form of everything that changes a model's answer, and of
 * nothing that does not. The canonical form is the request's JSON with its keys sorted at every level
 * (safe-stable-stringify, deterministic: the text fast-json-stable-stringify gave, which keys stored
 * before were made from, at about 60% of its cost), the model replaced by what it resolved to, and the fields that do
 * not change the answer left out: `stream` and `stream_options` (a stored answer is replayed in
 * either form), `user`, `metadata`, `store`, `safety_identifier` and `prompt_cache_key`/`prompt_cache_retention`
 * (OpenAI's own cache routing hint). Absent and null are the same. Header order never enters.
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import { createHash, hash, type Hash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import type { Target } from '../provider.js';

// Request bodies are parsed JSON: no cycles, BigInts or undefined values to meet.
const stringify = configure({ deterministic: true }) as (value: unknown) => string;

const IGNORED_FIELDS = new Set([
  'model',
  'stream',
  'stream_options',
  'user',
  'metadata',
  'store',
  'safety_identifier',
  'prompt_cache_key',
  'prompt_cache_retention',
]);

/**
 * What a model name resolved to: the deployment for a single one, or every deployment (sorted, so
 * the plan's order does not matter) when a name fans out. An alias and the name it stands for meet
 * on the same entries.
 */
export function resolvedModelOf(plan: readonly Target[]): string {
  if (plan.length === 1) return plan[0]!.deploymentId;
  return plan
    .map((target) => target.deploymentId)
    .sort()
    .join(',');
}

/** The fields of `body` that change the answer (a shallow copy: values are shared, not cloned). */
function answerFields(body: Record<string, unknown>, ignoredAlso?: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key in body) {
    if (IGNORED_FIELDS.has(key) || key === ignoredAlso) continue;
    const value = body[key];
    if (value !== undefined && value !== null) fields[key] = value;
  }
  return fields;
}

function baseHash(kind: string, resolvedModel: string, canonical: string): Hash {
  // Newlines cannot occur in the first two parts, so no two inputs share a hashed text.
  return createHash('sha256').update(kind).update('\n').update(resolvedModel).update('\n').update(canonical);
}

/** The digest identifying a chat completion answer (base64url, 43 characters). */
export function chatAnswerDigest(body: Record<string, unknown>, resolvedModel: string): string {
  // The same text baseHash would feed, hashed in one call (no Hash object per request).
  return hash('sha256', `chat\n${resolvedModel}\n${stringify(answerFields(body))}`, 'base64url');
}

/**
 * One digest per embeddings input item: the parameters are hashed once and each item continues a
 * copy of that state, so a batch costs one canonical pass and one hash update per item.
 */
export function embeddingItemDigests(body: Record<string, unknown>, resolvedModel: string): string[] {
  const base = baseHash('embeddings', resolvedModel, stringify(answerFields(body, 'input'))).update('\n');
  const items = embeddingInputItems(body['input']);
  const digests = new Array<string>(items.length);
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const hash = base.copy();
    if (typeof item === 'string') hash.update('s').update(item);
    else hash.update('t').update(JSON.stringify(item));
    digests[index] = hash.digest('base64url');
  }
  return digests;
}

/** The items of an embeddings `input`, in order (one text, texts, token ids, or arrays of them). */
export function embeddingInputItems(input: unknown): unknown[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && typeof input[0] === 'number') return [input];
  return input as unknown[];
}
