/**
 * Validates what the gateway sends against OpenAI's own published schemas
 * (test/fixtures/openai-schemas/schemas.json, verbatim from openai/openai-openapi; see its README).
 *
 * The document is OpenAPI 3.1 with one OpenAPI-ism Ajv does not take as is (`nullable: true`,
 * sometimes without `type`); it is rewritten to plain JSON Schema (`anyOf: [..., {type: null}]`)
 * when loaded. Nothing else is changed.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;

function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (!node || typeof node !== 'object') return node;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) result[key] = rewriteNullable(value);
  if (result['nullable'] === true) {
    delete result['nullable'];
    return { anyOf: [result, { type: 'null' }] };
  }
  delete result['nullable'];
  return result;
}

const document = JSON.parse(
  readFileSync(new URL('../fixtures/openai-schemas/schemas.json', import.meta.url), 'utf8'),
) as { components: { schemas: Record<string, unknown> } };

const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
addFormats(ajv);
ajv.addFormat('unixtime', {
  type: 'number',
  validate: (value: number) => Number.isInteger(value) && value >= 0,
});
ajv.addSchema({ $id: 'openai', components: rewriteNullable(document.components) });

const compiled = new Map<string, ValidateFunction>();

export type OpenAISchemaName =
  | 'CreateChatCompletionRequest'
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'CreateEmbeddingResponse'
  | 'ListModelsResponse'
  | 'Model'
  | 'ErrorResponse'
  | 'CreateTranscriptionResponseJson'
  | 'CreateTranscriptionResponseVerboseJson'
  | 'Response'
  | 'ResponseStreamEvent';

export function validatorFor(name: OpenAISchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile({ $ref: `openai#/components/schemas/${name}` });
    compiled.set(name, validate);
  }
  return validate;
}

/** Throws with Ajv's errors when `value` does not validate against OpenAI's schema `name`. */
export function assertOpenAISchema(name: OpenAISchemaName, value: unknown): void {
  const validate = validatorFor(name);
  if (!validate(value)) {
    throw new Error(
      `Not a valid ${name}: ${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(value).slice(0, 2000)}`,
    );
  }
}
