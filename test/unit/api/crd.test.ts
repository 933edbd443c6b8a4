import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCrd } from '../../../src/api/crd.js';
import { renderCrdFiles } from '../../../src/api/crd-files.js';
import { ALL_KINDS, ROLLOUT_KIND } from '../../../src/api/kinds.js';
import { CRD_DIR } from '../../../src/package-paths.js';

type Schema = Record<string, unknown>;

/** Paths of schema nodes that break the API server's structural-schema rules. */
function structuralViolations(node: Schema, path: string): string[] {
  const found: string[] = [];
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const open = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!intOrString && !open && typeof node.type !== 'string') found.push(`${path}: no type`);
  for (const forbidden of ['patternProperties', 'const', 'oneOf', '$ref', 'allOf']) {
    if (forbidden in node) found.push(`${path}: uses ${forbidden}`);
  }
  if ('anyOf' in node && !intOrString) found.push(`${path}: anyOf outside int-or-string`);
  if (node.type === 'object' && 'properties' in node && typeof node.additionalProperties === 'object') {
    found.push(`${path}: both properties and additionalProperties`);
  }
  const properties = (node.properties ?? {}) as Record<string, Schema>;
  for (const [name, child] of Object.entries(properties))
    found.push(...structuralViolations(child, `${path}.${name}`));
  if (node.items) found.push(...structuralViolations(node.items as Schema, `${path}[]`));
  if (typeof node.additionalProperties === 'object') {
    found.push(...structuralViolations(node.additionalProperties as Schema, `${path}{}`));
  }
  return found;
}

describe('generated CRDs', () => {
  it('are up to date in the chart (run `npm run generate` when this fails)', () => {
    const expected = renderCrdFiles();
    expect(readdirSync(CRD_DIR).sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) {
      expect(readFileSync(join(CRD_DIR, name), 'utf8'), `${name} is stale`).toBe(text);
    }
  });

  it.each(ALL_KINDS.map((k) => [k.kind, k]))('%s has a structural schema', (_, kind) => {
    const crd = buildCrd(kind);
    const versions = crd.spec.versions as { schema: { openAPIV3Schema: Schema } }[];
    expect(structuralViolations(versions[0]!.schema.openAPIV3Schema, kind.kind)).toEqual([]);
  });

  it('uses the short names users know', () => {
    expect(
      Object.fromEntries(
        ALL_KINDS.filter((k) => k.group === 'argoproj.io').map((k) => [k.kind, k.shortNames]),
      ),
    ).toEqual({
      Rollout: ['ro'],
      AnalysisTemplate: ['at'],
      ClusterAnalysisTemplate: ['cat'],
      AnalysisRun: ['ar'],
      Experiment: ['exp'],
    });
  });

  it('gives Rollout a scale subresource an HPA can target, reading HPAReplicas and the selector', () => {
    const crd = buildCrd(ROLLOUT_KIND);
    const [version] = crd.spec.versions as { subresources: Record<string, unknown> }[];
    expect(version!.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.HPAReplicas',
        labelSelectorPath: '.status.selector',
      },
    });
  });

  it('keeps observedGeneration a string, as Argo CD parses it with tonumber()', () => {
    const crd = buildCrd(ROLLOUT_KIND);
    const [version] = crd.spec.versions as { schema: { openAPIV3Schema: Schema } }[];
    const status = (version!.schema.openAPIV3Schema.properties as Record<string, Schema>).status!;
    const observed = (status.properties as Record<string, Schema>).observedGeneration!;
    expect(observed.type).toBe('string');
  });

  it('marks maxSurge as int-or-string', () => {
    const crd = buildCrd(ROLLOUT_KIND);
    const [version] = crd.spec.versions as { schema: { openAPIV3Schema: Schema } }[];
    const at = (node: Schema, ...path: string[]): Schema =>
      path.reduce((n, key) => (n.properties as Record<string, Schema>)[key]!, node);
    const maxSurge = at(version!.schema.openAPIV3Schema, 'spec', 'strategy', 'canary', 'maxSurge');
    expect(maxSurge['x-kubernetes-int-or-string']).toBe(true);
  });
});
