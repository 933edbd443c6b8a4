// The shape of a kind we serve (names, scope, subresources, printer columns and its schema),
// apart from the table of kinds in kinds.ts, so the modules that define a kind's schema can
// describe it without importing the table that lists them (a leaf: only the OwnerReference type
// comes from src/kube).
import type { TSchema } from '@sinclair/typebox';
import type { OwnerReference } from '../kube/object.js';

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'string' | 'date' | 'boolean' | 'number';
  jsonPath: string;
  description?: string;
}

export interface KindDefinition {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  schema: TSchema;
  /** The status subresource: status written only through /status (Argo's: Rollout only). */
  statusSubresource: boolean;
  /** The scale subresource, so an HPA (or `kubectl scale`) can drive the object. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
  printerColumns: PrinterColumn[];
}

/** The creation age, the last printer column of each of our kinds. */
export const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
};

/** The controller ownerReference Argo puts on what it creates for an object of this kind. */
export function controllerReference(
  def: KindDefinition,
  owner: { metadata: { name: string; uid: string } },
): OwnerReference {
  return {
    apiVersion: `${def.group}/${def.version}`,
    kind: def.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
