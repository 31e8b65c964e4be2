/**
 * What a semantic lookup compares by meaning, and what must match exactly. Only the conversation's
 * last user turn (and, with `window`, that many turns before it) is embedded; everything else that
 * changes an answer (the model it resolved to, system and developer messages, older turns, tools,
 * response format, sampling parameters, any field the gateway does not know) is hashed, with the
 * exact cache's canonical form (cache-key.ts), into the partition: two requests are compared only
 * when their partitions are equal.
 *
 * Turns holding tool calls or tool results, and media (images, audio, files), are left to the exact
 * cache unless configured: a tool's output or a picture is not a paraphrase of another. When they
 * are allowed, media parts go into the partition (they must be the same bytes) and tool turns are
 * compared as text.
 */
import type { ChatCompletionRequest, ChatMessage } from '../../../schemas/chat.js';
import { chatAnswerDigest } from '../cache-key.js';

export interface SubjectRules {
  /** Earlier turns compared with the last user turn. */
  readonly window: number;
  readonly allowToolResults: boolean;
  readonly allowMedia: boolean;
}

export type SemanticSubject =
  | { readonly partition: string; readonly text: string }
  | { readonly refused: 'not_user_turn' | 'tool_turns' | 'media' | 'no_text' };

const INSTRUCTION_ROLES = new Set(['system', 'developer']);

/** The request's compared text and partition digest, or why it cannot be looked up by meaning. */
export function semanticSubjectOf(
  body: ChatCompletionRequest,
  resolvedModel: string,
  rules: SubjectRules,
): SemanticSubject {
  const messages = body.messages as ChatMessage[];
  const last = messages.at(-1);
  if (!last || (last.role !== 'user' && !(last.role === 'tool' && rules.allowToolResults)))
    return { refused: 'not_user_turn' };

  // The compared turns: the last one and up to `window` conversation turns before it.
  const compared: number[] = [];
  for (let index = messages.length - 1; index >= 0 && compared.length <= rules.window; index--) {
    if (!INSTRUCTION_ROLES.has(messages[index]!.role)) compared.unshift(index);
  }
  const comparedSet = new Set(compared);
  const history: unknown[] = [];
  messages.forEach((message, index) => {
    if (!comparedSet.has(index)) history.push(message);
  });

  const shapes: unknown[] = [];
  const lines: string[] = [];
  for (const index of compared) {
    const message = messages[index]! as ChatMessage & Record<string, unknown>;
    const toolTurn =
      message.role === 'tool' ||
      message.role === 'function' ||
      message['tool_calls'] != null ||
      message['function_call'] != null;
    if (toolTurn && !rules.allowToolResults) return { refused: 'tool_turns' };
    const { text, media } = splitContent(message['content']);
    if (media.length > 0 && !rules.allowMedia) return { refused: 'media' };
    const calls = toolCallsText(message);
    // Everything of the turn but its words: role, name, media, which tools it called.
    shapes.push({
      role: message.role,
      name: message['name'] ?? null,
      media,
      tools: calls.names,
    });
    lines.push(calls.text ? `${text}\n${calls.text}`.trim() : text);
  }
  const text =
    lines.length === 1
      ? lines[0]!
      : lines.map((line, position) => `${messages[compared[position]!]!.role}: ${line}`).join('\n');
  if (text.trim() === '') return { refused: 'no_text' };

  const fields: Record<string, unknown> = { ...body, messages: undefined };
  fields['semantic_partition'] = { history, compared: shapes };
  return { partition: chatAnswerDigest(fields, `semantic:${resolvedModel}`), text };
}

function splitContent(content: unknown): { text: string; media: unknown[] } {
  if (typeof content === 'string') return { text: content, media: [] };
  if (!Array.isArray(content)) return { text: '', media: [] };
  const texts: string[] = [];
  const media: unknown[] = [];
  for (const part of content as { type?: string; text?: unknown; refusal?: unknown }[]) {
    if (part?.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part?.type === 'refusal' && typeof part.refusal === 'string') texts.push(part.refusal);
    else media.push(part);
  }
  return { text: texts.join('\n'), media };
}

function toolCallsText(message: Record<string, unknown>): { names: string[]; text: string } {
  const calls = message['tool_calls'];
  if (!Array.isArray(calls)) return { names: [], text: '' };
  const names: string[] = [];
  const texts: string[] = [];
  for (const call of calls as { function?: { name?: unknown; arguments?: unknown } }[]) {
    names.push(String(call?.function?.name ?? ''));
    if (typeof call?.function?.arguments === 'string') texts.push(call.function.arguments);
  }
  return { names, text: texts.join('\n') };
}
