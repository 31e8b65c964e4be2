/**
 * Gemini `contents` and `systemInstruction` → chat completion messages.
 * @see https://ai.google.dev/api/caching#Content
 * @see https://ai.google.dev/gemini-api/docs/function-calling
 *
 * - `systemInstruction` → a system message (its text parts);
 * - a `user` turn → a user message of text, image (`image_url`), audio (`input_audio`) and file
 *   parts; its `functionResponse` parts → tool messages, before it;
 * - a `function` turn (how @google/generative-ai sends function results) → tool messages;
 * - a `model` turn → an assistant message: its text (thought summaries left out: they are for
 *   reading), its `functionCall` parts as `tool_calls`, and the extension fields the gateway carried
 *   in its thought signatures (carried-extensions.ts);
 * - consecutive turns of one side (a streamed answer comes back as one turn per event) are one
 *   message.
 * A `functionResponse` answers the call of the model turns before it with its `id`, else the first
 * unanswered one with its `name`; calls without an id get `call_<turn>_<part>`, the same on every
 * request of a conversation.
 */
import type { ChatMessage } from '../../../schemas/chat.js';
import { unsupportedContent } from '../../../src/provider-toolkit.js';
import mime from 'mime-types';
import { decodeCarriedExtensions } from './carried-extensions.js';
import type { GeminiContent, GeminiPart } from './gemini-schemas.js';
import type { TranslationNotes } from './translation-notes.js';

type Message = Record<string, unknown>;
type ContentPart = Record<string, unknown>;

/** The part fields the translation reads; any other is named in a warning (or refused). */
const READ_FIELDS = new Set([
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'thought',
  'thoughtSignature',
]);

/** Audio types chat completions' `input_audio` names by format. */
const AUDIO_FORMATS: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mp3': 'mp3',
  'audio/mpeg': 'mp3',
  'audio/aiff': 'aiff',
  'audio/x-aiff': 'aiff',
  'audio/aac': 'aac',
  'audio/ogg': 'ogg',
  'audio/flac': 'flac',
};

const HTTP_URL = /^https?:\/\//i;

interface PendingCall {
  readonly id: string;
  readonly name: string;
  answered: boolean;
}

function unreadFields(part: GeminiPart, param: string, notes: TranslationNotes): void {
  for (const key of Object.keys(part)) {
    if (!READ_FIELDS.has(key)) notes.unsupported.push({ param: `${param}.${key}` });
  }
}

/** `inlineData` → the chat part of its kind. */
function convertInlineData(blob: { mimeType: string; data: string }, index: number): ContentPart {
  const mimeType = blob.mimeType.toLowerCase();
  const uri = `data:${mimeType};base64,${blob.data}`;
  if (mimeType.startsWith('image/')) return { type: 'image_url', image_url: { url: uri } };
  const format = AUDIO_FORMATS[mimeType];
  if (format) return { type: 'input_audio', input_audio: { data: blob.data, format } };
  const extension = mime.extension(mimeType) || 'bin';
  return { type: 'file', file: { filename: `file-${index}.${extension}`, file_data: uri } };
}

