/**
 * docs/inbound/anthropic.md keeps up with the code: its request table names every field the
 * Anthropic door validates, its block table every block type the door converts or refuses by name,
 * its thinking table is the budget table the door uses, and its error table every error type.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CountTokensRequestSchema,
  MessagesRequestSchema,
} from '../../plugins/api/anthropic-messages/messages-schema.js';
import {
  THINKING_BUDGET_TABLE,
  mapThinkingBudget,
} from '../../plugins/api/anthropic-messages/map-thinking-budget.js';
import { ERROR_TYPE_OF_STATUS } from '../../plugins/api/anthropic-messages/render-messages-error.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';

const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'inbound', 'anthropic.md'), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`## ${title}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** The cells of a column of every table row of a section (header and rule rows left out). */
function column(text: string, index: number): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .map((line) => (line.split('|')[index + 1] ?? '').trim());
}

/** The names written as code in the first column of a section's tables. */
function firstColumnNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const cell of column(text, 0)) for (const match of cell.matchAll(/`([^`]+)`/g)) names.add(match[1]!);
  return names;
}

describe('docs/inbound/anthropic.md', () => {
  it('names every request field the door validates', () => {
    const fields = firstColumnNames(section('Request fields'));
    const named = new Set([...fields].map((field) => field.split(/[.\s(]/)[0]!));
    const validated = [
      ...Object.keys(MessagesRequestSchema.properties),
      ...Object.keys(CountTokensRequestSchema.properties),
    ];
    expect(validated.filter((field) => !named.has(field))).toEqual([]);
    expect(fields.has('metadata.user_id')).toBe(true);
    expect(fields.has('tool_choice.disable_parallel_tool_use')).toBe(true);
  });

  it('names every block type and role', () => {
    const blocks = firstColumnNames(section('Messages and blocks'));
    const expected = [
      'system',
      'user',
      'assistant',
      'text',
      'image',
      'document',
      'tool_use',
      'tool_result',
      'thinking',
      'redacted_thinking',
      'search_result',
      'server_tool_use',
    ];
    expect(expected.filter((name) => !blocks.has(name))).toEqual([]);
  });

  it('gives the budget table the door uses', () => {
    const rows = column(section('Thinking'), 0)
      .map((cell, index) => [cell, column(section('Thinking'), 1)[index]!] as const)
      .filter(([budget]) => /^\d/.test(budget));
    expect(rows).toHaveLength(THINKING_BUDGET_TABLE.length);
    for (const [budget, effort] of rows) {
      const from = Number(budget.split(/\s/)[0]);
      expect(effort).toBe(`\`${mapThinkingBudget(from)}\``);
    }
  });

  it('names every error type, with its status', () => {
    const errors = section('Errors');
    const statuses = column(errors, 0);
    const types = column(errors, 1);
    for (const [status, type] of Object.entries(ERROR_TYPE_OF_STATUS)) {
      expect(types[statuses.indexOf(status)]).toBe(`\`${type}\``);
    }
  });
});
