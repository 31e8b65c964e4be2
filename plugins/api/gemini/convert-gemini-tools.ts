/**
 * Gemini `tools` and `toolConfig` → chat completion `tools` and `tool_choice`.
 * @see https://ai.google.dev/api/caching#Tool
 * @see https://ai.google.dev/api/caching#FunctionCallingConfig
 *
 * Function declarations become function tools, their parameters as JSON Schema (`parametersJsonSchema`
 * as written, or `parameters` rewritten from Gemini's Schema). Gemini's own tools (Google Search,
 * code execution, URL context, …) have no counterpart and are named in a warning, or refused.
 * Calling modes: `AUTO` → `auto`, `ANY` → `required` (one allowed name: that function; several:
 * `allowed_tools` with `required`), `NONE` → `none`; `AUTO` with allowed names → `allowed_tools` with
 * `auto`; `VALIDATED` (calls checked against the schema) is served as `AUTO`, with a warning.
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import { convertGeminiSchema } from './convert-gemini-schema.js';
import type { GenerateContentRequest } from './gemini-schemas.js';
import type { TranslationNotes } from './translation-notes.js';

const DECLARATION_FIELDS = new Set(['name', 'description', 'parameters', 'parametersJsonSchema']);

type ToolChoice = ChatCompletionRequest['tool_choice'];

export function convertGeminiTools(
  request: GenerateContentRequest,
  notes: TranslationNotes,
): Pick<ChatCompletionRequest, 'tools' | 'tool_choice'> {
  const tools: Record<string, unknown>[] = [];
  (request.tools ?? []).forEach((tool, index) => {
    for (const key of Object.keys(tool)) {
      if (key !== 'functionDeclarations') notes.unsupported.push({ param: `tools[${index}].${key}` });
    }
    (tool.functionDeclarations ?? []).forEach((declaration, position) => {
      const param = `tools[${index}].functionDeclarations[${position}]`;
      for (const key of Object.keys(declaration)) {
        if (!DECLARATION_FIELDS.has(key)) notes.unsupported.push({ param: `${param}.${key}` });
      }
      const fn: Record<string, unknown> = { name: declaration.name };
      if (declaration.description !== undefined) fn['description'] = declaration.description;
      if (declaration.parametersJsonSchema !== undefined) fn['parameters'] = declaration.parametersJsonSchema;
      else if (declaration.parameters !== undefined)
        fn['parameters'] = convertGeminiSchema(declaration.parameters);
      tools.push({ type: 'function', function: fn });
    });
  });

  const converted: Pick<ChatCompletionRequest, 'tools' | 'tool_choice'> = {};
  if (tools.length > 0) converted.tools = tools as ChatCompletionRequest['tools'];
  const config = request.toolConfig;
  if (!config) return converted;
  for (const key of Object.keys(config)) {
    if (key !== 'functionCallingConfig') notes.unsupported.push({ param: `toolConfig.${key}` });
  }
  const calling = config.functionCallingConfig;
  if (!calling) return converted;
  const named = (calling.allowedFunctionNames ?? []).map((name) => ({
    type: 'function',
    function: { name },
  }));
  if (calling.mode === 'VALIDATED') {
    // Calls are then made as the model likes, without Gemini's check against the schema.
    notes.unsupported.push({
      param: 'toolConfig.functionCallingConfig.mode',
      label: 'toolConfig.functionCallingConfig.mode VALIDATED (served as AUTO)',
    });
  }
  let choice: ToolChoice;
  if (calling.mode === 'NONE') choice = 'none';
  else if (calling.mode === 'ANY') {
    if (named.length === 1) choice = named[0] as ToolChoice;
    else if (named.length > 1)
      choice = { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: named } };
    else choice = 'required';
  } else if (named.length > 0) {
    choice = { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: named } };
  } else if (calling.mode === 'AUTO' || calling.mode === 'VALIDATED') choice = 'auto';
  if (choice !== undefined) converted.tool_choice = choice;
  return converted;
}
