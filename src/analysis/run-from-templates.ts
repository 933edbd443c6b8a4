// Builds an AnalysisRun from AnalysisTemplates / ClusterAnalysisTemplates, as Argo Rollouts does
// when a Rollout reaches an analysis step, starts background analysis or a blue-green hook.
// Pure: the caller passes the templates it has cached, and gets a run to create or an error.
//
//  - Template refs are followed into nested `templates`, each template used once; metrics of
//    namespaced templates come first, then cluster templates'; two metrics with one name fail.
//  - Template args merge (one name with two different values fails); the caller's args then set
//    the value of args the templates declare (others are ignored, as in Argo); an arg left
//    without value or valueFrom fails, naming it.
//  - Rollout args are resolved first: podTemplateHashValue Stable/Latest from the hashes passed
//    in, fieldRef from the Rollout. secretKeyRef args stay references: the AnalysisRun
//    controller reads the Secret when it measures, so no secret reaches the run's spec.
//  - `{{args.*}}` placeholders stay in the run's metrics, as in Argo's AnalysisRuns; the run
//    controller substitutes them (metric-args.ts). The builder checks every placeholder has an
//    argument, so a typo fails here rather than as an Error run.
import type {
  AnalysisRun,
  AnalysisTemplate,
  Argument,
  ClusterAnalysisTemplate,
  Metric,
} from '../api/analysis.js';
import { controllerReference } from '../api/kind-definition.js';
import { ROLLOUT_KIND } from '../api/kinds.js';
import {
  INSTANCE_ID_LABEL,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  ROLLOUT_TYPE_LABEL,
  STEP_INDEX_LABEL,
} from '../api/labels.js';
import type { Rollout, RolloutAnalysis } from '../api/rollout.js';
import type { OwnerReference } from '../kube/object.js';
import { ArgumentResolutionError, substituteArgs } from './metric-args.js';
import { FieldRefError, rolloutFieldValue } from './rollout-field-ref.js';

export type AnalysisRunType =
  | { type: 'Step'; stepIndex: number }
  | { type: 'Background' }
  | { type: 'PrePromotion' }
  | { type: 'PostPromotion' };

/** Templates the caller has (from its informer caches); only the needed ones are used. */
export interface AvailableTemplates {
  analysisTemplates: readonly AnalysisTemplate[];
  clusterAnalysisTemplates: readonly ClusterAnalysisTemplate[];
}

export type AnalysisRunBuild = { ok: true; run: AnalysisRun } | { ok: false; error: string };

type TemplateRef = { templateName: string; clusterScope?: boolean };

export interface AnalysisRunFromTemplatesInput {
  name: string;
  namespace: string;
  templateRefs: readonly TemplateRef[];
  templates: AvailableTemplates;
  /** Caller args, already resolved to values (or secretKeyRef references). */
  args?: readonly Argument[];
  dryRun?: readonly { metricName: string }[];
  measurementRetention?: readonly { metricName: string; limit: number }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReference?: OwnerReference;
}

export interface RolloutAnalysisRunInput {
  /** The Rollout as cached: name, namespace, uid, labels, annotations (revision) and spec. */
  rollout: Rollout & { metadata: { name: string; namespace: string; uid: string } };
  /** The analysis to run: a step's `analysis`, `canary.analysis`, or a blue-green hook. */
  analysis: RolloutAnalysis;
  runType: AnalysisRunType;
  /** rollouts-pod-template-hash of the latest ReplicaSet: run name and label, and `Latest`. */
  latestPodHash: string;
  /** rollouts-pod-template-hash of the stable ReplicaSet, for `podTemplateHashValue: Stable`. */
  stablePodHash?: string;
  /** Defaults to the Rollout's rollout.argoproj.io/revision annotation. */
  revision?: string;
  templates: AvailableTemplates;
  /** The controller's --instance-id, copied to the run's label. */
  instanceId?: string;
}

/** `<rollout>-<hash>-<revision>[-<stepIndex>|-pre|-post]`, as Argo names AnalysisRuns. */
export function analysisRunName(
  rolloutName: string,
  podTemplateHash: string,
  revision: string,
  runType: AnalysisRunType,
): string {
  const parts = [rolloutName, podTemplateHash, revision];
  const infix = analysisRunInfix(runType);
  if (infix !== '') parts.push(infix);
  return parts.join('-');
}

function analysisRunInfix(runType: AnalysisRunType): string {
  switch (runType.type) {
    case 'Step':
      return String(runType.stepIndex);
    case 'Background':
      return '';
    case 'PrePromotion':
      return 'pre';
    case 'PostPromotion':
      return 'post';
  }
}

/** When the name is taken by a run that is not ours, Argo retries with `<name>.1`, `<name>.2`, ... */
export function collisionName(baseName: string, collisionCount: number): string {
  return collisionCount === 0 ? baseName : `${baseName}.${collisionCount}`;
}

