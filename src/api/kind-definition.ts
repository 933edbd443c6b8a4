// The shape of a kind we serve (names, scope, subresources, printer columns and its schema),
// apart from the table of kinds in kinds.ts, so the modules that define a kind's schema can
// describe it without importing the table that lists them (a leaf: it imports no module of ours).
import type { TSchema } from '@sinclair/typebox';

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
  hasStatus: boolean;
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
