/**
 * Every recorded Gemini response in test/fixtures/gemini/ is used by a test: a fixture nobody reads
 * is a case nobody checks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const testRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixtureRoot = join(testRoot, 'fixtures', 'gemini');

function filesUnder(folder: string, keep: (name: string) => boolean): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter(keep)
    .map((name) => name.split('\\').join('/'));
}

const fixtures = filesUnder(fixtureRoot, (name) => /\.(json|txt)$/.test(name));
const testSources = filesUnder(testRoot, (name) => name.endsWith('.test.ts'))
  .map((name) => readFileSync(join(testRoot, name), 'utf8'))
  .join('\n');

describe('recorded Gemini responses', () => {
  it('are all there', () => {
    expect(fixtures.length).toBe(46);
  });

  it.each(fixtures)('%s is used by a test', (fixture) => {
    expect(testSources).toContain(`'${fixture}'`);
  });
});
