/**
 * The image's build stage, into a folder of a test's own instead of the project's dist/: the
 * compile (no source maps, no declarations) and the copied assets, with package.json and config/
 * beside them. Which packages the app then sees in node_modules is the test's choice.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/package-root.js';

export const NODE = join(PACKAGE_ROOT, 'node_modules', '.bin', 'node');

export interface Finished {
  code: number | null;
  /** stdout and stderr, as they came. */
  output: string;
}

/** Runs a command to its end, collecting its output. */
export async function runToEnd(
  file: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Finished> {
  const child = spawn(file, args, {
    cwd: options.cwd ?? PACKAGE_ROOT,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

/** Compiles the gateway into `folder`/dist and copies what it reads beside it; each step's result. */
export async function compileApp(folder: string): Promise<{ compiled: Finished; copied: Finished }> {
  const compiled = await runToEnd(NODE, [
    join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    'tsconfig.build.json',
    '--outDir',
    join(folder, 'dist'),
    '--tsBuildInfoFile',
    join(folder, 'tsbuildinfo'),
    '--sourceMap',
    'false',
    '--declaration',
    'false',
  ]);
  const copied = await runToEnd(NODE, [
    join(PACKAGE_ROOT, 'scripts', 'copy-assets.ts'),
    join(folder, 'dist'),
  ]);
  cpSync(join(PACKAGE_ROOT, 'package.json'), join(folder, 'package.json'));
  cpSync(join(PACKAGE_ROOT, 'config'), join(folder, 'config'), { recursive: true });
  return { compiled, copied };
}
