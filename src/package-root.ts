import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The gateway package's own folder, whether it runs from src/ (tsx, vitest) or dist/src/ (built). */
function findPackageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('llm-gateway: cannot find the package folder');
    directory = parent;
  }
  return directory;
}

export const PACKAGE_ROOT = findPackageRoot();

const packageJson = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
export const PACKAGE_NAME = packageJson.name;
export const PACKAGE_VERSION = packageJson.version;
