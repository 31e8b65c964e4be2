/**
 * Gemini's `Schema` (the OpenAPI 3.0 subset of `FunctionDeclaration.parameters` and
 * `GenerationConfig.responseSchema`) → JSON Schema, which chat completions take for tool parameters
 * and `response_format.json_schema`.
 * @see https://ai.google.dev/api/caching#Schema
 *
 * Types are written in capitals (`OBJECT`) and lower-cased; `nullable` becomes a `null` type;
 * `propertyOrdering` and `example`, which JSON Schema has no word for, are left out, as are the
 * number formats (`int32`, `double`) and the `enum` string format, which only restate the type.
 * Counts arrive as numbers or, as proto3 JSON writes int64, as strings of digits.
 */

type Schema = Record<string, unknown>;

const COUNTS = new Set(['minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties']);
const COPIED = new Set([
  'title',
  'description',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'default',
  'required',
]);
const NUMBER_FORMATS = new Set(['int32', 'int64', 'float', 'double', 'enum']);

function isObject(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function count(value: unknown): unknown {
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
}

export function convertGeminiSchema(schema: unknown): Schema {
  if (!isObject(schema)) return {};
  const out: Schema = {};
  const type = typeof schema['type'] === 'string' ? schema['type'].toLowerCase() : undefined;
  const nullable = schema['nullable'] === true;
  if (type && type !== 'type_unspecified') out['type'] = nullable && type !== 'null' ? [type, 'null'] : type;
  for (const [key, value] of Object.entries(schema)) {
    if (COPIED.has(key)) out[key] = value;
    else if (COUNTS.has(key)) out[key] = count(value);
    else if (key === 'format' && typeof value === 'string' && !NUMBER_FORMATS.has(value)) out[key] = value;
    else if (key === 'items') out['items'] = convertGeminiSchema(value);
    else if (key === 'anyOf' && Array.isArray(value)) {
      const variants = value.map((variant) => convertGeminiSchema(variant));
      out['anyOf'] = nullable && !type ? [...variants, { type: 'null' }] : variants;
    } else if (key === 'properties' && isObject(value)) {
      out['properties'] = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, convertGeminiSchema(property)]),
      );
    }
  }
  return out;
}
