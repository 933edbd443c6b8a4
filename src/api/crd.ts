// Builds CustomResourceDefinition manifests from the kind registry. The output is plain
// data; `generate.ts` writes it to the chart and a unit test fails when the files are stale.
import type { KindDefinition } from './kind-definition.js';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/**
 * A TypeBox schema as plain JSON: TypeBox's symbol keys dropped, and no empty `properties`
 * (the API server drops it when it stores the CRD, and a field it drops makes every
 * later server-side apply by another manager conflict on the CRD).
 */
export function toStructuralSchema(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const node = value as Record<string, unknown>;
      const props = node.properties;
      if (props && typeof props === 'object' && Object.keys(props).length === 0 && key !== 'properties') {
        const { properties: _empty, ...rest } = node;
        return rest;
      }
    }
    return value;
  });
}

export function buildCrd(def: KindDefinition): CustomResourceDefinition {
  const subresources: Record<string, unknown> = {};
  if (def.statusSubresource) subresources.status = {};
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
