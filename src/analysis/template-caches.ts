// The template caches a controller builds AnalysisRuns from (the Rollout and Experiment
// controllers): AnalysisTemplates in its scope and, unless namespaced, ClusterAnalysisTemplates
// (a namespaced install cannot watch cluster-scoped objects, so there they are not offered).
import type { AnalysisTemplate, ClusterAnalysisTemplate } from '../api/analysis.js';
import { ANALYSIS_TEMPLATE_KIND, apiResourceOf, CLUSTER_ANALYSIS_TEMPLATE_KIND } from '../api/kinds.js';
import type { ControllerContext } from '../kube/controller.js';
import type { Informer } from '../kube/informer.js';
import type { KubeObject } from '../kube/object.js';
import type { AvailableTemplates } from './run-from-templates.js';

export interface TemplateCaches {
  readonly informers: readonly Informer<KubeObject>[];
  /** The templates a run in `namespace` may name. */
  available(namespace: string): AvailableTemplates;
  /** Every cached template, namespaced and cluster-scoped (for /metrics). */
  all(): readonly (AnalysisTemplate | ClusterAnalysisTemplate)[];
}

export function analysisTemplateCaches(ctx: Pick<ControllerContext, 'caches' | 'namespace'>): TemplateCaches {
  const scope = ctx.namespace ? { namespace: ctx.namespace } : {};
  const templates = ctx.caches.informer<AnalysisTemplate & KubeObject>(
    apiResourceOf(ANALYSIS_TEMPLATE_KIND),
    scope,
  );
  const clusterTemplates = ctx.namespace
    ? undefined
    : ctx.caches.informer<ClusterAnalysisTemplate & KubeObject>(
        apiResourceOf(CLUSTER_ANALYSIS_TEMPLATE_KIND),
      );
  return {
    // As plain objects: callers only watch them for changes or wait for their sync.
    informers: [
      templates,
      ...(clusterTemplates ? [clusterTemplates] : []),
    ] as unknown as Informer<KubeObject>[],
    available: (namespace) => ({
      analysisTemplates: templates.list(namespace),
      clusterAnalysisTemplates: clusterTemplates?.list() ?? [],
    }),
    all: () => [...templates.list(), ...(clusterTemplates?.list() ?? [])],
  };
}
