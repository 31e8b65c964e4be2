/**
 * An OpenAI chat completion request → a Gemini `generateContent` request.
 *
 * Messages: system and developer → `systemInstruction`; user → `user`; assistant → `model`, its
 * `tool_calls` → `functionCall` parts (with the thought signature the client was given back);
 * tool results → `functionResponse` parts named after the call they answer. Consecutive turns of
 * one role become one turn. Parts Gemini cannot take are a 400 naming the part, never a silent drop.
 * @see https://ai.google.dev/api/generate-content#request-body
 * @see https://ai.google.dev/gemini-api/docs/function-calling
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */
import mime from 'mime-types';
import type { ChatCompletionRequest, ChatMessage } from '../../../schemas/chat.js';
import { GatewayError } from '../../../src/errors.js';
import type { Target } from '../../../src/provider.js';
import type {
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiGenerateContentRequest,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiRole,
  GeminiThinkingConfig,
  GeminiToolConfig,
} from './gemini-api.js';
import { convertToGeminiSchema, isEmptyObjectSchema, takesJsonSchema } from './convert-to-gemini-schema.js';
import { mergeSafetySettings, type GeminiSettings, type SafetySetting } from './gemini-options.js';

/** The extension field of the request body that carries Gemini-only settings. */
export const GEMINI_EXTENSION_FIELD = 'google';

/** The OpenAI request parameters this converter honours (design rule 9: anything else is declared). */
export const GEMINI_CHAT_PARAMETERS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'n',
  'max_tokens',
  'max_completion_tokens',
  'presence_penalty',
  'frequency_penalty',
  'logprobs',
  'top_logprobs',
  'seed',
  'stop',
  'tools',
  'tool_choice',
  'functions',
  'function_call',
  'response_format',
  'reasoning_effort',
  GEMINI_EXTENSION_FIELD,
]);

export interface GeminiRequestContext {
  readonly settings: GeminiSettings;
  /** Notes for the client (`x-gateway-warnings`). */
  readonly warnings: string[];
  /** URI prefixes of Gemini's Files API, passed as `fileData` rather than downloaded. */
  readonly fileUriPrefixes: readonly string[];
  /** Downloads an http(s) image (the gateway's guarded fetcher; a stand-in in tests). */
  fetchImage(url: string, param: string): Promise<{ mimeType: string; data: Buffer }>;
}

// Gemini 2.5 and later think; 1.x and 2.0 do not.
const THINKING_MODEL = /^(models\/)?gemini-(2\.5|[3-9])/;
// Gemini 3 and later take a thinking level; 2.5 a token budget.
const LEVEL_MODEL = /^(models\/)?gemini-[3-9]/;

/** Whether the model thinks (takes `thinkingConfig`): by the catalog, else by its name. */
export function isThinkingModel(target: Target): boolean {
  if (target.model) return target.model.capabilities.includes('reasoning');
  return THINKING_MODEL.test(target.upstreamModel);
}

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

function unsupported(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_CONTENT', { message, param });
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_VALIDATION', { message, param, code: 'invalid_value' });
}

interface DataUri {
  mimeType: string;
  /** Base64. */
  data: string;
}

/**
 * `data:[<mime>][;params][;base64],<payload>` → MIME type and base64. String operations only: data
 * URIs can be megabytes long.
 * @see https://www.rfc-editor.org/rfc/rfc2397
 */
export function parseDataUri(uri: string): DataUri | undefined {
  if (!uri.startsWith('data:')) return undefined;
  const comma = uri.indexOf(',');
  if (comma === -1) return undefined;
  const header = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  const isBase64 = header.toLowerCase().endsWith(';base64');
  const mimeType = (header.split(';')[0] ?? '').trim().toLowerCase() || 'text/plain';
  let data: string;
  try {
    data = isBase64 ? payload : Buffer.from(decodeURIComponent(payload), 'utf8').toString('base64');
  } catch {
    return undefined;
  }
  return { mimeType, data };
}