/** `fileData`: an http(s) image is an `image_url`; other files exist only for Gemini deployments. */
function convertFileData(
  file: { fileUri: string; mimeType?: string },
  param: string,
  notes: TranslationNotes,
): ContentPart | undefined {
  const mimeType = (file.mimeType || mime.lookup(file.fileUri.split(/[?#]/)[0] ?? '') || '').toLowerCase();
  if (HTTP_URL.test(file.fileUri) && mimeType.startsWith('image/')) {
    return { type: 'image_url', image_url: { url: file.fileUri } };
  }
  notes.refusals.push(
    unsupportedContent(
      param,
      `'${param}' (${file.fileUri}) can be read by Gemini models only; for this model send the file ` +
        'inline (inlineData), or an image as an http(s) URL.',
    ),
  );
  return undefined;
}

/** A tool result as chat completions carry it: a lone `output` text as is, anything else as JSON. */
function toolResultText(response: Record<string, unknown>): string {
  const keys = Object.keys(response);
  if (keys.length === 1 && typeof response['output'] === 'string') return response['output'];
  return JSON.stringify(response);
}

function systemMessage(
  instruction: { parts: GeminiPart[] } | undefined,
  notes: TranslationNotes,
): Message | undefined {
  if (!instruction) return undefined;
  const texts: string[] = [];
  instruction.parts.forEach((part, index) => {
    const param = `systemInstruction.parts[${index}]`;
    if (typeof part.text === 'string') texts.push(part.text);
    for (const key of Object.keys(part))
      if (key !== 'text') notes.unsupported.push({ param: `${param}.${key}` });
  });
  if (texts.length === 0) return undefined;
  return {
    role: 'system',
    content: texts.length === 1 ? texts[0] : texts.map((text) => ({ type: 'text', text })),
  };
}

export function convertGeminiContents(
  contents: readonly GeminiContent[],
  systemInstruction: { parts: GeminiPart[] } | undefined,
  notes: TranslationNotes,
): ChatMessage[] {
  const messages: Message[] = [];
  const system = systemMessage(systemInstruction, notes);
  if (system) messages.push(system);

  let pending: PendingCall[] = [];
  let assistant: { text: string[]; calls: Message[]; extra: unknown; hasText: boolean } | undefined;
  let user: { parts: ContentPart[]; results: Message[] } | undefined;

  const flushAssistant = () => {
    if (!assistant) return;
    const { text, calls, extra, hasText } = assistant;
    assistant = undefined;
    if (!hasText && calls.length === 0) return;
    const message: Message = { role: 'assistant', content: hasText ? text.join('') : null };
    if (calls.length > 0) message['tool_calls'] = calls;
    if (extra !== undefined) message['extra_content'] = extra;
    messages.push(message);
  };
  const flushUser = () => {
    if (!user) return;
    messages.push(...user.results);
    if (user.parts.length > 0) messages.push({ role: 'user', content: user.parts });
    user = undefined;
  };

  contents.forEach((content, turn) => {
    const fromModel = content.role === 'model';
    if (fromModel) {
      flushUser();
      if (!assistant) {
        assistant = { text: [], calls: [], extra: undefined, hasText: false };
        pending = [];
      }
    } else {
      flushAssistant();
      user ??= { parts: [], results: [] };
    }
    content.parts.forEach((part, index) => {
      const param = `contents[${turn}].parts[${index}]`;
      unreadFields(part, param, notes);
      if (assistant) {
        const carried =
          typeof part.thoughtSignature === 'string'
            ? decodeCarriedExtensions(part.thoughtSignature)
            : undefined;
        if (carried?.message !== undefined && assistant.extra === undefined)
          assistant.extra = carried.message;
        if (typeof part.text === 'string' && part.thought !== true) {
          assistant.text.push(part.text);
          assistant.hasText = true;
        }
        if (part.functionCall) {
          const id = part.functionCall.id || `call_${turn}_${index}`;
          const call: Message = {
            id,
            type: 'function',
            function: {
              name: part.functionCall.name,
              arguments: JSON.stringify(part.functionCall.args ?? {}),
            },
          };
          if (carried?.call !== undefined) call['extra_content'] = carried.call;
          assistant.calls.push(call);
          pending.push({ id, name: part.functionCall.name, answered: false });
        }
        if (part.inlineData) notes.unsupported.push({ param: `${param}.inlineData` });
        if (part.fileData) notes.unsupported.push({ param: `${param}.fileData` });
        if (part.functionResponse) notes.unsupported.push({ param: `${param}.functionResponse` });
        return;
      }
      const turnOfUser = user!;
      if (typeof part.text === 'string') turnOfUser.parts.push({ type: 'text', text: part.text });
      if (part.inlineData) turnOfUser.parts.push(convertInlineData(part.inlineData, turnOfUser.parts.length));
      if (part.fileData) {
        const converted = convertFileData(part.fileData, `${param}.fileData`, notes);
        if (converted) turnOfUser.parts.push(converted);
      }
      if (part.functionCall) notes.unsupported.push({ param: `${param}.functionCall` });
      if (part.functionResponse) {
        const result = part.functionResponse;
        const call =
          (result.id ? pending.find((candidate) => candidate.id === result.id) : undefined) ??
          pending.find((candidate) => !candidate.answered && candidate.name === result.name);
        if (!call) {
          notes.refusals.push(
            unsupportedContent(
              `${param}.functionResponse`,
              `'${param}.functionResponse' (${result.name}) answers no functionCall of the model turn before it.`,
            ),
          );
          return;
        }
        call.answered = true;
        turnOfUser.results.push({
          role: 'tool',
          tool_call_id: call.id,
          content: toolResultText(result.response),
        });
      }
    });
  });
  flushAssistant();
  flushUser();
  return messages as ChatMessage[];
}
