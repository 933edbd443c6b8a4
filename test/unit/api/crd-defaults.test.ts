import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCrd } from '../../../src/api/crd.js';
import { ALL_KINDS } from '../../../src/api/kinds.js';

// Argo Rollouts v1.10.2's manifests/crds, summarized by scripts/argo-crd-facts.ts: every
// `default:` with its path, the type of every node on the way to one, and the subresources.
const facts = JSON.parse(
  readFileSync(new URL('../../fixtures/argo-crds/facts.json', import.meta.url), 'utf8'),
) as {
  kinds: Record<
    string,
    {
      defaults: Record<string, unknown>;
      types: Record<string, string>;
      subresources: Record<string, unknown>;
    }
  >;
};

type Node = {
  type?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
};

function summarize(schema: Node) {
  const defaults: Record<string, unknown> = {};
  const types: Record<string, string | undefined> = {};
  const walk = (node: Node, path: string): void => {
    types[path] = node.type;
    if ('default' in node) defaults[path] = node.default;
    for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`);
    if (node.items) walk(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`);
  };
  walk(schema, '');
  return { defaults, types };
}

const argoKinds = ALL_KINDS.filter((kind) => kind.group === 'argoproj.io');

describe("CRD defaults match Argo Rollouts v1.10.2's CRDs", () => {
  // Where status is written depends on it (AnalysisRun and Experiment: with the object), so a
  // cluster can switch between Argo and Slipway with either product's CRDs installed.
  it.each(argoKinds.map((k) => [k.kind, k] as const))(
    "%s has the subresources of Argo's CRD",
    (kind, def) => {
      const [version] = buildCrd(def).spec.versions as { subresources?: Record<string, unknown> }[];
      expect(version?.subresources ?? {}).toEqual(facts.kinds[kind]?.subresources);
    },
  );

  it('covers every Argo kind', () => {
    expect(argoKinds.map((k) => k.kind).sort()).toEqual(Object.keys(facts.kinds).sort());
  });

  describe.each(argoKinds.map((kind) => [kind.kind, kind] as const))('%s', (name, kind) => {
    const versions = buildCrd(kind).spec.versions as { schema: { openAPIV3Schema: Node } }[];
    const ours = summarize(versions[0]!.schema.openAPIV3Schema);
    const argo = facts.kinds[name]!;

    it('has the same default values at the same paths', () => {
      expect(ours.defaults).toEqual(argo.defaults);
    });

    it('gives each node on the way to a default the type Argo gives it', () => {
      const mismatches = Object.entries(argo.types)
        .filter(([path, type]) => ours.types[path] !== undefined && ours.types[path] !== type)
        .map(([path, type]) => `${path}: ours ${ours.types[path]}, Argo ${type}`);
      expect(mismatches).toEqual([]);
      for (const path of Object.keys(argo.defaults)) expect(ours.types[path], path).toBe(argo.types[path]);
    });
  });
});
