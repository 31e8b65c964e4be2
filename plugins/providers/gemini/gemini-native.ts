/**
 * The Gemini API passed through: a request that came in by the gateway's Gemini door goes to Gemini
 * as the client wrote it, with only the model names replaced by the deployment's upstream model, and
 * the gateway reads only the model and the usage of the answer (design: doors and rooms).
 * @see https://ai.google.dev/api/generate-content
 * @see https://ai.google.dev/api/tokens
 * @see https://ai.google.dev/api/embeddings
 */
import type { Usage } from '../../../src/provider.js';
import { estimateTokens } from '../../../src/tokens.js';
import type { GeminiGenerateContentResponse, GeminiMethod } from './gemini-api.js';
import { mapGeminiUsage } from './convert-gemini-response.js';

/** The API id the Gemini door and this adapter share (`ProviderAdapter.nativeApis`). */
export const GEMINI_NATIVE_API = 'gemini';

/** The door's operations this adapter passes through, each a method of the Gemini API. */
export const NATIVE_OPERATIONS: ReadonlySet<string> = new Set<GeminiMethod>([
  'generateContent',
  'streamGenerateContent',
  'countTokens',
  'embedContent',
  'batchEmbedContents',
]);

type Body = Record<string, unknown>;

function isObject(value: unknown): value is Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The client's body with every model name it holds replaced by `modelName` (`models/<upstream>`):
 * the optional `model` of a generate or embed request, the nested request of `countTokens`, and
 * each request of a batch, which Gemini requires to name the model of the URL. Copies only what it
 * changes; a body without model names is returned as it is.
 */
export function replaceNativeModel(body: Body, operation: string, modelName: string): Body {
  switch (operation) {
    case 'countTokens': {
      const nested = body['generateContentRequest'];
      return isObject(nested) ? { ...body, generateContentRequest: { ...nested, model: modelName } } : body;
    }
    case 'batchEmbedContents': {
      const requests = body['requests'];
      if (!Array.isArray(requests)) return body;
      return {
        ...body,
        requests: requests.map((item: unknown) => (isObject(item) ? { ...item, model: modelName } : item)),
      };
    }
    default:
      return 'model' in body ? { ...body, model: modelName } : body;
  }
}

/** The texts of an embed request's content (the usage estimate when Gemini reports none). */
function embeddedCharacters(request: unknown): number {
  const parts = isObject(request) && isObject(request['content']) ? request['content']['parts'] : undefined;
  if (!Array.isArray(parts)) return 0;
  let characters = 0;
  for (const part of parts)
    if (isObject(part) && typeof part['text'] === 'string') characters += part['text'].length;
  return characters;
}

/**
 * What a passed-through answer used, in the gateway's terms: a generation's `usageMetadata`; an
 * embedding's count when Gemini reports one, else an estimate from the input (about four characters
 * a token, as for /v1/embeddings); nothing for `countTokens`, which Google does not bill.
 */
export function readNativeUsage(operation: string, requestBody: Body, answer: Body): Usage | undefined {
  switch (operation) {
    case 'generateContent':
      return mapGeminiUsage((answer as GeminiGenerateContentResponse).usageMetadata)?.gateway;
    case 'embedContent':
    case 'batchEmbedContents': {
      const metadata = answer['usageMetadata'];
      let tokens =
        isObject(metadata) && typeof metadata['promptTokenCount'] === 'number'
          ? metadata['promptTokenCount']
          : undefined;
      if (tokens === undefined) {
        const requests = operation === 'embedContent' ? [requestBody] : requestBody['requests'];
        const characters = Array.isArray(requests)
          ? requests.reduce<number>((sum, request) => sum + embeddedCharacters(request), 0)
          : 0;
        tokens = estimateTokens(characters);
      }
      return {
        promptTokens: tokens,
        completionTokens: 0,
        totalTokens: tokens,
        reasoningTokens: 0,
        cachedTokens: 0,
      };
    }
    default:
      return undefined;
  }
}
