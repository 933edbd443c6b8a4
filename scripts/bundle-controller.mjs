// `npm run build`, after tsc: bundles `slipway controller` (src/cmd/controller.ts and all it
// imports, dependencies included) into one file, dist/cmd/controller.js, in place of tsc's
// output. The controller's restart is its downtime: one file starts in a fraction of the time
// (and CPU) of ~600 modules resolved and loaded one by one. The other commands stay as tsc
// wrote them.
import { build } from 'esbuild';

// The controller takes only KubeConfig and Watch from @kubernetes/client-node, whose index
// also loads its whole generated API (models, serializers). Taken from their own modules, with
// the generated code marked free of side effects, the unused part is left out. A new value
// import from the library fails this build until it is added here.
const CLIENT_NODE_PARTS = [
  "export { KubeConfig } from '@kubernetes/client-node/dist/config.js';",
  "export { Watch } from '@kubernetes/client-node/dist/watch.js';",
].join('\n');

const clientNodeParts = {
  name: 'client-node-parts',
  setup(b) {
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({
      path: 'client-node',
      namespace: 'slipway',
    }));
    b.onLoad({ filter: /.*/, namespace: 'slipway' }, () => ({
      contents: CLIENT_NODE_PARTS,
      resolveDir: process.cwd(),
      loader: 'js',
    }));
    b.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === 'inner' || !args.importer.includes('@kubernetes/client-node/dist'))
        return undefined;
      const resolved = await b.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: 'inner',
      });
      return resolved.path.includes('/client-node/dist/gen/')
        ? { ...resolved, sideEffects: false }
        : undefined;
    });
  },
};

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
  plugins: [clientNodeParts],
  // CommonJS dependencies (node-fetch, ws, ...) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);",
  },
});
