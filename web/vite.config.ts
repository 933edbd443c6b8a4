// Builds the dashboard UI (web/) into dist/ui, which `slipway dashboard` serves and the npm
// package ships. Relative asset URLs, so it works under any --root-path.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    // One small bundle: no preloads or inline polyfills, so the CSP can stay 'self'.
    modulePreload: false,
    chunkSizeWarningLimit: 300,
  },
});
