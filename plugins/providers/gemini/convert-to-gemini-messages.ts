/**
 * OpenAI chat messages → Gemini `contents` and `systemInstruction`.
 *
 * System and developer → `systemInstruction`; user → `user`; assistant → `model`, its `tool_calls` →
 * `functionCall` parts (with the thought signature the client was given back); tool results →
 * `functionResponse` parts named after the call they answer. Consecutive turns of one role become one
 * turn. Parts Gemini cannot take are a 400 naming the part, never a silent drop.
 * @see https://ai.google.dev/api/generate-content#request-body
 * @see https://ai.google.dev/gemini-api/docs/function-calling
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */
import mime from 'mime-types';
import type { ChatMessage } from '../../../schemas/chat.js';
import {
  type DataUri,
  invalidValue,
  parseDataUri,
  unsupportedContent,
} from '../../../src/provider-toolkit.js';
import type { GeminiContent, GeminiPart, GeminiRole } from './gemini-api.js';
import type { GeminiRequestContext } from './convert-to-gemini-request.js';

/** The audio formats OpenAI names in `input_audio.format`, as Gemini's MIME types. */
const AUDIO_FORMATS: Record<string, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mp3',
  aiff: 'audio/aiff',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
};

/** Media families Gemini reads inline or by file URI. */
function geminiTakesMimeType(mimeType: string): boolean {
  return (
    mimeType.startsWith('image/') ||
    mimeType.startsWith('audio/') ||
    mimeType.startsWith('video/') ||
    mimeType.startsWith('text/') ||
    mimeType === 'application/pdf'
  );
}

function textOf(content: string | { type: string; text?: string }[], param: string): GeminiPart[] {
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, index) => {
    if (part.type !== 'text' || typeof part.text !== 'string') {
      throw unsupportedContent(`${param}[${index}]`, `'${param}[${index}]' must be a text part.`);
    }
    return { text: part.text };
  });
}

/** A tool result → the object Gemini's `functionResponse.response` must be. */
function functionResponseOf(content: string | { type: string; text?: string }[]): Record<string, unknown> {
  const text = typeof content === 'string' ? content : content.map((part) => part.text ?? '').join('');
  // A JSON object is passed as the object it is; anything else is the output, as Gemini documents it.
  const first = text.trimStart().charCodeAt(0);
  if (first === 123 /* { */) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // Not JSON after all: the text is the output.
    }
  }
  return { output: text };
}

function fileDataFromUri(uri: string, prefixes: readonly string[]): GeminiPart | undefined {
  if (uri.startsWith('gs://') || prefixes.some((prefix) => uri.startsWith(prefix))) {
    const mimeType = mime.lookup(uri);
    return { fileData: mimeType ? { fileUri: uri, mimeType } : { fileUri: uri } };
  }
  return undefined;
}

async function convertUserPart(
  part: Record<string, unknown> & { type: string },
  param: string,
  context: GeminiRequestContext,
): Promise<GeminiPart> {
  switch (part.type) {
    case 'text':
      return { text: String(part['text']) };
    case 'image_url': {
      const url = String((part['image_url'] as { url: string }).url);
      const urlParam = `${param}.image_url.url`;
      if (url.startsWith('data:')) {
        const parsed = parseDataUri(url);
        if (!parsed) throw invalidValue(urlParam, `'${urlParam}' is not a valid data: URI.`);
        if (!geminiTakesMimeType(parsed.mimeType)) {
          throw unsupportedContent(
            urlParam,
            `'${urlParam}' has the type ${parsed.mimeType}, which Gemini does not take.`,
          );
        }
        return { inlineData: parsed };
      }
      const file = fileDataFromUri(url, context.fileUriPrefixes);
      if (file) return file;
      if (url.startsWith('http://') || url.startsWith('https://')) {
        const fetched = await context.fetchImage(url, urlParam);
        return { inlineData: { mimeType: fetched.mimeType, data: fetched.data.toString('base64') } };
      }
      throw unsupportedContent(
        urlParam,
        `'${urlParam}' must be an http(s) URL, a data: URI or a gs:// or Gemini file URI.`,
      );
    }
    case 'input_audio': {
      const audio = part['input_audio'] as { data: string; format: string };
      const mimeType = AUDIO_FORMATS[audio.format.toLowerCase()];
      if (!mimeType) {
        throw unsupportedContent(
          `${param}.input_audio.format`,
          `Gemini does not take audio in the format '${audio.format}' (${param}.input_audio.format); use one of ${Object.keys(AUDIO_FORMATS).join(', ')}.`,
        );
      }
      return { inlineData: { mimeType, data: audio.data } };
    }
    case 'file': {
      const file = part['file'] as { filename?: string; file_data?: string; file_id?: string };
      if (typeof file.file_data === 'string') {
        let inline: DataUri | undefined;
        if (file.file_data.startsWith('data:')) inline = parseDataUri(file.file_data);
        else {
          const mimeType = file.filename ? mime.lookup(file.filename) : false;
          if (!mimeType) {
            throw unsupportedContent(
              `${param}.file.file_data`,
              `The type of '${param}.file' cannot be told: send file_data as a data: URI, or a filename with an extension.`,
            );
          }
          inline = { mimeType, data: file.file_data };
        }
        if (!inline)
          throw invalidValue(
            `${param}.file.file_data`,
            `'${param}.file.file_data' is not a valid data: URI.`,
          );
        if (!geminiTakesMimeType(inline.mimeType)) {
          throw unsupportedContent(
            `${param}.file`,
            `'${param}.file' has the type ${inline.mimeType}, which Gemini does not take.`,
          );
        }
        return { inlineData: inline };
      }
      if (typeof file.file_id === 'string') {
        const uri = file.file_id.startsWith('files/')
          ? `${context.fileUriPrefixes[0]}${file.file_id.slice(6)}`
          : file.file_id;
        const fileData = fileDataFromUri(uri, context.fileUriPrefixes);
        if (fileData) return fileData;
        throw unsupportedContent(
          `${param}.file.file_id`,
          `'${param}.file.file_id' is not a Gemini file (files/<id> or its URI); Gemini cannot read files stored elsewhere.`,
        );
      }
      throw invalidValue(`${param}.file`, `'${param}.file' needs file_data or file_id.`);
    }
    default:
      throw unsupportedContent(param, `Gemini does not take '${part.type}' parts (${param}).`);
  }
}

