/**
 * docs/inbound/gemini.md keeps up with the code: its request table names every field of the Gemini
 * request and of its generation settings the door validates, and its contents table every part field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GenerateContentRequestSchema,
  GenerationConfigSchema,
  PartSchema,
} from '../../plugins/api/gemini/gemini-schemas.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';

const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'inbound', 'gemini.md'), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`### ${title}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n#', start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** The names written as code in the first column of a section's tables (`a.b` gives `a.b`). */
function firstColumnNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) continue;
    for (const match of (line.split('|')[1] ?? '').matchAll(/`([^`]+)`/g))
      names.add(match[1]!.split(/[:\s]/)[0]!);
  }
  return names;
}

describe('docs/inbound/gemini.md', () => {
  const fields = firstColumnNames(section('Request fields'));

  it('names every top-level field of the request', () => {
    const named = new Set([...fields].map((name) => name.split(/[.[]/)[0]!));
    const missing = Object.keys(GenerateContentRequestSchema.properties).filter((field) => !named.has(field));
    expect(missing).toEqual([]);
  });

  it('names every generation setting the door validates', () => {
    const missing = Object.keys(GenerationConfigSchema.properties).filter(
      (field) => !fields.has(`generationConfig.${field}`) && !fields.has(field),
    );
    expect(missing).toEqual([]);
  });

  it('names every part field the door reads', () => {
    const parts = firstColumnNames(section('Contents'));
    const missing = Object.keys(PartSchema.properties).filter((field) => !parts.has(field));
    expect(missing).toEqual([]);
  });
});
