/**
 * docs/providers/anthropic.md keeps up with the code: its request table names every field of the
 * OpenAI chat request the gateway validates and every parameter the Anthropic adapter honours, and
 * its message table every role and content part.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatCompletionRequestSchema } from '../../schemas/chat.js';
import { ANTHROPIC_CHAT_PARAMETERS } from '../../plugins/providers/anthropic/convert-to-anthropic-request.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';

const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'providers', 'anthropic.md'), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`## ${title}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** The names written as code in the first column of a section's table. */
function firstColumnNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) continue;
    const first = line.split('|')[1] ?? '';
    for (const match of first.matchAll(/`([^`]+)`/g)) names.add(match[1]!.split(/[.:\s]/)[0]!);
  }
  return names;
}

describe('docs/providers/anthropic.md', () => {
  const parameters = firstColumnNames(section('Request parameters'));

  it('names every field of the chat request', () => {
    const fields = Object.keys(ChatCompletionRequestSchema.properties);
    expect(fields.filter((field) => !parameters.has(field))).toEqual([]);
  });

  it('names every parameter the adapter honours', () => {
    expect([...ANTHROPIC_CHAT_PARAMETERS].filter((parameter) => !parameters.has(parameter))).toEqual([]);
  });

  it('names every message role and content part', () => {
    const messages = firstColumnNames(section('Messages and content'));
    const expected = [
      'system',
      'developer',
      'user',
      'assistant',
      'tool',
      'function',
      'text',
      'image_url',
      'file',
      'input_audio',
      'refusal',
    ];
    expect(expected.filter((name) => !messages.has(name))).toEqual([]);
  });
});
