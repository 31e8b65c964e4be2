/**
 * Schema validation for the gateway's routes. Bodies are validated exactly as sent: Fastify's
 * default validator coerces (`"0.7"` → 0.7, `"true"` → true) where OpenAI answers 400, so bodies use
 * a non-coercing Ajv. Query strings and path parameters are text by nature and are coerced.
 * Request schemas are self-contained (no `$ref`), so no shared schemas need registering here.
 */
import { Ajv, type ValidateFunction } from 'ajv';
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

/** What Ajv's generated function is called with besides the data (Fastify passes the request). */
type ValidationContext = Parameters<ValidateFunction>[1];

/** A route's validator as Fastify calls it: Ajv's own, or one that compiles Ajv's on its first call. */
interface RouteValidator {
  (data: unknown, context?: ValidationContext): boolean;
  errors?: ValidateFunction['errors'];
  schemaEnv?: unknown;
}

/**
 * Each route's schema is compiled by Ajv on the route's first request, not at start: generating
 * and compiling a validator for each of the gateway's many routes was most of the start-up's work
 * and garbage, and most gateways serve a few of them. The compiled function is kept, so later
 * requests pay one extra call. Ajv sets `errors` on its function after each call; Fastify reads them
 * from the function it was given, so they are copied there. `schemaEnv` makes Fastify pass the
 * request as the data's parent, as it does for Ajv's own functions (so Ajv may coerce a root value).
 */
function compileOnFirstUse(ajv: Ajv, schema: object): RouteValidator {
  let validate: ValidateFunction | undefined;
  const validator: RouteValidator = (data, context) => {
    validate ??= ajv.compile(schema);
    const valid = validate(data, context) as boolean;
    validator.errors = validate.errors;
    return valid;
  };
  validator.schemaEnv = true;
  return validator;
}

export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const exact = createAjv(false);
  const coercing = createAjv(true);
  return ({ schema, httpPart }) =>
    compileOnFirstUse(httpPart === 'body' ? exact : coercing, schema as object);
}

/**
 * Response schemas document the API; they never shape what is sent. A compiled serializer would drop
 * any field OpenAI adds next month (design rule 8), so answers are serialized as they are.
 */
export function createSerializerCompiler(): FastifySerializerCompiler<FastifySchema> {
  return () => (data: unknown) => JSON.stringify(data);
}
