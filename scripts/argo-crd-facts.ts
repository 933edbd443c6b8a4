// Writes test/fixtures/argo-crds/facts.json: what the schema test compares our CRDs with, taken
// from Argo Rollouts v1.10.2's manifests/crds in its Go module (read from the module cache, not
// copied): every `default:` with its path, the type of each node on the way to it, and the
// subresources.
//
//   npx tsx scripts/argo-crd-facts.ts      (needs Go; downloads the module with go1.27.3)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const module = 'github.com/argoproj/argo-rollouts@v1.10.2';
const info = JSON.parse(
  execFileSync('go', ['mod', 'download', '-json', module], {
    env: { ...process.env, GOTOOLCHAIN: 'go1.27.3', GOFLAGS: '-mod=mod' },
    encoding: 'utf8',
  }),
) as { Dir: string };
const dir = join(info.Dir, 'manifests', 'crds');

type Node = {
  type?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
};

const facts: Record<
  string,
  { defaults: Record<string, unknown>; types: Record<string, string>; subresources: Record<string, unknown> }
> = {};
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('-crd.yaml'))
  .sort()) {
  const crd = parse(readFileSync(join(dir, file), 'utf8')) as {
    spec: {
      names: { kind: string };
      versions: { schema: { openAPIV3Schema: Node }; subresources?: Record<string, unknown> }[];
    };
  };
  const defaults: Record<string, unknown> = {};
  const types: Record<string, string> = {};
  const walk = (node: Node, path: string, trail: [string, string | undefined][]): void => {
    const here: [string, string | undefined][] = [...trail, [path, node.type]];
    if ('default' in node) {
      defaults[path] = node.default;
      for (const [p, t] of here) if (t !== undefined) types[p] = t;
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`, here);
    if (node.items) walk(node.items, `${path}[]`, here);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`, here);
  };
  walk(crd.spec.versions[0]!.schema.openAPIV3Schema, '', []);
  facts[crd.spec.names.kind] = { defaults, types, subresources: crd.spec.versions[0]!.subresources ?? {} };
}
const target = new URL('../test/fixtures/argo-crds/facts.json', import.meta.url);
writeFileSync(target, `${JSON.stringify({ source: `${module} manifests/crds`, kinds: facts }, null, 2)}\n`);
process.stdout.write(`wrote ${Object.keys(facts).length} kinds to ${target.pathname}\n`);
