/**
 * OpenAI `tools`, `tool_choice`, `parallel_tool_calls` and `response_format` → Anthropic `tools`,
 * `tool_choice` and `output_config.format`.
 *
 * A JSON answer (`response_format`) is asked for with structured outputs where the model has them;
 * elsewhere, and for `json_object` (structured outputs need a schema), with a tool the model is made
 * to call, whose input the answer converters return as the message content.
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use
 * @see https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs
 * @see https://docs.anthropic.com/en/docs/test-and-evaluate/strengthen-guardrails/increase-consistency#specify-the-desired-output-format
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { AnthropicOutputConfig, AnthropicTool, AnthropicToolChoice } from './anthropic-api.js';
import { readCacheControl } from './anthropic-cache-control.js';
import { invalidValue, unsupportedContent } from '../../../src/provider-toolkit.js';

export interface ConvertedTools {
  tools: AnthropicTool[];
  toolChoice: AnthropicToolChoice | undefined;
  /** Who made the model call a tool (`any` or a named tool): the client, or the JSON answer. */
  forcedBy: 'client' | 'response_format' | undefined;
  /** The tool that carries a JSON answer, when `response_format` is served by one. */
  jsonTool: string | undefined;
  /** Structured output, when the model takes it. */
  outputFormat: AnthropicOutputConfig['format'];
}

/** A schema Anthropic takes as `input_schema`: a JSON object schema (no parameters: no properties). */
function inputSchemaOf(schema: Record<string, unknown> | undefined, param: string): Record<string, unknown> {
  if (!schema) return { type: 'object', properties: {} };
  if (schema['type'] === undefined) return { type: 'object', ...schema };
  if (schema['type'] !== 'object') {
    throw unsupportedContent(
      param,
      `'${param}' must describe a JSON object ("type": "object"): Claude's tool inputs are objects.`,
    );
  }
  return schema;
}

interface FunctionLike {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean | null;
}

function convertFunction(
  definition: FunctionLike,
  holder: unknown,
  param: string,
  strictTools: boolean,
  warnings: string[],
): AnthropicTool {
  const tool: AnthropicTool = {
    name: definition.name,
    input_schema: inputSchemaOf(definition.parameters, `${param}.parameters`),
  };
  if (definition.description) tool.description = definition.description;
  if (definition.strict === true) {
    if (strictTools) tool.strict = true;
    else warnings.push(`'${param}.strict' is not enforced by this Claude model: validate the arguments`);
  }
  const cacheControl = readCacheControl(holder, param.replace(/\.function$/, ''));
  if (cacheControl) tool.cache_control = cacheControl;
  return tool;
}

/** A name for the JSON-answer tool that no tool of the request has. */
function jsonToolName(preferred: string, taken: ReadonlySet<string>): string {
  let name = preferred;
  while (taken.has(name)) name = `${name}_response`;
  return name;
}

/**
 * @param structured whether the model takes structured outputs (and strict tools)
 */
export function convertTools(
  request: ChatCompletionRequest,
  structured: boolean,
  warnings: string[],
): ConvertedTools {
  let tools: AnthropicTool[] = [];
  (request.tools ?? []).forEach((tool, index) => {
    if (tool.type !== 'function') {
      throw unsupportedContent(
        `tools[${index}]`,
        `Claude does not take '${tool.type}' tools (tools[${index}]).`,
      );
    }
    tools.push(convertFunction(tool.function, tool, `tools[${index}].function`, structured, warnings));
  });
  (request.functions ?? []).forEach((definition, index) => {
    tools.push(convertFunction(definition, definition, `functions[${index}]`, structured, warnings));
  });

  const choice = request.tool_choice ?? request.function_call;
  const param = request.tool_choice !== undefined ? 'tool_choice' : 'function_call';
  const names = new Set(tools.map((tool) => tool.name));
  const named = (name: string): AnthropicToolChoice => {
    if (!names.has(name)) {
      throw invalidValue(param, `'${param}' names the function '${name}', which is not among the tools.`);
    }
    return { type: 'tool', name };
  };
  let toolChoice: AnthropicToolChoice | undefined;
  if (choice === undefined || tools.length === 0) toolChoice = undefined;
  else if (choice === 'none') toolChoice = { type: 'none' };
  else if (choice === 'auto') toolChoice = { type: 'auto' };
  else if (choice === 'required') toolChoice = { type: 'any' };
  else if (typeof choice === 'object' && choice !== null) {
    const object = choice as {
      type?: string;
      name?: string;
      function?: { name: string };
      allowed_tools?: { mode: 'auto' | 'required'; tools: { function?: { name?: string }; name?: string }[] };
    };
    if (object.type === 'function' && object.function) toolChoice = named(object.function.name);
    else if (object.type === 'allowed_tools' && object.allowed_tools) {
      const allowed = new Set(
        object.allowed_tools.tools
          .map((tool) => tool.function?.name ?? tool.name)
          .filter((name): name is string => typeof name === 'string'),
      );
      for (const name of allowed) named(name);
      // The model sees only the allowed tools; `required` makes it call one of them.
      tools = tools.filter((tool) => allowed.has(tool.name));
      toolChoice = { type: object.allowed_tools.mode === 'required' ? 'any' : 'auto' };
    } else if (object.type === undefined && typeof object.name === 'string') toolChoice = named(object.name);
    else throw unsupportedContent(param, `Claude does not take a '${String(object.type)}' ${param}.`);
  }
  let forcedBy: ConvertedTools['forcedBy'] =
    toolChoice?.type === 'any' || toolChoice?.type === 'tool' ? 'client' : undefined;

  let jsonTool: string | undefined;
  let outputFormat: ConvertedTools['outputFormat'];
  const format = request.response_format;
  const schema =
    format?.type === 'json_schema'
      ? (format as { json_schema: { schema?: Record<string, unknown> } }).json_schema.schema
      : undefined;
  if (format?.type === 'json_schema' && schema && structured) {
    outputFormat = { type: 'json_schema', schema };
  } else if (format?.type === 'json_schema' || format?.type === 'json_object') {
    const definition =
      format.type === 'json_schema'
        ? (format as { json_schema: { name: string; description?: string } }).json_schema
        : undefined;
    jsonTool = jsonToolName(definition?.name ?? 'json', names);
    tools.push({
      name: jsonTool,
      description:
        definition?.description ?? 'Answer with a JSON object: call this tool with the answer as its input.',
      input_schema: inputSchemaOf(schema, 'response_format.json_schema.schema'),
    });
    if (toolChoice?.type !== 'tool') {
      // Without tools of its own the answer is the JSON tool's call; with them, a call of one of
      // them or of the JSON tool.
      toolChoice =
        tools.length === 1 || toolChoice?.type === 'none'
          ? { type: 'tool', name: jsonTool }
          : { type: 'any' };
      forcedBy = 'response_format';
    }
  }

  if (request.parallel_tool_calls === false && tools.length > 0 && toolChoice?.type !== 'none') {
    toolChoice = { ...(toolChoice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  return { tools, toolChoice, forcedBy, jsonTool, outputFormat };
}
