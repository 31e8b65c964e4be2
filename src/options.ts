/**
 * The gateway's options checked once, at register time (design rule 2): defaults filled from the
 * options schema (schemas/options.ts), every key checked, the result frozen. A wrong or unknown key
 * fails naming its path, so `rateLimt: {...}` stops the start instead of being ignored.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { GatewayOptionsSchema, type GatewayOptions, type GatewayOptionsInput } from '../schemas/options.js';

export class GatewayOptionsError extends Error {
  override name = 'GatewayOptionsError';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** `/rateLimit/requestsPerMinute/chat` → `rateLimit.requestsPerMinute.chat`. */
export function optionPath(pointer: string): string {
  return pointer.replace(/^\//, '').replace(/\//g, '.').replace(/~1/g, '/').replace(/~0/g, '~') || '(root)';
}

/** The schema node at a JSON pointer (through objects, records and arrays), if there is one. */
export function schemaNodeAt(schema: TSchema, pointer: string): TSchema | undefined {
  let node: TSchema | undefined = schema;
  for (const part of pointer.split('/').filter((segment) => segment.length > 0)) {
    if (!node) return undefined;
    const properties = node['properties'] as Record<string, TSchema> | undefined;
    const patterns = node['patternProperties'] as Record<string, TSchema> | undefined;
    if (properties?.[part]) node = properties[part];
    else if (patterns) node = Object.values(patterns)[0];
    else if (node['items']) node = node['items'] as TSchema;
    else if (node['additionalProperties'] && typeof node['additionalProperties'] === 'object')
      node = node['additionalProperties'] as TSchema;
    else return undefined;
  }
  return node;
}

/**
 * A value fit for an error message: secrets (a node marked `sensitive`, anything inside one, and
 * provider keys) are never shown.
 */
export function describeOptionValue(schema: TSchema, pointer: string, value: unknown): string {
  const parts = pointer.split('/');
  let sensitive = /\/apiKey(\/|$)/.test(pointer);
  for (let length = 1; length <= parts.length && !sensitive; length++) {
    sensitive = schemaNodeAt(schema, parts.slice(0, length).join('/'))?.['sensitive'] === true;
  }
  return sensitive ? '<redacted>' : JSON.stringify(value);
}

/** What a setting allows, in words, for the first error TypeBox found in it. */
export function describeRule(error: ValueError): string {
  const schema = error.schema;
  const members = schema['anyOf'] as TSchema[] | undefined;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return 'not a setting the gateway has (check its spelling)';
    case ValueErrorType.Boolean:
      return 'must be true or false';
    case ValueErrorType.Integer:
      return 'must be a whole number';
    case ValueErrorType.Number:
      return 'must be a number';
    case ValueErrorType.String:
      return 'must be a string';
    case ValueErrorType.Array:
      return 'must be a list';
    case ValueErrorType.Object:
      return 'must be a mapping';
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be at least ${schema['minimum']}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${schema['maximum']}`;
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be more than ${schema['exclusiveMinimum']}`;
    case ValueErrorType.Union:
      if (members?.every((member) => member[Kind] === 'Literal')) {
        return `must be one of ${members.map((member) => String(member['const'])).join(', ')}`;
      }
      return error.message.toLowerCase();
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

/** Fills defaults and validates the options (a copy); fails naming the first bad key. */
export function checkGatewayOptions(
  input: GatewayOptionsInput | Record<string, unknown> = {},
): GatewayOptions {
  const options = Value.Default(GatewayOptionsSchema, structuredClone(input)) as GatewayOptions;
  const first = Value.Errors(GatewayOptionsSchema, options).First();
  if (first) {
    const key = optionPath(first.path);
    if (first.type === ValueErrorType.ObjectAdditionalProperties) {
      throw new GatewayOptionsError(`Unknown gateway option ${key}: ${describeRule(first)}`);
    }
    throw new GatewayOptionsError(
      `Invalid gateway option ${key}: ${describeRule(first)}: value was ${describeOptionValue(GatewayOptionsSchema, first.path, first.value)}`,
    );
  }
  return options;
}

/** Fills defaults, validates and freezes the options; fails naming the first bad key. */
export function resolveGatewayOptions(input: GatewayOptionsInput = {}): GatewayOptions {
  return deepFreeze(checkGatewayOptions(input));
}
