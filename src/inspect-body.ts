/**
 * A JSON body checked before anything walks it: how deep it nests (bounded, so no recursive walker
 * downstream can run out of stack), and that every number in it is one the gateway can relay exactly.
 * JSON parses `1e400` as Infinity and a 20-digit integer as a rounded double; neither can be sent on
 * as the client wrote it, so both are refused with a 400 naming where they are. The walk is
 * iterative: a body nested ten thousand levels deep is refused, not a stack overflow.
 */
import { GatewayError } from './errors.js';

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number | undefined;
}

/** `messages[0].content`, OpenAI's notation, of the place a frame stands for. */
function pathOf(frame: Frame): string {
  const keys: (string | number)[] = [];
  for (let current: Frame | undefined = frame; current?.key !== undefined; current = current.parent) {
    keys.push(current.key);
  }
  let path = '';
  for (const key of keys.reverse()) path += typeof key === 'number' ? `[${key}]` : path ? `.${key}` : key;
  return path;
}

function refuseNumber(frame: Frame, value: number): never {
  const param = pathOf(frame);
  const why = Number.isFinite(value)
    ? `${value} is an integer beyond ±${Number.MAX_SAFE_INTEGER}, which the gateway cannot relay exactly`
    : 'the number is too large to be represented';
  throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
    message: `Invalid value for '${param}': ${why}.`,
    param,
    code: 'invalid_value',
  });
}

export function inspectBody(body: unknown, maxDepth: number): void {
  if (body === null || typeof body !== 'object') return;
  const stack: Frame[] = [{ value: body, depth: 1, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const value = frame.value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
        refuseNumber(frame, value);
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (frame.depth > maxDepth) {
      const where = pathOf(frame);
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `The request body is nested deeper than ${maxDepth} levels${where ? ` (at '${where}')` : ''}.`,
        param: where || null,
        code: 'invalid_value',
      });
    }
    const depth = frame.depth + 1;
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        const item: unknown = value[index];
        if (item !== null && (typeof item === 'object' || typeof item === 'number')) {
          stack.push({ value: item, depth, parent: frame, key: index });
        }
      }
    } else {
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        if (item !== null && (typeof item === 'object' || typeof item === 'number')) {
          stack.push({ value: item, depth, parent: frame, key });
        }
      }
    }
  }
}
