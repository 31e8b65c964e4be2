/**
 * An estimate of a Messages request's input tokens, for models whose provider does not count them
 * for the gateway (everything not served through Anthropic's own API).
 *
 * The text of the request (system prompt, text blocks, tool inputs and results, thinking text, tool
 * definitions as JSON) is counted with a BPE tokenizer: the catalog model's own when it names one,
 * else `o200k_base`, OpenAI's current one. Media and the framing a provider adds are estimated:
 * - an image: 1600 tokens, what Anthropic bills for an image at its largest size before resizing
 *   (about 1.15 megapixels at 750 pixels a token);
 * - a PDF: 3000 tokens a page (its text and the page's image), pages counted from the document's
 *   page objects;
 * - each message: 3 tokens of framing, as OpenAI counts;
 * - tools: 346 tokens of the tool-use system prompt Anthropic adds when a request has tools.
 * It is an estimate, and the answer says so (`x-gateway-token-count: estimated`).
 * @see https://docs.anthropic.com/en/docs/build-with-claude/vision#calculate-image-costs
 * @see https://docs.anthropic.com/en/docs/build-with-claude/pdf-support#estimate-your-costs
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview#pricing
 */
import { countTokens, estimateTokens } from '../../../src/tokens.js';
import type { ContentBlockParam, CountTokensRequest, DocumentBlockParam } from './messages-schema.js';

export const DEFAULT_TOKENIZER = 'o200k_base';
export const TOKENS_PER_IMAGE = 1600;
export const TOKENS_PER_PDF_PAGE = 3000;
export const TOKENS_PER_MESSAGE = 3;
export const TOOL_USE_PROMPT_TOKENS = 346;

// `/Type /Page` but not `/Type /Pages`: one per page of a PDF.
const PDF_PAGE = /\/Type\s*\/Page(?!s)/g;

function pdfPages(base64: string): number {
  const text = Buffer.from(base64, 'base64').toString('latin1');
  return Math.max(1, text.match(PDF_PAGE)?.length ?? 0);
}

interface Tally {
  texts: string[];
  extra: number;
}

function tallyDocument(block: DocumentBlockParam, tally: Tally): void {
  const source = block.source;
  if (block.title) tally.texts.push(block.title);
  if (block.context) tally.texts.push(block.context);
  switch (source.type) {
    case 'base64':
      tally.extra += pdfPages(source.data) * TOKENS_PER_PDF_PAGE;
      return;
    case 'text':
      tally.texts.push(source.data);
      return;
    case 'content':
      if (typeof source.content === 'string') tally.texts.push(source.content);
      else for (const inner of source.content) tallyBlock(inner, tally);
      return;
    default:
      // A URL or a file id: the gateway does not fetch it to count it.
      tally.extra += TOKENS_PER_PDF_PAGE;
  }
}

function tallyBlock(block: ContentBlockParam, tally: Tally): void {
  const fields = block as Record<string, unknown>;
  switch (block.type) {
    case 'text':
      tally.texts.push(String(fields['text'] ?? ''));
      return;
    case 'image':
      tally.extra += TOKENS_PER_IMAGE;
      return;
    case 'document':
      tallyDocument(block as DocumentBlockParam, tally);
      return;
    case 'tool_use':
      tally.texts.push(String(fields['name'] ?? ''), JSON.stringify(fields['input'] ?? {}));
      return;
    case 'tool_result': {
      const content = fields['content'];
      if (typeof content === 'string') tally.texts.push(content);
      else if (Array.isArray(content))
        for (const inner of content) tallyBlock(inner as ContentBlockParam, tally);
      return;
    }
    case 'thinking':
      tally.texts.push(String(fields['thinking'] ?? ''));
      return;
    case 'redacted_thinking':
      return;
    default:
      tally.texts.push(JSON.stringify(block));
  }
}

export async function estimateInputTokens(
  body: CountTokensRequest,
  tokenizer: string = DEFAULT_TOKENIZER,
): Promise<number> {
  const tally: Tally = { texts: [], extra: 0 };
  const system = body.system;
  if (typeof system === 'string') tally.texts.push(system);
  else for (const block of system ?? []) tally.texts.push(block.text);
  for (const message of body.messages) {
    tally.extra += TOKENS_PER_MESSAGE;
    if (typeof message.content === 'string') tally.texts.push(message.content);
    else for (const block of message.content) tallyBlock(block, tally);
  }
  const tools = body.tools ?? [];
  if (tools.length > 0) {
    tally.extra += TOOL_USE_PROMPT_TOKENS;
    for (const tool of tools) tally.texts.push(JSON.stringify(tool));
  }
  const text = tally.texts.join('\n');
  const counted =
    (await countTokens(text, tokenizer)) ??
    (await countTokens(text, DEFAULT_TOKENIZER)) ??
    estimateTokens(text.length);
  return counted + tally.extra;
}
