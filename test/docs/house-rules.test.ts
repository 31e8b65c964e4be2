/**
 * The house rules a search can check (docs/architecture.md, CONTRIBUTING.md): providers are reached
 * through the registry only, only the standalone shell reads the environment, and no TODO is left
 * without an issue number.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../plugins/providers/index.js';
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
  for (const file of [
    ...sourceFiles('src'),
    ...sourceFiles('plugins'),
    ...sourceFiles('schemas'),
    ...sourceFiles('scripts'),
  ]) {
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

/** Every provider type of the manifest, and the other names its provider goes by. */
const PROVIDER_NAMES = [
  ...new Set([...PROVIDERS.map((provider) => provider.type.toLowerCase()), 'google', 'claude']),
];

/**
 * Where a name is data, not dispatch: a door of an inbound API is named after the API it speaks
 * (plugins/api/<api>/), never after the provider that serves a request; outside its folder only the
 * door itself (its folder and plugin) and the API's own header names may be named.
 */
const ALLOWED_FOLDERS: readonly { folder: string; names: readonly string[] }[] = [
  { folder: 'plugins/api/anthropic-messages/', names: ['anthropic', 'claude'] },
  { folder: 'plugins/api/gemini/', names: ['gemini', 'google'] },
];
const ALLOWED_TOKENS: readonly RegExp[] = [
  /^anthropic-?[Mm]essages(Routes)?$/, // the Anthropic Messages door
  /^anthropic-(version|beta)$/, // headers of the Anthropic Messages API
  /^openai-beta$/, // a header of OpenAI's API (the gateway's own), relayed by the realtime route
  /^openai-insecure-api-key$/, // the subprotocol that carries a browser's key in OpenAI's realtime API
];

function allowed(where: string, name: string, token: string): boolean {
  return (
    ALLOWED_FOLDERS.some((entry) => where.startsWith(entry.folder) && entry.names.includes(name)) ||
    ALLOWED_TOKENS.some((pattern) => pattern.test(token))
  );
}

// A module path inside a door's folder, as the composition root imports it.
const DOOR_IMPORT = /(['"])(?:\.{1,2}\/)+plugins\/api\/([a-z-]+)\/[^'"]*\1/g;

/** The line without the paths of the door modules it imports: a door's folder is its API's name. */
function withoutDoorImports(line: string): string {
  return line.replace(DOOR_IMPORT, (path, _quote, folder: string) =>
    ALLOWED_FOLDERS.some((entry) => entry.folder === `plugins/api/${folder}/`) ? '""' : path,
  );
}

/**
 * The provider names a code line uses as a name: in an identifier, an object key, an environment
 * variable or a one-word string (`openaiProvider`, `openai:`, `OPENAI_API_KEY`, `'openai'`), each
 * where a word of the token starts and ends. Strings with spaces are prose (messages, descriptions)
 * and are not read.
 */
function providerNamesIn(line: string): string[] {
  return [...new Set(providerNameTokens(line).map(({ name }) => name))];
}

/** Each provider name a line uses, with the token it is in (`openaiProvider`, `'openai'`). */
function providerNameTokens(line: string): { name: string; token: string }[] {
  const code = line.replace(/(['"`])(?:\\.|(?!\1).)*\1/g, (quoted) => (/\s/.test(quoted) ? '""' : quoted));
  const found: { name: string; token: string }[] = [];
  for (const token of code.match(/[A-Za-z0-9_$-]+/g) ?? []) {
    const lower = token.toLowerCase();
    for (const name of PROVIDER_NAMES) {
      let at = lower.indexOf(name);
      while (at !== -1) {
        const before = at === 0 ? '' : token[at - 1]!;
        const first = token[at]!;
        const after = token[at + name.length] ?? '';
        const starts =
          before === '' || /[_$-]/.test(before) || (/[a-z0-9]/.test(before) && /[A-Z]/.test(first));
        const ends = after === '' || /[_$0-9.-]/.test(after) || /[A-Z]/.test(after);
        if (starts && ends) found.push({ name, token });
        at = lower.indexOf(name, at + 1);
      }
    }
  }
  return found;
}

describe('house rules', () => {
  const lines = codeLines();

  it('names no provider outside plugins/providers/, in any form (routes and the router go through the registry)', () => {
    const named = lines
      .filter(({ where }) => !where.startsWith('plugins/providers/'))
      .flatMap(({ where, line }) =>
        providerNameTokens(withoutDoorImports(line))
          .filter(({ name, token }) => !allowed(where, name, token))
          .map(({ name }) => `${where}: ${name}: ${line.trim()}`),
      );
    expect(named).toEqual([]);
  });

  it('catches a provider named as a key, an identifier, a variable or a type string', () => {
    expect(providerNamesIn('const settings = { openai: { apiKey } };')).toEqual(['openai']);
    expect(providerNamesIn('import { geminiProviderPlugin } from "x";')).toEqual(['gemini']);
    expect(providerNamesIn('const key = env.ANTHROPIC_API_KEY;')).toEqual(['anthropic']);
    expect(providerNamesIn("if (instance.type === 'echo') return;")).toEqual(['echo']);
    expect(providerNamesIn('class OpenAIAdapter {}')).toEqual(['openai']);
    // Prose in a message or description, and words that only begin like a name, are not names.
    expect(providerNamesIn("throw new Error('served by an OpenAI-compatible server');")).toEqual([]);
    expect(providerNamesIn('const echoed = request.id;')).toEqual([]);
  });

  it("lets the composition root import a door's modules by their path, and nothing else", () => {
    expect(
      providerNamesIn(withoutDoorImports("import { routes } from '../plugins/api/gemini/gemini-routes.js';")),
    ).toEqual([]);
    expect(
      providerNamesIn(
        withoutDoorImports("import { geminiRoutes } from '../plugins/api/gemini/gemini-routes.js';"),
      ),
    ).toEqual(['gemini']);
    expect(providerNamesIn(withoutDoorImports("import { x } from '../plugins/api/openai/x.js';"))).toEqual([
      'openai',
    ]);
  });

  it('reads process.env only in the shells: src/server.ts, src/config.ts and the scripts', () => {
    const readers = lines.filter(
      ({ where, line }) => /process\.env/.test(line) && !/^(src\/(server|config)\.ts|scripts\/)/.test(where),
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
