/**
 * The README's provider table and the provider documents follow the manifest: every provider, its
 * type and every variable it reads are listed, and each has its page under docs/providers/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../plugins/providers/index.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const table = readme.slice(
  readme.indexOf('### Providers'),
  readme.indexOf('\n## ', readme.indexOf('### Providers')),
);

describe('the providers in the README and docs/providers/', () => {
  it.each(PROVIDERS.map((provider) => [provider.type, provider] as const))('%s', (type, provider) => {
    const row = table
      .split('\n')
      .find((line) => line.split('|').some((cell) => cell.trim() === `\`${type}\``));
    expect(row, `a row for ${type}`).toBeDefined();
    for (const variable of provider.variables) expect(row).toContain(`\`${variable.name}\``);
    expect(
      existsSync(join(PACKAGE_ROOT, 'docs', 'providers', `${type}.md`)),
      `docs/providers/${type}.md`,
    ).toBe(true);
  });
});