function textOf(content: string | { type: string; text?: string }[], param: string): GeminiPart[] {
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part, index) => {
    if (part.type !== 'text' || typeof part.text !== 'string') {
      throw unsupported(`${param}[${index}]`, `'${param}[${index}]' must be a text part.`);
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
        if (!parsed) throw invalid(urlParam, `'${urlParam}' is not a valid data: URI.`);
        if (!geminiTakesMimeType(parsed.mimeType)) {
          throw unsupported(
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
      throw unsupported(
        urlParam,
        `'${urlParam}' must be an http(s) URL, a data: URI or a gs:// or Gemini file URI.`,
      );
    }
    case 'input_audio': {
      const audio = part['input_audio'] as { data: string; format: string };
      const mimeType = AUDIO_FORMATS[audio.format.toLowerCase()];
      if (!mimeType) {
        throw unsupported(
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
            throw unsupported(
              `${param}.file.file_data`,
              `The type of '${param}.file' cannot be told: send file_data as a data: URI, or a filename with an extension.`,
            );
          }
          inline = { mimeType, data: file.file_data };
        }
        if (!inline)
          throw invalid(`${param}.file.file_data`, `'${param}.file.file_data' is not a valid data: URI.`);
        if (!geminiTakesMimeType(inline.mimeType)) {
          throw unsupported(
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
        throw unsupported(
          `${param}.file.file_id`,
          `'${param}.file.file_id' is not a Gemini file (files/<id> or its URI); Gemini cannot read files stored elsewhere.`,
        );
      }
      throw invalid(`${param}.file`, `'${param}.file' needs file_data or file_id.`);
    }
    default:
      throw unsupported(param, `Gemini does not take '${part.type}' parts (${param}).`);
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
    throw unsupported(param, `Gemini does not take '${call.type}' tool calls (${param}).`);
  }
  const argumentsText = call.function.arguments.trim();
  let args: unknown = {};
  if (argumentsText.length > 0) {
    try {
      args = JSON.parse(argumentsText);
    } catch {
      throw invalid(`${param}.function.arguments`, `'${param}.function.arguments' is not valid JSON.`);
    }
  }
  if (!args || typeof args !== 'object' || Array.isArray(args)) {
    throw invalid(`${param}.function.arguments`, `'${param}.function.arguments' must be a JSON object.`);
  }
  const part: GeminiPart = {
    functionCall: { name: call.function.name, args: args as Record<string, unknown> },
  };
  const signature = call.extra_content?.google?.thought_signature;
  if (typeof signature === 'string' && signature.length > 0) part.thoughtSignature = signature;
  return part;
}

interface ConvertedMessages {
  systemParts: GeminiPart[];
  contents: GeminiContent[];
}

async function convertMessages(
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
          throw unsupported(
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
          throw invalid(
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
    throw invalid(
      'messages',
      "Gemini needs at least one user, assistant or tool message besides the system messages ('messages').",
    );
  }
  return { systemParts, contents };
}

interface FunctionLike {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean | null;
}

function convertFunction(
  definition: FunctionLike,
  param: string,
  jsonSchema: boolean,
  warnings: string[],
): GeminiFunctionDeclaration {
  const declaration: GeminiFunctionDeclaration = { name: definition.name };
  if (definition.description) declaration.description = definition.description;
  const parameters = definition.parameters;
  if (parameters) {
    if (jsonSchema) declaration.parametersJsonSchema = parameters;
    else {
      const converted = convertToGeminiSchema(parameters, `${param}.parameters`, warnings);
      // A function without parameters has no schema at all: an empty OBJECT is refused.
      if (!isEmptyObjectSchema(converted)) declaration.parameters = converted;
    }
  }
  if (definition.strict === true) {
    warnings.push(`'${param}.strict' is not enforced by Gemini: validate the arguments`);
  }
  return declaration;
}

interface ConvertedTools {
  declarations: GeminiFunctionDeclaration[];
  toolConfig: GeminiToolConfig | undefined;
}

function convertTools(
  request: ChatCompletionRequest,
  jsonSchema: boolean,
  warnings: string[],
): ConvertedTools {
  let declarations: GeminiFunctionDeclaration[] = [];
  (request.tools ?? []).forEach((tool, index) => {
    if (tool.type !== 'function') {
      throw unsupported(`tools[${index}]`, `Gemini does not take '${tool.type}' tools (tools[${index}]).`);
    }
    declarations.push(convertFunction(tool.function, `tools[${index}].function`, jsonSchema, warnings));
  });
  (request.functions ?? []).forEach((definition, index) => {
    declarations.push(convertFunction(definition, `functions[${index}]`, jsonSchema, warnings));
  });

  const choice = request.tool_choice ?? request.function_call;
  const param = request.tool_choice !== undefined ? 'tool_choice' : 'function_call';
  const names = new Set(declarations.map((declaration) => declaration.name));
  const named = (name: string): GeminiToolConfig => {
    if (!names.has(name))
      throw invalid(param, `'${param}' names the function '${name}', which is not among the tools.`);
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } };
  };
  let toolConfig: GeminiToolConfig | undefined;
  if (choice === undefined || declarations.length === 0) toolConfig = undefined;
  else if (choice === 'none') toolConfig = { functionCallingConfig: { mode: 'NONE' } };
  else if (choice === 'auto') toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
  else if (choice === 'required') toolConfig = { functionCallingConfig: { mode: 'ANY' } };
  else if (typeof choice === 'object' && choice !== null) {
    const object = choice as {
      type?: string;
      name?: string;
      function?: { name: string };
      allowed_tools?: {
        mode: 'auto' | 'required';
        tools: { type?: string; function?: { name?: string }; name?: string }[];
      };
    };
    if (object.type === 'function' && object.function) toolConfig = named(object.function.name);
    else if (object.type === 'allowed_tools' && object.allowed_tools) {
      const allowed = object.allowed_tools.tools
        .map((tool) => tool.function?.name ?? tool.name)
        .filter((name): name is string => typeof name === 'string');
      for (const name of allowed) if (!names.has(name)) named(name);
      if (object.allowed_tools.mode === 'required') {
        toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: allowed } };
      } else {
        // `auto` over a subset: the model sees only the allowed functions, and may answer in text.
        const allowedSet = new Set(allowed);
        declarations = declarations.filter((declaration) => allowedSet.has(declaration.name));
        toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
      }
    } else if (object.type === undefined && typeof object.name === 'string') toolConfig = named(object.name);
    else throw unsupported(param, `Gemini does not take a '${String(object.type)}' ${param}.`);
  }
  return { declarations, toolConfig };
}

