/**
 * `countTokens` for a model no Gemini deployment serves: an estimate, said to be one
 * (`x-gateway-token-count: estimated`, as the other doors say it). The text of the request (system
 * instruction, contents, function calls and results, function declarations as JSON) is counted with a
 * BPE tokenizer: the catalog model's own when it names one the gateway has, else `o200k_base`,
 * OpenAI's current one; each image, audio or file part adds the 258 tokens Gemini counts for an image.
 * @see https://ai.google.dev/api/tokens
 * @see https://ai.google.dev/gemini-api/docs/tokens#multimodal-tokens
 */
import { countTokens, estimateTokens } from '../../../src/tokens.js';
import type { CountTokensRequest, GeminiContent, GeminiPart } from './gemini-schemas.js';

const TOKENS_PER_MEDIA_PART = 258;
const DEFAULT_TOKENIZER = 'o200k_base';

function collect(parts: readonly GeminiPart[], texts: string[]): number {
  let media = 0;
  for (const part of parts) {
    if (typeof part.text === 'string') texts.push(part.text);
    if (part.functionCall) texts.push(part.functionCall.name, JSON.stringify(part.functionCall.args ?? {}));
    if (part.functionResponse)
      texts.push(part.functionResponse.name, JSON.stringify(part.functionResponse.response));
    if (part.inlineData || part.fileData) media++;
  }
  return media;
}

export async function estimateGeminiTokens(
  body: CountTokensRequest,
  tokenizer: string = DEFAULT_TOKENIZER,
): Promise<number> {
  const nested = body.generateContentRequest;
  const contents: readonly GeminiContent[] = nested?.contents ?? body.contents ?? [];
  const texts: string[] = [];
  let media = 0;
  if (nested?.systemInstruction) media += collect(nested.systemInstruction.parts, texts);
  for (const content of contents) media += collect(content.parts, texts);
  for (const tool of nested?.tools ?? []) {
    if (tool.functionDeclarations) texts.push(JSON.stringify(tool.functionDeclarations));
  }
  const text = texts.join('\n');
  const counted =
    (await countTokens(text, tokenizer)) ??
    (await countTokens(text, DEFAULT_TOKENIZER)) ??
    estimateTokens(text.length);
  return counted + media * TOKENS_PER_MEDIA_PART;
}
