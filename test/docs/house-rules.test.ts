/**
 * The house rules a search can check (docs/architecture.md, CONTRIBUTING.md): providers are reached
 * through the registry only, only the standalone shell reads the environment, and no TODO is left
 * without an issue number.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';

function sourceFiles(folder: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(join(PACKAGE_ROOT, folder))) {
    const path = join(folder, name);
    if (statSync(join(PACKAGE_ROOT, path)).isDirectory()) found.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) found.push(path);
  }
  return found;
}

/** Code lines (comments left out) of every TypeScript file of the gateway, with where they are. */
function codeLines(): { where: string; line: string }[] {
  const lines: { where: string; line: string }[] = [];
  for (const file of [...sourceFiles('src'), ...sourceFiles('plugins'), ...sourceFiles('schemas')]) {
    readFileSync(join(PACKAGE_ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, index) => {
        const trimmed = line.trim();
        if (trimmed.startsWith('//') || trimmed.startsWith('*') || trimmed.startsWith('/*')) return;
        lines.push({ where: `${relative('.', file)}:${index + 1}`, line });
      });
  }
  return lines;
}

describe('house rules', () => {
  const lines = codeLines();

  it('names no provider outside plugins/providers/ (routes and the router go through the registry)', () => {
    const named = lines.filter(
      ({ where, line }) =>
        !where.startsWith('plugins/providers/') && /(['"`])(openai|gemini|google)\1/i.test(line),
    );
    expect(named.map(({ where, line }) => `${where}: ${line.trim()}`)).toEqual([]);
  });

  it('reads process.env only in src/server.ts and src/config.ts', () => {
    const readers = lines.filter(
      ({ where, line }) => /process\.env/.test(line) && !/^src\/(server|config)\.ts:/.test(where),
    );
    expect(readers.map(({ where }) => where)).toEqual([]);
  });

  it('leaves no TODO or FIXME without an issue number', () => {
    const files = [
      ...sourceFiles('src'),
      ...sourceFiles('plugins'),
      ...sourceFiles('schemas'),
      ...sourceFiles('test'),
    ].filter((file) => !file.endsWith('house-rules.test.ts'));
    const loose = files.flatMap((file) =>
      readFileSync(join(PACKAGE_ROOT, file), 'utf8')
        .split('\n')
        .filter(
          (line) => /\b(TODO|FIXME)\b/.test(line) && !/#\d+/.test(line) && !line.includes('(TODO|FIXME)'),
        )
        .map((line) => `${file}: ${line.trim()}`),
    );
    expect(loose).toEqual([]);
  });
});