/** The labels Argo puts on a Rollout's AnalysisRun (before analysisRunMetadata and selector labels). */
export function analysisRunLabels(
  runType: AnalysisRunType,
  podTemplateHash: string,
  instanceId?: string,
): Record<string, string> {
  const labels: Record<string, string> = {
    [POD_TEMPLATE_HASH_LABEL]: podTemplateHash,
    [ROLLOUT_TYPE_LABEL]: runType.type,
  };
  if (runType.type === 'Step') labels[STEP_INDEX_LABEL] = String(runType.stepIndex);
  if (instanceId) labels[INSTANCE_ID_LABEL] = instanceId;
  return labels;
}

/**
 * Argo's BuildArgumentsForRolloutAnalysisRun: each Rollout arg becomes a plain value
 * (podTemplateHashValue, fieldRef, or its value; no value at all reads as "").
 */
export function resolveRolloutArgs(
  args: readonly Argument[],
  rollout: object,
  hashes: { latest: string; stable?: string },
): Argument[] {
  return args.map((arg) => {
    let value = arg.value ?? '';
    const from = arg.valueFrom;
    if (from?.podTemplateHashValue === 'Latest') value = hashes.latest;
    else if (from?.podTemplateHashValue === 'Stable') value = hashes.stable ?? '';
    else if (from?.fieldRef) {
      try {
        value = rolloutFieldValue(rollout, from.fieldRef.fieldPath);
      } catch (error) {
        if (!(error instanceof FieldRefError)) throw error;
        throw new ArgumentResolutionError(
          `args.${arg.name}: fieldRef ${from.fieldRef.fieldPath}: ${error.message}`,
        );
      }
    } else if (from?.secretKeyRef) {
      return { name: arg.name, valueFrom: { secretKeyRef: from.secretKeyRef } };
    }
    return { name: arg.name, value };
  });
}

type AnyTemplate = AnalysisTemplate | ClusterAnalysisTemplate;

function collectTemplates(
  refs: readonly TemplateRef[],
  namespace: string,
  available: AvailableTemplates,
): { namespaced: AnalysisTemplate[]; cluster: ClusterAnalysisTemplate[] } {
  const namespaced: AnalysisTemplate[] = [];
  const cluster: ClusterAnalysisTemplate[] = [];
  const seen = new Set<string>();
  const visit = (ref: TemplateRef, via: string[]) => {
    const key = `${ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'} ${ref.templateName}`;
    if (via.includes(key))
      throw new ArgumentResolutionError(
        `templates refer to each other in a loop: ${[...via, key].join(' -> ')}`,
      );
    let template: AnyTemplate | undefined;
    if (ref.clusterScope) {
      template = available.clusterAnalysisTemplates.find((t) => t.metadata?.name === ref.templateName);
      if (!template)
        throw new ArgumentResolutionError(`ClusterAnalysisTemplate ${ref.templateName} not found`);
    } else {
      template = available.analysisTemplates.find(
        (t) => t.metadata?.name === ref.templateName && (t.metadata?.namespace ?? namespace) === namespace,
      );
      if (!template)
        throw new ArgumentResolutionError(`AnalysisTemplate ${namespace}/${ref.templateName} not found`);
    }
    if (!seen.has(key)) {
      seen.add(key);
      if (ref.clusterScope) cluster.push(template);
      else namespaced.push(template);
    }
    for (const inner of template.spec.templates ?? []) visit(inner, [...via, key]);
  };
  for (const ref of refs) visit(ref, []);
  return { namespaced, cluster };
}

function flattenArgs(templates: readonly AnyTemplate[]): Argument[] {
  const combined: Argument[] = [];
  for (const template of templates) {
    for (const arg of template.spec.args ?? []) {
      const index = combined.findIndex((a) => a.name === arg.name);
      const previous = combined[index];
      if (!previous) {
        combined.push({ ...arg });
        continue;
      }
      if (previous.value !== undefined && arg.value !== undefined && previous.value !== arg.value) {
        throw new ArgumentResolutionError(
          `Argument \`${arg.name}\` specified multiple times with different values: '${previous.value}', '${arg.value}'`,
        );
      }
      if (previous.value === undefined) combined[index] = { ...arg };
    }
  }
  return combined;
}

function mergeArgs(
  incoming: readonly Argument[],
  templateArgs: readonly Argument[],
  sources: string,
): Argument[] {
  const merged = templateArgs.map((arg) => ({ ...arg }));
  for (const arg of incoming) {
    const target = merged.find((a) => a.name === arg.name);
    if (!target) continue;
    if (arg.value !== undefined) target.value = arg.value;
    else if (arg.valueFrom) target.valueFrom = arg.valueFrom;
  }
  for (const arg of merged) {
    if (arg.value === undefined && arg.valueFrom === undefined) {
      throw new ArgumentResolutionError(
        `args.${arg.name} was not resolved: declared without a value by ${sources}, and no value was passed for it`,
      );
    }
  }
  return merged;
}

function noDuplicateRules(rules: readonly { metricName: string }[], what: string): void {
  const seen = new Set<string>();
  for (const rule of rules) {
    if (seen.has(rule.metricName)) {
      throw new ArgumentResolutionError(`two ${what} metric rules have the same name '${rule.metricName}'`);
    }
    seen.add(rule.metricName);
  }
}

