/**
 * Copies what the compiler does not: the providers' catalog files (plugins/providers/<type>/models.yaml)
 * next to their compiled code, where each descriptor finds its own. Run by `npm run build`; the output
 * folder is dist/ unless named: `node scripts/copy-assets.ts <folder>`.
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const output = process.argv[2] ?? join(root, 'dist');
const providers = join(root, 'plugins', 'providers');
for (const type of readdirSync(providers, { withFileTypes: true })) {
  if (!type.isDirectory()) continue;
  const catalog = join(providers, type.name, 'models.yaml');
  if (existsSync(catalog)) {
    cpSync(catalog, join(output, 'plugins', 'providers', type.name, 'models.yaml'));
  }
}
