/**
 * Responses API `tools` and `tool_choice` → chat's. Function tools are the one kind every provider
 * has: `{type: "function", name, description, parameters, strict}` becomes chat's
 * `{type: "function", function: {...}}`. The built-in tools (web search, file search, code
 * interpreter, computer use, MCP, image generation, shell, custom grammars, …) run on OpenAI's
 * platform; for a model served elsewhere they are refused with a 400 naming the tool, never dropped.
 * @see https://platform.openai.com/docs/api-reference/responses/create#responses_create-tools
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import { GatewayError } from '../../../src/errors.js';
import { invalidValue } from '../../../src/provider-toolkit.js';

type ChatTool = NonNullable<ChatCompletionRequest['tools']>[number];
type ChatToolChoice = NonNullable<ChatCompletionRequest['tool_choice']>;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function builtInTool(type: string, param: string): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_TOOL', {
    message:
      `'${param}' is the built-in '${type}' tool of the Responses API, which the model serving this ` +
      'request does not have; only function tools are translated.',
    param,
  });
}

export function convertTools(tools: readonly Record<string, unknown>[]): ChatTool[] {
  return tools.map((tool, index) => {
    const param = `tools[${index}]`;
    const type = String(tool['type']);
    if (type !== 'function') throw builtInTool(type, param);
    const name = tool['name'];
    if (typeof name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      throw invalidValue(
        `${param}.name`,
        `'${param}.name' must be 1 to 64 letters, digits, underscores or dashes.`,
      );
    }
    const definition: Record<string, unknown> = { name };
    const { description, parameters, strict } = tool;
    if (typeof description === 'string') definition['description'] = description;
    else if (description !== undefined && description !== null) {
      throw invalidValue(`${param}.description`, `'${param}.description' must be a string.`);
    }
    if (isObject(parameters)) definition['parameters'] = parameters;
    else if (parameters !== undefined && parameters !== null) {
      throw invalidValue(`${param}.parameters`, `'${param}.parameters' must be a JSON Schema object.`);
    }
    if (typeof strict === 'boolean') definition['strict'] = strict;
    else if (strict !== undefined && strict !== null) {
      throw invalidValue(`${param}.strict`, `'${param}.strict' must be a boolean.`);
    }
    return { type: 'function', function: definition } as ChatTool;
  });
}

function functionName(choice: Record<string, unknown>, param: string): string {
  const name = choice['name'];
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidValue(`${param}.name`, `'${param}.name' must name one of the function tools.`);
  }
  return name;
}

export function convertToolChoice(choice: string | Record<string, unknown>): ChatToolChoice {
  if (typeof choice === 'string') {
    if (choice === 'none' || choice === 'auto' || choice === 'required') return choice;
    throw invalidValue('tool_choice', "'tool_choice' must be none, auto, required or an object.");
  }
  const type = String(choice['type']);
  if (type === 'function')
    return { type: 'function', function: { name: functionName(choice, 'tool_choice') } };
  if (type === 'allowed_tools') {
    const mode = choice['mode'];
    if (mode !== 'auto' && mode !== 'required') {
      throw invalidValue('tool_choice.mode', "'tool_choice.mode' must be auto or required.");
    }
    const tools = choice['tools'];
    if (!Array.isArray(tools))
      throw invalidValue('tool_choice.tools', "'tool_choice.tools' must be an array.");
    return {
      type: 'allowed_tools',
      allowed_tools: {
        mode,
        tools: tools.map((tool: unknown, index) => {
          const param = `tool_choice.tools[${index}]`;
          if (!isObject(tool)) throw invalidValue(param, `'${param}' must be an object.`);
          if (tool['type'] !== 'function') throw builtInTool(String(tool['type']), param);
          return { type: 'function', function: { name: functionName(tool, param) } };
        }),
      },
    };
  }
  throw builtInTool(type, 'tool_choice');
}