function checkPlaceholders(metrics: readonly Metric[], args: readonly Argument[]): void {
  const values = new Map(args.map((arg) => [arg.name, 'x']));
  for (const metric of metrics) {
    try {
      substituteArgs(JSON.stringify(metric), values);
    } catch (error) {
      if (!(error instanceof ArgumentResolutionError)) throw error;
      throw new ArgumentResolutionError(`metric ${metric.name}: ${error.message}`);
    }
  }
}

/** Argo's NewAnalysisRunFromTemplates, for Rollouts and Experiments alike. */
export function analysisRunFromTemplates(input: AnalysisRunFromTemplatesInput): AnalysisRunBuild {
  try {
    const { namespaced, cluster } = collectTemplates(input.templateRefs, input.namespace, input.templates);
    const all: AnyTemplate[] = [...namespaced, ...cluster];
    const metrics = all.flatMap((t) => t.spec.metrics ?? []);
    const names = new Set<string>();
    for (const metric of metrics) {
      if (names.has(metric.name))
        throw new ArgumentResolutionError(`two metrics have the same name '${metric.name}'`);
      names.add(metric.name);
    }
    const templateDryRun = all.flatMap((t) => t.spec.dryRun ?? []);
    const templateRetention = all.flatMap((t) => t.spec.measurementRetention ?? []);
    noDuplicateRules(templateDryRun, 'Dry-Run');
    noDuplicateRules(templateRetention, 'Measurement Retention');
    const sources = all
      .map(
        (t) =>
          `${t.kind ?? (cluster.includes(t) ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate')} ${t.metadata?.name}`,
      )
      .join(', ');
    const args = mergeArgs(input.args ?? [], flattenArgs(all), sources || 'the templates');
    const dryRun = [...(input.dryRun ?? []), ...templateDryRun];
    const measurementRetention = [...(input.measurementRetention ?? []), ...templateRetention];
    noDuplicateRules(dryRun, 'Dry-Run');
    noDuplicateRules(measurementRetention, 'Measurement Retention');
    checkPlaceholders(metrics, args);

    const run: AnalysisRun = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: {
        name: input.name,
        namespace: input.namespace,
        ...(input.labels && Object.keys(input.labels).length > 0 ? { labels: { ...input.labels } } : {}),
        ...(input.annotations && Object.keys(input.annotations).length > 0
          ? { annotations: { ...input.annotations } }
          : {}),
        ...(input.ownerReference ? { ownerReferences: [input.ownerReference] } : {}),
      },
      spec: {
        metrics: structuredClone(metrics),
        ...(args.length > 0 ? { args } : {}),
        ...(dryRun.length > 0 ? { dryRun } : {}),
        ...(measurementRetention.length > 0 ? { measurementRetention } : {}),
      },
    };
    return { ok: true, run };
  } catch (error) {
    if (error instanceof ArgumentResolutionError) return { ok: false, error: error.message };
    throw error;
  }
}

/** The templates a Rollout analysis refers to (the deprecated single templateName included). */
function templateRefsOf(analysis: RolloutAnalysis): TemplateRef[] {
  const refs: TemplateRef[] = [...(analysis.templates ?? [])];
  if (analysis.templateName)
    refs.push({ templateName: analysis.templateName, clusterScope: analysis.clusterScope });
  return refs;
}

/**
 * The AnalysisRun a Rollout creates for a step, its background analysis or a blue-green hook,
 * named, labelled, annotated and owned as Argo Rollouts does it. Pure: call it from a plan with
 * templates from the caches; create the returned run (on a name collision with a run that is
 * not this Rollout's, retry with collisionName(name, n)).
 */
export function analysisRunForRollout(input: RolloutAnalysisRunInput): AnalysisRunBuild {
  const { rollout, analysis, runType, latestPodHash } = input;
  const revision = input.revision ?? rollout.metadata.annotations?.[REVISION_ANNOTATION] ?? '';
  let args: Argument[];
  try {
    args = resolveRolloutArgs(analysis.args ?? [], rollout, {
      latest: latestPodHash,
      stable: input.stablePodHash,
    });
  } catch (error) {
    if (error instanceof ArgumentResolutionError) return { ok: false, error: error.message };
    throw error;
  }
  const labels = {
    ...analysisRunLabels(runType, latestPodHash, input.instanceId),
    ...analysis.analysisRunMetadata?.labels,
    ...rollout.spec.selector?.matchLabels,
  };
  const annotations = { [REVISION_ANNOTATION]: revision, ...analysis.analysisRunMetadata?.annotations };
  return analysisRunFromTemplates({
    name: analysisRunName(rollout.metadata.name, latestPodHash, revision, runType),
    namespace: rollout.metadata.namespace,
    templateRefs: templateRefsOf(analysis),
    templates: input.templates,
    args,
    dryRun: analysis.dryRun ?? [],
    measurementRetention: analysis.measurementRetention ?? [],
    labels,
    annotations,
    ownerReference: controllerReference(ROLLOUT_KIND, rollout),
  });
}
