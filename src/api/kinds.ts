// The registry of kinds we serve: names, scope, subresources and printer columns, beside the
// schema each is generated from. CRD manifests and clients both read this table, so a
// kind's plural or short name is written exactly once.
import { AnalysisRunSchema, AnalysisTemplateSchema, ClusterAnalysisTemplateSchema } from './analysis.js';
import { ExperimentSchema } from './experiment.js';
import { GIT_TARGET_KIND, IMAGE_WATCH_KIND } from './gitsync.js';
import { AGE_COLUMN, type KindDefinition } from './kind-definition.js';
import { PROMOTION_PIPELINE_KIND } from './promotion.js';
import { RolloutSchema } from './rollout.js';

export const ARGO_GROUP = 'argoproj.io';
export const ARGO_VERSION = 'v1alpha1';

export const ROLLOUT_KIND: KindDefinition = {
  group: ARGO_GROUP,
  version: ARGO_VERSION,
  kind: 'Rollout',
  plural: 'rollouts',
  singular: 'rollout',
  shortNames: ['ro'],
  scope: 'Namespaced',
  schema: RolloutSchema,
  statusSubresource: true,
  scale: {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.HPAReplicas',
    labelSelectorPath: '.status.selector',
  },
  printerColumns: [
    { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas', description: 'Number of desired pods' },
    {
      name: 'Current',
      type: 'integer',
      jsonPath: '.status.replicas',
      description: 'Total number of non-terminated pods targeted by this rollout',
    },
    {
      name: 'Up-to-date',
      type: 'integer',
      jsonPath: '.status.updatedReplicas',
      description:
        'Total number of non-terminated pods targeted by this rollout that have the desired template spec',
    },
    {
      name: 'Available',
      type: 'integer',
      jsonPath: '.status.availableReplicas',
      description:
        'Total number of available pods (ready for at least minReadySeconds) targeted by this rollout',
    },
    AGE_COLUMN,
  ],
};

export const ANALYSIS_TEMPLATE_KIND: KindDefinition = {
  group: ARGO_GROUP,
  version: ARGO_VERSION,
  kind: 'AnalysisTemplate',
  plural: 'analysistemplates',
  singular: 'analysistemplate',
  shortNames: ['at'],
  scope: 'Namespaced',
  schema: AnalysisTemplateSchema,
  statusSubresource: false,
  printerColumns: [AGE_COLUMN],
};

export const CLUSTER_ANALYSIS_TEMPLATE_KIND: KindDefinition = {
  group: ARGO_GROUP,
  version: ARGO_VERSION,
  kind: 'ClusterAnalysisTemplate',
  plural: 'clusteranalysistemplates',
  singular: 'clusteranalysistemplate',
  shortNames: ['cat'],
  scope: 'Cluster',
  schema: ClusterAnalysisTemplateSchema,
  statusSubresource: false,
  printerColumns: [AGE_COLUMN],
};

export const ANALYSIS_RUN_KIND: KindDefinition = {
  group: ARGO_GROUP,
  version: ARGO_VERSION,
  kind: 'AnalysisRun',
  plural: 'analysisruns',
  singular: 'analysisrun',
  shortNames: ['ar'],
  scope: 'Namespaced',
  schema: AnalysisRunSchema,
  // No status subresource, as Argo's CRD: Argo writes the status with the object, and a
  // cluster switches between Argo and Slipway without replacing CRDs (kube/status-subresource.ts).
  statusSubresource: false,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'AnalysisRun status' },
    AGE_COLUMN,
  ],
};

export const EXPERIMENT_KIND: KindDefinition = {
  group: ARGO_GROUP,
  version: ARGO_VERSION,
  kind: 'Experiment',
  plural: 'experiments',
  singular: 'experiment',
  shortNames: ['exp'],
  scope: 'Namespaced',
  schema: ExperimentSchema,
  // No status subresource, as Argo's CRD: Argo writes the status with the object, and a
  // cluster switches between Argo and Slipway without replacing CRDs (kube/status-subresource.ts).
  statusSubresource: false,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'Experiment status' },
    AGE_COLUMN,
  ],
};

/** Every kind we serve, in the order their CRDs are installed. */
export const ALL_KINDS: readonly KindDefinition[] = [
  ROLLOUT_KIND,
  ANALYSIS_TEMPLATE_KIND,
  CLUSTER_ANALYSIS_TEMPLATE_KIND,
  ANALYSIS_RUN_KIND,
  EXPERIMENT_KIND,
  IMAGE_WATCH_KIND,
  GIT_TARGET_KIND,
  PROMOTION_PIPELINE_KIND,
];

/** The REST identity of a kind, for src/kube clients and informers. */
export function apiResourceOf(def: KindDefinition): {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
} {
  return {
    group: def.group,
    version: def.version,
    plural: def.plural,
    kind: def.kind,
    namespaced: def.scope === 'Namespaced',
  };
}
