// `npm run build`, after tsc: bundles `slipway controller` (src/cmd/controller.ts and all it
// imports, dependencies included) into one file, dist/cmd/controller.js, in place of tsc's
// output. The controller's restart is its downtime: one file starts in a fraction of the time
// of ~600 modules resolved and loaded one by one (@kubernetes/client-node alone pulls in its
// whole generated API). The other commands stay as tsc wrote them.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cmd/controller.ts'],
  outfile: 'dist/cmd/controller.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Whitespace and syntax only: names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies (node-fetch, ws, ...) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);",
  },
});
