/**
 * OpenAI `tools`/`functions`, `tool_choice`/`function_call` → Gemini `functionDeclarations` and
 * `toolConfig`; parameter schemas as JSON Schema where the model takes it, else rewritten to the
 * older `Schema` subset (convert-to-gemini-schema.ts).
 * @see https://ai.google.dev/gemini-api/docs/function-calling
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { GeminiFunctionDeclaration, GeminiToolConfig } from './gemini-api.js';
import { convertToGeminiSchema, isEmptyObjectSchema } from './convert-to-gemini-schema.js';
import { invalidValue, unsupportedContent } from '../../../src/provider-toolkit.js';

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

export interface ConvertedTools {
  declarations: GeminiFunctionDeclaration[];
  toolConfig: GeminiToolConfig | undefined;
}

export function convertTools(
  request: ChatCompletionRequest,
  jsonSchema: boolean,
  warnings: string[],
): ConvertedTools {
  let declarations: GeminiFunctionDeclaration[] = [];
  (request.tools ?? []).forEach((tool, index) => {
    if (tool.type !== 'function') {
      throw unsupportedContent(
        `tools[${index}]`,
        `Gemini does not take '${tool.type}' tools (tools[${index}]).`,
      );
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
      throw invalidValue(param, `'${param}' names the function '${name}', which is not among the tools.`);
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
    else throw unsupportedContent(param, `Gemini does not take a '${String(object.type)}' ${param}.`);
  }
  return { declarations, toolConfig };
}
