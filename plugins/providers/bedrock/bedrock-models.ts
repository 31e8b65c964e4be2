/**
 * What a Bedrock model id says: its provider (the family Converse serves it as) and, for Claude, the
 * model name Anthropic gives it. An id may be a foundation model (`anthropic.claude-sonnet-4-…-v1:0`),
 * a cross-region inference profile (`us.anthropic.…`, `eu.…`, `apac.…`, `global.…`) or the ARN of
 * either; an application inference profile's ARN hides the model, so nothing is read from it.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
 */

/** The geography prefixes of cross-region inference profiles. */
const PROFILE_PREFIX = /^(?:us|us-gov|eu|apac|au|ca|jp|global)\./;
/** `arn:aws:bedrock:<region>:<account>:<kind>/<id>`: what follows the kind. */
const ARN = /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(?:foundation-model|inference-profile)\/(.+)$/;

/** The foundation model id behind a model id, profile or ARN (`anthropic.claude-…-v1:0`). */
export function foundationModelId(modelId: string): string {
  const fromArn = ARN.exec(modelId)?.[1] ?? modelId;
  return fromArn.replace(PROFILE_PREFIX, '');
}

/** The model's provider as Bedrock names it (`anthropic`, `amazon`, `meta`, `cohere`, …), or '' when hidden. */
export function modelProvider(modelId: string): string {
  const id = foundationModelId(modelId);
  if (id.startsWith('arn:')) return '';
  const dot = id.indexOf('.');
  return dot === -1 ? '' : id.slice(0, dot);
}

export function isClaude(modelId: string): boolean {
  return modelProvider(modelId) === 'anthropic';
}

/**
 * The name Anthropic gives a Claude model on Bedrock (`anthropic.claude-sonnet-4-20250514-v1:0` →
 * `claude-sonnet-4-20250514-v1:0`), from which its generation is read.
 */
export function claudeName(modelId: string): string {
  return foundationModelId(modelId).replace(/^anthropic\./, '');
}

export type EmbeddingFamily = 'titan' | 'cohere';

/** Which InvokeModel body an embeddings model takes; undefined for one the gateway cannot call. */
export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  const id = foundationModelId(modelId);
  if (id.startsWith('amazon.titan-embed')) return 'titan';
  if (id.startsWith('cohere.embed')) return 'cohere';
  return undefined;
}
