/**
 * Every recorded Anthropic response in test/fixtures/anthropic/ is used by a test: a fixture nobody
 * reads is a case nobody checks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const testRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = readdirSync(join(testRoot, 'fixtures', 'anthropic')).filter((name) =>
  /\.(json|txt)$/.test(name),
);
const testSources = readdirSync(testRoot, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.test.ts'))
  .map((name) => readFileSync(join(testRoot, name), 'utf8'))
  .join('\n');

describe('recorded Anthropic responses', () => {
  it('are all there', () => {
    expect(fixtures.length).toBe(16);
  });

  it.each(fixtures)('%s is used by a test', (fixture) => {
    expect(testSources).toContain(`'${fixture}'`);
  });
});
