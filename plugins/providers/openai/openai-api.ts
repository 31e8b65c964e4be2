/**
 * The OpenAI wire: endpoints, headers, and the few response fields the gateway reads.
 * @see https://platform.openai.com/docs/api-reference
 */
export const OPENAI_CHAT_PATH = '/chat/completions';
export const OPENAI_EMBEDDINGS_PATH = '/embeddings';
export const OPENAI_TRANSCRIPTIONS_PATH = '/audio/transcriptions';
export const OPENAI_TRANSLATIONS_PATH = '/audio/translations';
export const OPENAI_SPEECH_PATH = '/audio/speech';
export const OPENAI_RESPONSES_PATH = '/responses';
export const OPENAI_MODELS_PATH = '/models';
export const OPENAI_MODERATIONS_PATH = '/moderations';
export const OPENAI_FILES_PATH = '/files';
export const OPENAI_IMAGES_PATH = '/images/generations';
export const OPENAI_IMAGE_EDITS_PATH = '/images/edits';
export const OPENAI_IMAGE_VARIATIONS_PATH = '/images/variations';
export const OPENAI_BATCHES_PATH = '/batches';
export const OPENAI_REALTIME_PATH = '/realtime';
export const OPENAI_REALTIME_CLIENT_SECRETS_PATH = '/realtime/client_secrets';
export const OPENAI_REALTIME_SESSIONS_PATH = '/realtime/sessions';

/**
 * The content type of each speech format, for an upstream that sends none (OpenAI sends its own,
 * which is passed through).
 * @see https://platform.openai.com/docs/guides/text-to-speech#supported-output-formats
 */
export const SPEECH_CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

export interface OpenAIErrorWire {
  error?: {
    message?: string | null;
    type?: string | null;
    param?: string | null;
    code?: string | number | null;
  } | null;
}

/**
 * GET /v1/models: the models a server serves. Compatible servers add fields of their own (vLLM's
 * `max_model_len`), read where known.
 * @see https://platform.openai.com/docs/api-reference/models/list
 */
export interface OpenAIModelListWire {
  data?:
    readonly ({ id?: unknown; created?: unknown; owned_by?: unknown } & Record<string, unknown>)[] | null;
}

export interface OpenAIInstanceHeaders {
  organization?: string;
  project?: string;
}

export function buildOpenAIHeaders(
  apiKey: string | undefined,
  extra: OpenAIInstanceHeaders,
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers['authorization'] = `Bearer ${apiKey}`;
  if (extra.organization) headers['openai-organization'] = extra.organization;
  if (extra.project) headers['openai-project'] = extra.project;
  return headers;
}

/** The index just past the JSON value (object, array or string) that starts at `start`, or -1. */
function endOfValue(text: string, start: number): number {
  const open = text.charCodeAt(start);
  if (open === 34) {
    for (let index = start + 1; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code === 92) index++;
      else if (code === 34) return index + 1;
    }
    return -1;
  }
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 92) index++;
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 123 || code === 91) depth++;
    else if (code === 125 || code === 93) {
      depth--;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}

/** The value of `"key": <value>` found by scanning from `from` (backwards when `last`), or undefined. */
function peekField(text: string, key: string, last: boolean): unknown {
  const field = `"${key}"`;
  let index = last ? text.lastIndexOf(field) : text.indexOf(field);
  while (index !== -1) {
    let cursor = index + field.length;
    while (text.charCodeAt(cursor) <= 32) cursor++;
    if (text.charCodeAt(cursor) === 58) {
      cursor++;
      while (text.charCodeAt(cursor) <= 32) cursor++;
      const end = endOfValue(text, cursor);
      if (end === -1) return undefined;
      return JSON.parse(text.slice(cursor, end)) as unknown;
    }
    index = last ? text.lastIndexOf(field, index - 1) : text.indexOf(field, index + 1);
  }
  return undefined;
}

/**
 * `model` and `usage` of an OpenAI answer that is passed through unchanged, read without parsing
 * the whole body: `model` comes first in OpenAI's answers and `usage` last, and a quote inside a
 * string value is always escaped, so a scan for `"model":` / `"usage":` finds the top-level fields.
 * The body must still look like one JSON object; anything unexpected falls back to a full parse.
 */
export function peekModelAndUsage(text: string): { model: unknown; usage: unknown } | null {
  let start = 0;
  while (text.charCodeAt(start) <= 32) start++;
  let end = text.length - 1;
  while (end > 0 && text.charCodeAt(end) <= 32) end--;
  if (text.charCodeAt(start) !== 123 || text.charCodeAt(end) !== 125) return null;
  try {
    return { model: peekField(text, 'model', false), usage: peekField(text, 'usage', true) };
  } catch {
    return null;
  }
}
