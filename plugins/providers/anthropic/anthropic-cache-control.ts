/**
 * Prompt-cache breakpoints: the `cache_control` extension field a client may put on a message, a
 * content part or a tool (checked, then passed on as Anthropic takes it), and the breakpoints the
 * instance adds itself after the system prompt and the tool definitions.
 *
 * Anthropic takes at most four breakpoints a request; the client's own come first, and the
 * gateway's are left out (with a warning) when they would go past the limit.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
 */
import { GatewayError } from '../../../src/errors.js';
import type {
  AnthropicCacheControl,
  AnthropicMessagesRequest,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicTool,
} from './anthropic-api.js';
import type { AnthropicSettings } from './anthropic-options.js';
import { invalidValue } from '../../../src/provider-toolkit.js';

/** The field clients set on a message, a content part or a tool. */
export const CACHE_CONTROL_FIELD = 'cache_control';

export const MAX_CACHE_BREAKPOINTS = 4;

/**
 * The `cache_control` of an object of the request (undefined when it has none), checked:
 * `{"type": "ephemeral"}` with an optional `ttl` of `5m` or `1h`.
 */
export function readCacheControl(holder: unknown, param: string): AnthropicCacheControl | undefined {
  if (!holder || typeof holder !== 'object') return undefined;
  const value = (holder as Record<string, unknown>)[CACHE_CONTROL_FIELD];
  if (value === undefined || value === null) return undefined;
  const field = `${param}.${CACHE_CONTROL_FIELD}`;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidValue(field, `'${field}' must be an object such as {"type": "ephemeral"}.`);
  }
  const { type, ttl, ...rest } = value as Record<string, unknown>;
  if (type !== 'ephemeral') {
    throw invalidValue(
      `${field}.type`,
      `'${field}.type' must be 'ephemeral', the only cache type Anthropic has.`,
    );
  }
  if (ttl !== undefined && ttl !== '5m' && ttl !== '1h') {
    throw invalidValue(`${field}.ttl`, `'${field}.ttl' must be '5m' or '1h'.`);
  }
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `Unrecognized parameter: '${field}.${unknown}'. '${field}' takes 'type' and 'ttl'.`,
      param: `${field}.${unknown}`,
      code: 'unknown_parameter',
    });
  }
  return ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl };
}

/** Puts a breakpoint on a block that can carry one (thinking blocks cannot). */
export function withCacheControl(block: AnthropicRequestBlock, cacheControl: AnthropicCacheControl): void {
  if (block.type === 'thinking' || block.type === 'redacted_thinking') return;
  block.cache_control = cacheControl;
}

function countBreakpoints(body: AnthropicMessagesRequest): number {
  let count = 0;
  for (const block of body.system ?? []) if (block.cache_control) count++;
  for (const tool of body.tools ?? []) if (tool.cache_control) count++;
  for (const message of body.messages) {
    for (const block of message.content) if ('cache_control' in block && block.cache_control) count++;
  }
  return count;
}

/**
 * The instance's automatic breakpoints: on the last tool definition and on the last system block
 * (tools come before the system prompt in Anthropic's cache order), each unless the client already
 * put one there.
 */
export function applyAutomaticCaching(
  body: AnthropicMessagesRequest,
  settings: AnthropicSettings['promptCaching'],
  warnings: string[],
): void {
  const wanted: (AnthropicTextBlock | AnthropicTool)[] = [];
  const lastTool = body.tools?.at(-1);
  if (settings.tools && lastTool && !lastTool.cache_control) wanted.push(lastTool);
  const lastSystem = body.system?.at(-1);
  if (settings.system && lastSystem && !lastSystem.cache_control) wanted.push(lastSystem);
  if (wanted.length === 0) return;
  const room = MAX_CACHE_BREAKPOINTS - countBreakpoints(body);
  const cacheControl: AnthropicCacheControl =
    settings.ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
  wanted.forEach((holder, position) => {
    if (position < room) holder.cache_control = { ...cacheControl };
  });
  if (wanted.length > room) {
    warnings.push(
      `left out ${wanted.length - Math.max(room, 0)} automatic cache breakpoint(s): the request has ${MAX_CACHE_BREAKPOINTS - room} of its own and Anthropic takes ${MAX_CACHE_BREAKPOINTS}`,
    );
  }
}
