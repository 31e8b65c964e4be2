/**
 * JSON Schema → the schema Gemini takes, for tool parameters and structured output.
 *
 * Newer models take plain JSON Schema (`parametersJsonSchema`, `responseJsonSchema`), which is
 * passed as the client wrote it. Older ones (1.x, 2.0) take only `Schema`, a subset of OpenAPI 3.0
 * that answers 400 to keywords it does not know (`additionalProperties`, `$schema`, `$ref`, …). For
 * them the schema is rewritten: references inlined, `["string", "null"]` → `nullable`, `const` →
 * `enum`, `oneOf` → `anyOf`, and what remains unknown is removed, with a warning naming it.
 * @see https://ai.google.dev/api/caching#Schema
 * @see https://ai.google.dev/gemini-api/docs/function-calling#function_declarations
 * @see https://ai.google.dev/gemini-api/docs/structured-output#json-schemas
 */
import { GatewayError } from '../../../src/errors.js';

// Gemini 1.x and 2.0 predate the JSON-schema fields.
const SCHEMA_SUBSET_ONLY = /^(models\/)?gemini-(1\.|2\.0)/;

/** Whether a model takes plain JSON Schema (`parametersJsonSchema`, `responseJsonSchema`). */
export function takesJsonSchema(upstreamModel: string): boolean {
  return !SCHEMA_SUBSET_ONLY.test(upstreamModel);
}

/** The keywords of Gemini's `Schema`, kept as they are. */
const KEPT = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

/** Formats `Schema` takes; any other is removed. */
const FORMATS = new Set(['enum', 'date-time', 'float', 'double', 'int32', 'int64']);

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface SubsetState {
  root: JsonObject;
  removed: Set<string>;
  /** References being inlined, to refuse a recursive schema instead of looping. */
  resolving: Set<string>;
  param: string;
}

function resolveReference(reference: string, state: SubsetState): JsonObject {
  const prefix = reference.startsWith('#/$defs/')
    ? '#/$defs/'
    : reference.startsWith('#/definitions/')
      ? '#/definitions/'
      : undefined;
  const name = prefix ? reference.slice(prefix.length) : undefined;
  const definitions = prefix === '#/$defs/' ? state.root['$defs'] : state.root['definitions'];
  const target = name !== undefined && isObject(definitions) ? definitions[name] : undefined;
  if (!isObject(target)) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: `The schema in '${state.param}' refers to ${JSON.stringify(reference)}, which it does not define.`,
      param: state.param,
      code: 'invalid_value',
    });
  }
  if (state.resolving.has(reference)) {
    throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_CONTENT', {
      message:
        `The schema in '${state.param}' is recursive (${reference}); this model takes only ` +
        `schemas without recursion. Use a Gemini 2.5 or later model, or flatten the schema.`,
      param: state.param,
    });
  }
  return target;
}

function convertNode(node: unknown, state: SubsetState): unknown {
  if (Array.isArray(node)) return node.map((item) => convertNode(item, state));
  if (!isObject(node)) return node;

  const reference = node['$ref'];
  if (typeof reference === 'string') {
    const target = resolveReference(reference, state);
    state.resolving.add(reference);
    const { $ref: _ignored, ...siblings } = node;
    const inlined = convertNode({ ...target, ...siblings }, state);
    state.resolving.delete(reference);
    return inlined;
  }

  const result: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case 'type': {
        if (Array.isArray(value)) {
          const types = value.filter((type) => type !== 'null');
          if (types.length < value.length) result['nullable'] = true;
          if (types.length === 1) result['type'] = types[0];
          else if (types.length > 1) result['anyOf'] = types.map((type) => ({ type }));
        } else result['type'] = value;
        break;
      }
      case 'const':
        if (typeof value === 'string') result['enum'] = [value];
        else state.removed.add('const');
        break;
      case 'oneOf':
        result['anyOf'] = convertNode(value, state);
        break;
      case 'allOf':
        if (Array.isArray(value) && value.length === 1 && isObject(value[0])) {
          Object.assign(result, convertNode(value[0], state) as JsonObject);
        } else state.removed.add('allOf');
        break;
      case 'format':
        if (typeof value === 'string' && FORMATS.has(value)) result['format'] = value;
        else state.removed.add(`format ${JSON.stringify(value)}`);
        break;
      case 'enum':
        // Schema enums are strings.
        if (Array.isArray(value) && value.every((item) => typeof item === 'string')) result['enum'] = value;
        else state.removed.add('enum (non-string values)');
        break;
      case 'properties':
        if (isObject(value)) {
          const properties: JsonObject = {};
          for (const [name, property] of Object.entries(value))
            properties[name] = convertNode(property, state);
          // An OBJECT with an empty `properties` is refused; without it, it is an open object.
          if (Object.keys(properties).length > 0) result['properties'] = properties;
        }
        break;
      case 'items':
      case 'anyOf':
        result[key] = convertNode(value, state);
        break;
      case '$defs':
      case 'definitions':
        // Inlined where referenced.
        break;
      default:
        if (KEPT.has(key)) result[key] = value;
        else state.removed.add(key);
    }
  }
  return result;
}

/**
 * Rewrites `schema` for the `Schema` subset. `param` names the field in warnings and errors; the
 * keywords removed are reported once in `warnings`.
 */
export function convertToGeminiSchema(schema: JsonObject, param: string, warnings: string[]): JsonObject {
  const state: SubsetState = { root: schema, removed: new Set(), resolving: new Set(), param };
  const converted = convertNode(schema, state) as JsonObject;
  if (state.removed.size > 0) {
    warnings.push(
      `removed from '${param}' what this model's schema subset does not take: ${[...state.removed].sort().join(', ')}`,
    );
  }
  return converted;
}

/** Whether a schema declares no parameters at all (an object with no properties). */
export function isEmptyObjectSchema(schema: JsonObject): boolean {
  const properties = schema['properties'];
  return (
    (schema['type'] === undefined || schema['type'] === 'object') &&
    (!isObject(properties) || Object.keys(properties).length === 0) &&
    schema['anyOf'] === undefined
  );
}
