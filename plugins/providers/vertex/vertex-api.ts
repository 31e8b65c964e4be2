/**
 * The Vertex AI wire: the endpoint of a location, and the paths of the two publishers the gateway
 * calls. Gemini models (`publishers/google`) take and give the Gemini API's bodies
 * (`generateContent`, `streamGenerateContent?alt=sse`); Claude models (`publishers/anthropic`) take
 * Anthropic's Messages bodies through `rawPredict` and `streamRawPredict`, with the model in the
 * path rather than the body and the API version in the body.
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude
 * @see https://docs.anthropic.com/en/api/claude-on-vertex-ai
 */

/** The base URL an instance uses unless one is set: the global endpoint, or its location's. */
export const DEFAULT_VERTEX_BASE_URL = 'https://aiplatform.googleapis.com';

/** The API version Claude on Vertex is asked for, in the body (`anthropic_version`). */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/** The OAuth scope of Vertex AI calls. */
export const VERTEX_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** `global` has a host of its own; a region's is `{location}-aiplatform.googleapis.com`. */
export function vertexEndpoint(location: string): string {
  return location === 'global' ? DEFAULT_VERTEX_BASE_URL : `https://${location}-aiplatform.googleapis.com`;
}

export type VertexPublisher = 'google' | 'anthropic';

/** Claude models are Anthropic's; every other model the gateway calls on Vertex is Google's. */
export function publisherOf(model: string): VertexPublisher {
  return /^claude-/i.test(model) ? 'anthropic' : 'google';
}

export type VertexMethod =
  'generateContent' | 'streamGenerateContent' | 'countTokens' | 'rawPredict' | 'streamRawPredict';

/**
 * `/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}`; the
 * `@` of a Claude snapshot (`claude-sonnet-4-5@20250929`) stays as Google writes it.
 */
export function vertexModelPath(
  pathPrefix: string,
  project: string,
  location: string,
  model: string,
  method: VertexMethod,
): string {
  const publisher: VertexPublisher =
    method === 'rawPredict' || method === 'streamRawPredict' ? 'anthropic' : 'google';
  const path =
    `${pathPrefix}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}` +
    `/publishers/${publisher}/models/${encodeURIComponent(model).replaceAll('%40', '@')}:${method}`;
  return method === 'streamGenerateContent' ? `${path}?alt=sse` : path;
}