/**
 * `reasoning_effort` → `thinkingConfig`: a thinking level on Gemini 3, a token budget on 2.5 (the
 * budgets Google's own OpenAI-compatible endpoint uses: 1K, 8K, 24K; `none` turns thinking off).
 * @see https://ai.google.dev/gemini-api/docs/openai#thinking
 * @see https://ai.google.dev/gemini-api/docs/thinking#set-budget
 */
function convertReasoningEffort(
  effort: string,
  upstreamModel: string,
  warnings: string[],
): GeminiThinkingConfig {
  if (LEVEL_MODEL.test(upstreamModel)) {
    switch (effort) {
      case 'none':
        warnings.push(
          "reasoning_effort 'none' sent as thinkingLevel 'minimal' (this model cannot stop thinking)",
        );
        return { thinkingLevel: 'minimal' };
      case 'minimal':
      case 'low':
      case 'medium':
      case 'high':
        return { thinkingLevel: effort };
      default:
        warnings.push(`reasoning_effort '${effort}' sent as thinkingLevel 'high', the highest Gemini takes`);
        return { thinkingLevel: 'high' };
    }
  }
  switch (effort) {
    case 'none':
      return { thinkingBudget: 0 };
    case 'minimal':
    case 'low':
      return { thinkingBudget: 1024 };
    case 'medium':
      return { thinkingBudget: 8192 };
    case 'high':
      return { thinkingBudget: 24576 };
    default:
      warnings.push(`reasoning_effort '${effort}' sent as a thinking budget of 24576 tokens, as 'high'`);
      return { thinkingBudget: 24576 };
  }
}