interface ToolCallLike {
  id?: string;
  type: string;
  function?: { name: string; arguments: string };
  extra_content?: { google?: { thought_signature?: unknown } };
}

function functionCallPart(call: ToolCallLike, param: string): GeminiPart {
  if (call.type !== 'function' || !call.function) {
    throw unsupportedContent(param, `Gemini does not take '${call.type}' tool calls (${param}).`);
  }
  const argumentsText = call.function.arguments.trim();
  let args: unknown = {};
  if (argumentsText.length > 0) {
    try {
      args = JSON.parse(argumentsText);
    } catch {
      throw invalidValue(`${param}.function.arguments`, `'${param}.function.arguments' is not valid JSON.`);
    }
  }
  if (!args || typeof args !== 'object' || Array.isArray(args)) {
    throw invalidValue(`${param}.function.arguments`, `'${param}.function.arguments' must be a JSON object.`);
  }
  const part: GeminiPart = {
    functionCall: { name: call.function.name, args: args as Record<string, unknown> },
  };
  const signature = call.extra_content?.google?.thought_signature;
  if (typeof signature === 'string' && signature.length > 0) part.thoughtSignature = signature;
  return part;
}

export interface ConvertedMessages {
  systemParts: GeminiPart[];
  contents: GeminiContent[];
}

export async function convertMessages(
  messages: readonly ChatMessage[],
  context: GeminiRequestContext,
): Promise<ConvertedMessages> {
  const systemParts: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  // tool_call_id → function name, from the assistant turns seen so far.
  const callNames = new Map<string, string>();
  const push = (role: GeminiRole, parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.role === role) (last.parts as GeminiPart[]).push(...parts);
    else contents.push({ role, parts });
  };

  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        systemParts.push(...textOf(message.content, `${param}.content`));
        break;
      case 'user': {
        if (typeof message.content === 'string') {
          push('user', [{ text: message.content }]);
          break;
        }
        // Parts are converted together: several image URLs download in parallel.
        const parts = await Promise.all(
          message.content.map((part, partIndex) =>
            convertUserPart(
              part as Record<string, unknown> & { type: string },
              `${param}.content[${partIndex}]`,
              context,
            ),
          ),
        );
        push('user', parts);
        break;
      }
      case 'assistant': {
        if (message.audio) {
          throw unsupportedContent(
            `${param}.audio`,
            `Gemini cannot be given earlier audio answers (${param}.audio).`,
          );
        }
        const parts: GeminiPart[] = [];
        const content = message.content;
        if (typeof content === 'string') {
          if (content.length > 0) parts.push({ text: content });
        } else if (Array.isArray(content)) {
          for (const part of content) {
            // A refusal is what the assistant said: Gemini has no separate field for it.
            parts.push({ text: part.type === 'text' ? part.text : part.refusal });
          }
        } else if (typeof message.refusal === 'string' && message.refusal.length > 0) {
          parts.push({ text: message.refusal });
        }
        const calls = (message.tool_calls ?? []) as ToolCallLike[];
        for (let callIndex = 0; callIndex < calls.length; callIndex++) {
          const call = calls[callIndex]!;
          parts.push(functionCallPart(call, `${param}.tool_calls[${callIndex}]`));
          if (call.id && call.function) callNames.set(call.id, call.function.name);
        }
        if (message.function_call) {
          parts.push(
            functionCallPart({ type: 'function', function: message.function_call }, `${param}.function_call`),
          );
        }
        push('model', parts);
        break;
      }
      case 'tool': {
        const name = callNames.get(message.tool_call_id);
        if (!name) {
          throw invalidValue(
            `${param}.tool_call_id`,
            `'${param}.tool_call_id' (${JSON.stringify(message.tool_call_id)}) does not match a tool call of an earlier assistant message.`,
          );
        }
        push('user', [{ functionResponse: { name, response: functionResponseOf(message.content) } }]);
        break;
      }
      case 'function':
        push('user', [
          { functionResponse: { name: message.name, response: functionResponseOf(message.content ?? '') } },
        ]);
        break;
    }
  }
  if (contents.length === 0) {
    throw invalidValue(
      'messages',
      "Gemini needs at least one user, assistant or tool message besides the system messages ('messages').",
    );
  }
  return { systemParts, contents };
}
