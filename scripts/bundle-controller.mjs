// `npm run build`, after tsc: bundles `slipway controller` (src/cmd/controller.ts and all it
// imports, dependencies included) into dist/cmd/controller.js, in place of tsc's output, plus
// dist/cmd/controller-chunks/ (the controllers, loaded once the process leads, and code both
// share). The controller's restart is its downtime: a few files start in a fraction of the
// time (and CPU) of ~600 modules resolved and loaded one by one. The other commands stay as
// tsc wrote them.
import { rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
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

// Node's built-ins through require() rather than ESM imports: an ESM import of a built-in
// builds its module facade by reading every export, and node:http's getters then load Node's
// whole fetch implementation (undici), 20 ms of start-up CPU for an export nothing here uses.
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z:_/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      if (args.namespace === 'builtin') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// Chunks of an earlier build would pile up (their names carry a content hash).
rmSync('dist/cmd/controller-chunks', { recursive: true, force: true });

// node-fetch 2 (client-node's Watch) takes the URL class from node:url and only falls back to
// whatwg-url's when node:url has none, which no Node we run on lacks; the fallback's tr46 is a
// quarter of the entry's code (a Unicode table evaluated at load) and loads the deprecated
// punycode built-in. Node's URL in its place.
const nodeUrlForWhatwgUrl = {
  name: 'node-url-for-whatwg-url',
  setup(b) {
    b.onResolve({ filter: /^whatwg-url$/ }, (args) =>
      args.importer.includes('/node_modules/node-fetch/')
        ? { path: 'whatwg-url', namespace: 'node-url' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'node-url' }, () => ({
      contents: 'exports.URL = URL; exports.URLSearchParams = URLSearchParams;',
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['src/cmd/controller.ts'],
  outdir: 'dist/cmd',
  // The controllers' modules (src/process/controllers.ts, imported once the process leads)
  // become a chunk of their own: the Lease campaign does not wait for them to compile.
  splitting: true,
  chunkNames: 'controller-chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Whitespace and syntax only: names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [clientNodeParts, builtinsByRequire, nodeUrlForWhatwgUrl],
  // CommonJS dependencies (node-fetch, ws, ...) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);",
  },
});