function convertGenerationConfig(
  request: ChatCompletionRequest,
  target: Target,
  jsonSchema: boolean,
  context: GeminiRequestContext,
): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (request.stop != null)
    config.stopSequences = typeof request.stop === 'string' ? [request.stop] : [...request.stop];
  if (request.n != null) config.candidateCount = request.n;
  if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;
  if (request.seed != null) config.seed = request.seed;
  if (request.logprobs === true) {
    config.responseLogprobs = true;
    if (request.top_logprobs != null) config.logprobs = request.top_logprobs;
  } else if (request.top_logprobs != null) {
    throw invalid('top_logprobs', "'top_logprobs' needs 'logprobs' set to true.");
  }

  const format = request.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  else if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const schema = (format as { json_schema: { schema?: Record<string, unknown> } }).json_schema.schema;
    if (schema) {
      if (jsonSchema) config.responseJsonSchema = schema;
      else
        config.responseSchema = convertToGeminiSchema(
          schema,
          'response_format.json_schema.schema',
          context.warnings,
        );
    }
  }

  const thinking = isThinkingModel(target);
  let thinkingConfig: GeminiThinkingConfig | undefined;
  if (request.reasoning_effort != null) {
    if (thinking)
      thinkingConfig = convertReasoningEffort(
        request.reasoning_effort,
        target.upstreamModel,
        context.warnings,
      );
    else context.warnings.push(`dropped 'reasoning_effort': ${target.upstreamModel} does not think`);
  }
  if (thinking && context.settings.thoughts === 'expose') {
    // Thought summaries, returned as reasoning_content; a model with thinking turned off has none.
    if (thinkingConfig?.thinkingBudget !== 0) thinkingConfig = { ...thinkingConfig, includeThoughts: true };
  }
  if (thinkingConfig) config.thinkingConfig = thinkingConfig;
  return Object.keys(config).length > 0 ? config : undefined;
}

/** The request's own safety settings (`google.safety_settings`), checked field by field. */
function requestSafetySettings(
  request: ChatCompletionRequest,
  settings: GeminiSettings,
): SafetySetting[] | undefined {
  const extension = (request as Record<string, unknown>)[GEMINI_EXTENSION_FIELD];
  if (extension === undefined || extension === null) return undefined;
  const field = GEMINI_EXTENSION_FIELD;
  if (typeof extension !== 'object' || Array.isArray(extension)) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `Invalid type for '${field}': expected object.`,
      param: field,
      code: 'invalid_type',
    });
  }
  for (const key of Object.keys(extension)) {
    if (key !== 'safety_settings') {
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `Unrecognized parameter: '${field}.${key}'. '${field}' takes only 'safety_settings'.`,
        param: `${field}.${key}`,
        code: 'unknown_parameter',
      });
    }
  }
  const list = (extension as { safety_settings?: unknown }).safety_settings;
  if (list === undefined || list === null) return undefined;
  const param = `${field}.safety_settings`;
  if (!settings.allowRequestSafetySettings) {
    throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
      message: `'${param}' is turned off on this gateway: safety settings are set by its configuration.`,
      param,
    });
  }
  if (!Array.isArray(list)) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `Invalid type for '${param}': expected array of {category, threshold}.`,
      param,
      code: 'invalid_type',
    });
  }
  return list.map((item: unknown, index) => {
    const entry = item as { category?: unknown; threshold?: unknown } | null;
    for (const key of ['category', 'threshold'] as const) {
      const value = entry && typeof entry === 'object' ? entry[key] : undefined;
      if (typeof value !== 'string' || value.length === 0) {
        throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
          message: `Missing or invalid '${param}[${index}].${key}': it must be a non-empty string.`,
          param: `${param}[${index}].${key}`,
          code: 'invalid_value',
        });
      }
    }
    return { category: String(entry!.category), threshold: String(entry!.threshold) };
  });
}

export async function convertToGeminiRequest(
  request: ChatCompletionRequest,
  target: Target,
  context: GeminiRequestContext,
): Promise<GeminiGenerateContentRequest> {
  const jsonSchema = takesJsonSchema(target.upstreamModel);
  // Everything that can refuse the request is checked before the messages, whose image URLs cost
  // downloads.
  const fromRequest = requestSafetySettings(request, context.settings);
  const { declarations, toolConfig } = convertTools(request, jsonSchema, context.warnings);
  const generationConfig = convertGenerationConfig(request, target, jsonSchema, context);
  const { systemParts, contents } = await convertMessages(request.messages, context);

  const body: GeminiGenerateContentRequest = { contents };
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };
  if (declarations.length > 0) body.tools = [{ functionDeclarations: declarations }];
  if (toolConfig) body.toolConfig = toolConfig;
  const settings = context.settings;
  const forModel =
    (target.model && settings.modelSafetySettings[target.model.id]) ??
    settings.modelSafetySettings[target.upstreamModel];
  const safetySettings = mergeSafetySettings(settings.safetySettings, forModel, fromRequest);
  if (safetySettings) body.safetySettings = safetySettings;
  if (generationConfig) body.generationConfig = generationConfig;
  return body;
}
