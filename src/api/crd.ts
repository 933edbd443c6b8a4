// Builds CustomResourceDefinition manifests from the kind registry. The output is plain
// data; `generate.ts` writes it to the chart and a unit test fails when the files are stale.
import type { KindDefinition } from './kinds.js';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/** A TypeBox schema as plain JSON: TypeBox's symbol keys are dropped. */
export function toStructuralSchema(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema));
}

export function buildCrd(def: KindDefinition): CustomResourceDefinition {
  const subresources: Record<string, unknown> = {};
  if (def.hasStatus) subresources.status = {};
  if (def.scale) subresources.scale = { ...def.scale };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${def.group}`,
      labels: { 'app.kubernetes.io/part-of': 'slipway' },
    },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
      },
      scope: def.scope,
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema: toStructuralSchema(def.schema) },
          ...(Object.keys(subresources).length > 0 ? { subresources } : {}),
        },
      ],
    },
  };
}
