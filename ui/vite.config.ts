/**
 * The dashboard's build: ui/ into dist/ui, served by the gateway at /ui/ (plugins/ui.ts). Every
 * asset is a file of its own (no inline script or style), which the page's content security policy
 * requires.
 * @see https://vite.dev/config/
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  // Relative, so the dashboard works under any prefix the gateway is registered at.
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/ui'),
    emptyOutDir: true,
    // Never inline an asset as a data: URL in a script or style: the policy allows files only.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
