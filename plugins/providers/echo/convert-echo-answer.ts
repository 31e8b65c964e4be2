/**
 * What the echo provider answers, as pure functions: the text of the last user message, said back as
 * a chat completion, as the chunks of a stream (one per word, whitespace kept), or as deterministic
 * unit vectors (the same text always gets the same vector).
 */
import { createHash } from 'node:crypto';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../../schemas/chat.js';
import type { EmbeddingsRequest } from '../../../schemas/embeddings.js';
import type { Usage } from '../../../src/provider.js';
import { estimateTokens } from '../../../src/tokens.js';

/** What the echo says when the conversation has no user text to say back. */
export const NOTHING_TO_ECHO = 'There is nothing to echo: send a user message with some text.';

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: unknown; text?: unknown }) =>
      part?.type === 'text' && typeof part.text === 'string' ? part.text : '',
    )
    .filter((text) => text.length > 0)
    .join('\n');
}

/** The text of the last user message (its text parts joined), or a note when there is none. */
export function echoTextOf(request: ChatCompletionRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index--) {
    const message = request.messages[index]!;
    if (message.role === 'user') {
      const text = textOf(message.content);
      if (text.length > 0) return text;
    }
  }
  return NOTHING_TO_ECHO;
}

/** Characters of every message, for a token estimate of the prompt. */
function promptCharacters(request: ChatCompletionRequest): number {
  let characters = 0;
  for (const message of request.messages)
    characters += textOf((message as { content?: unknown }).content).length;
  return characters;
}

export function echoUsage(request: ChatCompletionRequest, text: string): Usage {
  const promptTokens = estimateTokens(promptCharacters(request));
  const completionTokens = estimateTokens(text.length);
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    reasoningTokens: 0,
    cachedTokens: 0,
  };
}

function wireUsage(usage: Usage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
}

export interface EchoIdentity {
  id: string;
  created: number;
  model: string;
}

export function convertToEchoCompletion(text: string, usage: Usage, identity: EchoIdentity): ChatCompletion {
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    usage: wireUsage(usage),
  };
}

/** The text in the pieces a stream sends: each word with the whitespace after it. */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [text];
}

function chunk(
  identity: EchoIdentity,
  delta: Record<string, unknown>,
  finish: string | null,
): ChatCompletionChunk {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  };
}

/** The chunks of a streamed echo, in order: the role, one per token, the finish, then the usage. */
export function convertToEchoChunks(
  text: string,
  usage: Usage,
  identity: EchoIdentity,
): { content: ChatCompletionChunk[]; usage: ChatCompletionChunk } {
  const content = [chunk(identity, { role: 'assistant', content: '' }, null)];
  for (const token of splitIntoTokens(text)) content.push(chunk(identity, { content: token }, null));
  content.push(chunk(identity, {}, 'stop'));
  const last: ChatCompletionChunk = {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [],
    usage: wireUsage(usage),
  };
  return { content, usage: last };
}

/** The texts of an embeddings request (token ids are read as their decimal digits). */
export function embeddingTexts(input: EmbeddingsRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  if (input.length > 0 && typeof input[0] === 'number') return [(input as number[]).join(' ')];
  return (input as (string | number[])[]).map((item) => (typeof item === 'string' ? item : item.join(' ')));
}

/** A unit vector of `dimensions` numbers drawn from SHA-256 of the text: the same text, the same vector. */
export function echoVector(text: string, dimensions: number): number[] {
  const values = new Array<number>(dimensions);
  let block = Buffer.alloc(0);
  for (let index = 0; index < dimensions; index++) {
    const offset = (index * 2) % 32;
    if (offset === 0) block = createHash('sha256').update(`${index}:${text}`).digest();
    values[index] = block.readUInt16BE(offset) / 32767.5 - 1;
  }
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0)) || 1;
  return values.map((value) => value / norm);
}

/** Float32 little-endian, base64: what `encoding_format: "base64"` asks for. */
export function encodeVector(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}
