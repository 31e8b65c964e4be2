/**
 * Anthropic's `tools` and `tool_choice` → the chat shape's function tools.
 *
 * A tool the client runs (`type` absent or `custom`) becomes a function tool: `name`,
 * `description`, `input_schema` as `parameters`, `strict`. Anthropic's own tools (web search, code
 * execution, bash, text editor, …: a `type` such as `web_search_20250305`) are run or defined by
 * Anthropic and have no counterpart: each is a parameter the serving model cannot honour, dropped
 * with a warning or refused (UNSUPPORTED_PARAMETERS), as are a tool's fields beyond those above.
 *
 * `tool_choice`: `auto` → `auto`, `any` → `required`, `tool` → the named function, `none` → `none`;
 * `disable_parallel_tool_use: true` → `parallel_tool_calls: false`. A choice that forces a tool
 * when no tool is left to call is dropped the same way.
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { UnsupportedParameter } from '../../../src/parameters.js';
import { invalidValue } from '../../../src/provider-toolkit.js';
import type { MessagesRequest, ToolParam } from './messages-schema.js';

const FUNCTION_TOOL_FIELDS = new Set([
  'name',
  'type',
  'description',
  'input_schema',
  'strict',
  'cache_control',
]);

export interface ToolsConversion {
  readonly tools?: ChatCompletionRequest['tools'];
  readonly tool_choice?: ChatCompletionRequest['tool_choice'];
  readonly parallel_tool_calls?: boolean;
  readonly unsupported: UnsupportedParameter[];
  /** `cache_control` breakpoints on the tools. */
  readonly cacheBreakpoints: number;
}

function isClientTool(tool: ToolParam): boolean {
  return tool.type === undefined || tool.type === null || tool.type === 'custom';
}

export function convertToChatTools(
  tools: MessagesRequest['tools'],
  choice: MessagesRequest['tool_choice'],
): ToolsConversion {
  const unsupported: UnsupportedParameter[] = [];
  const functions: NonNullable<ChatCompletionRequest['tools']> = [];
  let cacheBreakpoints = 0;
  (tools ?? []).forEach((tool, index) => {
    const param = `tools[${index}]`;
    if (!isClientTool(tool)) {
      unsupported.push({ param, label: `${param} (${String(tool.type)})` });
      return;
    }
    if (tool.cache_control !== undefined && tool.cache_control !== null) cacheBreakpoints++;
    for (const field of Object.keys(tool)) {
      if (!FUNCTION_TOOL_FIELDS.has(field) && tool[field] !== undefined && tool[field] !== null) {
        unsupported.push({ param: `${param}.${field}` });
      }
    }
    const definition: Record<string, unknown> = { name: tool.name };
    if (tool.description !== undefined) definition['description'] = tool.description;
    definition['parameters'] = tool.input_schema;
    if (tool.strict !== undefined) definition['strict'] = tool.strict;
    functions.push({ type: 'function', function: definition as { name: string } });
  });

  const conversion: {
    -readonly [Key in keyof ToolsConversion]: ToolsConversion[Key];
  } = { unsupported, cacheBreakpoints };
  if (functions.length > 0) conversion.tools = functions;
  if (!choice) return conversion;
  const callable = new Set(functions.map((tool) => (tool as { function: { name: string } }).function.name));
  switch (choice.type) {
    case 'none':
      if (functions.length > 0) conversion.tool_choice = 'none';
      return conversion;
    case 'auto':
      if (functions.length > 0) conversion.tool_choice = 'auto';
      break;
    case 'any':
      if (functions.length > 0) conversion.tool_choice = 'required';
      else unsupported.push({ param: 'tool_choice', label: 'tool_choice (no tool left to call)' });
      break;
    case 'tool':
      if (!(tools ?? []).some((tool) => tool.name === choice.name)) {
        throw invalidValue(
          'tool_choice.name',
          `Invalid 'tool_choice.name': ${JSON.stringify(choice.name)} is not the name of a tool of 'tools'.`,
        );
      }
      if (callable.has(choice.name)) {
        conversion.tool_choice = { type: 'function', function: { name: choice.name } };
      } else
        unsupported.push({
          param: 'tool_choice',
          label: `tool_choice (${choice.name} is not a tool it can call)`,
        });
      break;
  }
  if (choice.disable_parallel_tool_use === true && functions.length > 0)
    conversion.parallel_tool_calls = false;
  return conversion;
}
