/**
 * Schema validation for the gateway's routes. Bodies are validated exactly as sent: Fastify's
 * default validator coerces (`"0.7"` → 0.7, `"true"` → true) where OpenAI answers 400, so bodies use
 * a non-coercing Ajv. Query strings and path parameters are text by nature and are coerced.
 * Request schemas are self-contained (no `$ref`), so no shared schemas need registering here.
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: false,
    removeAdditional: false,
    allErrors: false,
    strict: false,
    discriminator: true,
    allowUnionTypes: true,
  });
  addFormats(ajv);
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const exact = createAjv(false);
  const coercing = createAjv(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? exact : coercing).compile(schema as object);
}

/**
 * Response schemas document the API; they never shape what is sent. A compiled serializer would drop
 * any field OpenAI adds next month (design rule 8), so answers are serialized as they are.
 */
export function createSerializerCompiler(): FastifySerializerCompiler<FastifySchema> {
  return () => (data: unknown) => JSON.stringify(data);
}
