// The pure plan of one Experiment reconcile, in Argo Rollouts' order (experiments/experiment.go):
// each template becomes a ReplicaSet `<experiment>-<template>` (created at 0, scaled to its
// replicas on the next pass, scaled to 0 after scaleDownDelaySeconds once the experiment ends),
// with an optional Service; each analysis becomes an AnalysisRun once the templates are
// available; then the phase, message and conditions follow from the template and run statuses
// exactly as Argo derives them. No I/O: act.ts applies the actions and writes the status.
import { isCompleted, isWorse } from '../analysis/phases.js';
import { type AvailableTemplates, analysisRunFromTemplates } from '../analysis/run-from-templates.js';
import type { AnalysisPhase, AnalysisRun, Argument } from '../api/analysis.js';
import { goDurationOrUndefined } from '../api/duration.js';
import type { Experiment } from '../api/experiment.js';
import { controllerReference } from '../api/kind-definition.js';
import { EXPERIMENT_KIND } from '../api/kinds.js';
import {
  EXPERIMENT_NAME_ANNOTATION,
  EXPERIMENT_TEMPLATE_NAME_ANNOTATION,
  INSTANCE_ID_LABEL,
  POD_TEMPLATE_HASH_LABEL,
  SCALE_DOWN_DEADLINE_ANNOTATION,
} from '../api/labels.js';
import type { PlannedEvent } from '../kube/events.js';
import type { OwnerReference } from '../kube/object.js';
import { formatTime } from '../kube/timestamps.js';
import { podTemplateHash } from '../rollout/pod-template-hash.js';
import { type ReplicaSetVersion, versionOf } from '../rollout/replicasets.js';
import type { ReplicaSet, Service } from '../rollout/workload-types.js';

export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;
export const REQUIRED_ANALYSIS_COMPLETED_MESSAGE = 'Required AnalysisRuns completed';

export type ExperimentObject = Experiment & {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string> };
};
type ExperimentStatus = NonNullable<Experiment['status']>;
export type TemplateStatus = NonNullable<ExperimentStatus['templateStatuses']>[number];
export type AnalysisRunStatusEntry = NonNullable<ExperimentStatus['analysisRuns']>[number];
type ExperimentCondition = NonNullable<ExperimentStatus['conditions']>[number];
type TemplateSpec = Experiment['spec']['templates'][number];
type AnalysisRef = NonNullable<Experiment['spec']['analyses']>[number];
/** Argo's TemplateStatusCode. */
export type TemplateStatusCode = 'Progressing' | 'Running' | 'Successful' | 'Failed' | 'Error';
/** A phase as Argo carries it; '' is "not known yet" (a run not created, or not started). */
type Phase = AnalysisPhase | '';

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort: number;
}
export interface TemplateService extends Service {
  spec?: { selector?: Record<string, string>; ports?: ServicePort[] };
}

export interface ObservedExperiment {
  experiment: ExperimentObject;
  /** ReplicaSets claimed by template name (controller is this Experiment, annotations match). */
  replicaSets: ReadonlyMap<string, ReplicaSet>;
  /** Services claimed by template name, the same way. */
  services: ReadonlyMap<string, TemplateService>;
  /** AnalysisRuns in the Experiment's namespace, by name. */
  analysisRuns: ReadonlyMap<string, AnalysisRun>;
  templates: AvailableTemplates;
  now: Date;
}

/** A write to a template's ReplicaSet, conditional on the version the plan saw (act.ts). */
interface ReplicaSetWrite extends ReplicaSetVersion {
  name: string;
}

export type ExperimentAction =
  | { kind: 'createReplicaSet'; template: string; replicaSet: ReplicaSet }
  | ({ kind: 'scaleReplicaSet'; template: string; from: number; to: number } & ReplicaSetWrite)
  /** Merge these annotations into the ReplicaSet; null removes one. */
  | ({ kind: 'annotateReplicaSet'; annotations: Record<string, string | null> } & ReplicaSetWrite)
  | { kind: 'createService'; template: string; service: TemplateService }
  | { kind: 'deleteService'; template: string; name: string }
  | { kind: 'createAnalysisRun'; analysis: string; run: AnalysisRun }
  | { kind: 'terminateAnalysisRun'; analysis: string; name: string };

export interface ExperimentEvent extends PlannedEvent {
  /** Recorded on the owning Rollout instead, as Argo does for AnalysisRun phase changes. */
  onRollout?: OwnerReference;
}

export interface ExperimentPlan {
  actions: ExperimentAction[];
  events: ExperimentEvent[];
  status: ExperimentStatus;
  requeueAfterMs?: number;
}

// ---- helpers over the Experiment, as utils/experiment does them ----

const TEMPLATE_ORDER: readonly TemplateStatusCode[] = [
  'Successful',
  'Running',
  'Progressing',
  'Error',
  'Failed',
];

function templateIsWorse(current: string | undefined, candidate: string | undefined): boolean {
  const index = (code: string | undefined) => Math.max(0, TEMPLATE_ORDER.indexOf(code as TemplateStatusCode));
  return index(candidate) > index(current);
}

export function templateCompleted(code: string | undefined): boolean {
  return code === 'Successful' || code === 'Failed' || code === 'Error';
}

function phaseCompleted(phase: Phase | undefined): boolean {
  return phase !== undefined && phase !== '' && isCompleted(phase);
}

export function hasFinished(ex: Experiment): boolean {
  return phaseCompleted(ex.status?.phase);
}

function requiredAnalysisRunsSuccessful(ex: Experiment, status: ExperimentStatus | undefined): boolean {
  let required = false;
  let allSuccessful = true;
  for (const analysis of ex.spec.analyses ?? []) {
    if (!analysis.requiredForCompletion) continue;
    required = true;
    if (status?.analysisRuns?.find((r) => r.name === analysis.name)?.phase !== 'Successful')
      allSuccessful = false;
  }
  return required && allSuccessful;
}

function hasRequiredAnalysisRuns(ex: Experiment): boolean {
  return (ex.spec.analyses ?? []).some((a) => a.requiredForCompletion);
}

/** Argo's IsTerminating: terminate asked, finished, a template or run failed, required runs done. */
export function isTerminating(ex: Experiment): boolean {
  if (ex.spec.terminate) return true;
  if (hasFinished(ex)) return true;
  for (const ts of ex.status?.templateStatuses ?? []) {
    if (ts.status === 'Failed' || ts.status === 'Error') return true;
  }
  for (const run of ex.status?.analysisRuns ?? []) {
    if (run.phase === 'Failed' || run.phase === 'Error' || run.phase === 'Inconclusive') return true;
  }
  return requiredAnalysisRunsSuccessful(ex, ex.status);
}

/** Whether spec.duration has passed since status.availableAt, and the ms left. */
function passedDuration(ex: Experiment, nowMs: number): { passed: boolean; remainingMs: number } {
  const availableAt = ex.status?.availableAt;
  if (!ex.spec.duration || !availableAt) return { passed: false, remainingMs: 0 };
  const durationMs = goDurationOrUndefined(ex.spec.duration);
  if (durationMs === undefined) return { passed: false, remainingMs: 0 };
  const endsAt = Date.parse(availableAt) + durationMs;
  return { passed: nowMs > endsAt, remainingMs: endsAt - nowMs };
}

function desiredReplicas(ex: Experiment, template: TemplateSpec): number {
  if (hasFinished(ex) || isTerminating(ex)) return 0;
  const status = ex.status?.templateStatuses?.find((t) => t.name === template.name);
  if (status && templateCompleted(status.status)) return 0;
  return template.replicas ?? 1;
}

function progressDeadlineSeconds(ex: Experiment): number {
  return ex.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
}

/** The Rollout that owns the Experiment (a canary experiment step), if any. */
export function rolloutOwnerOf(ex: Experiment): OwnerReference | undefined {
  return ex.metadata?.ownerReferences?.find((o) => o.kind === 'Rollout');
}

// ---- objects the plan creates ----

/** The ReplicaSet of a template, named, labelled and selected as Argo's newReplicaSetFromTemplate. */
export function replicaSetForTemplate(
  ex: ExperimentObject,
  template: TemplateSpec,
  collisionCount: number | undefined,
  replicas: number,
): ReplicaSet {
  const podTemplate = structuredClone(template.template) as NonNullable<ReplicaSet['spec']>['template'] &
    object;
  if (podTemplate.metadata?.labels) delete podTemplate.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  const hash = podTemplateHash(podTemplate, collisionCount);
  const labels = { ...(podTemplate.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  podTemplate.metadata = { ...(podTemplate.metadata ?? {}), labels: { ...labels } };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${ex.metadata.name}-${template.name}`,
      namespace: ex.metadata.namespace,
      labels,
      annotations: {
        [EXPERIMENT_NAME_ANNOTATION]: ex.metadata.name,
        [EXPERIMENT_TEMPLATE_NAME_ANNOTATION]: template.name,
      },
      ownerReferences: [controllerReference(EXPERIMENT_KIND, ex)],
    },
    spec: {
      replicas,
      ...(template.minReadySeconds ? { minReadySeconds: template.minReadySeconds } : {}),
      selector: {
        ...template.selector,
        matchLabels: { ...(template.selector?.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash },
      },
      template: podTemplate,
    },
  };
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** A Service port per container port of the ReplicaSet's pods (Argo's createTemplateService). */
export function templateServicePorts(rs: ReplicaSet): ServicePort[] {
  const containers = (rs.spec?.template?.spec?.containers ?? []) as { ports?: ContainerPort[] }[];
  const ports: ServicePort[] = [];
  for (const container of containers) {
    for (const port of container.ports ?? []) {
      ports.push({
        ...(port.name ? { name: port.name } : {}),
        ...(port.protocol ? { protocol: port.protocol } : {}),
        port: port.containerPort,
        targetPort: port.containerPort,
      });
    }
  }
  return ports;
}

export function serviceForTemplate(
  ex: ExperimentObject,
  template: TemplateSpec,
  name: string,
  rs: ReplicaSet,
  ports: ServicePort[],
): TemplateService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: ex.metadata.namespace,
      annotations: {
        [EXPERIMENT_NAME_ANNOTATION]: ex.metadata.name,
        [EXPERIMENT_TEMPLATE_NAME_ANNOTATION]: template.name,
      },
      ownerReferences: [controllerReference(EXPERIMENT_KIND, ex)],
    },
    spec: { selector: { ...(rs.metadata?.labels ?? {}) }, ports },
  };
}

/**
 * Argo's ResolveExperimentArgsValue: `{{templates.<t>.podTemplateHash}}`,
 * `{{templates.<t>.replicaset.name}}`, `{{experiment.availableAt}}` and
 * `{{experiment.finishedAt}}` in an analysis arg's value.
 */
export function resolveExperimentArg(
  value: string,
  ex: Experiment,
  replicaSets: ReadonlyMap<string, ReplicaSet>,
): string {
  const values = new Map<string, string>();
  const availableAt = ex.status?.availableAt;
  if (availableAt) {
    values.set('experiment.availableAt', availableAt);
    if (ex.spec.duration) {
      const durationMs = goDurationOrUndefined(ex.spec.duration);
      if (durationMs === undefined) throw new Error(`time: invalid duration "${ex.spec.duration}"`);
      values.set('experiment.finishedAt', formatTime(Date.parse(availableAt) + durationMs));
    }
  }
  for (const template of ex.spec.templates) {
    const rs = replicaSets.get(template.name);
    if (!rs) continue;
    values.set(
      `templates.${template.name}.podTemplateHash`,
      rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '',
    );
    values.set(`templates.${template.name}.replicaset.name`, rs.metadata?.name ?? '');
  }
  let unresolved: string | undefined;
  const out = value.replace(/\{\{(.*?)\}\}/g, (_, tag: string) => {
    const known = values.get(tag.trim());
    if (known !== undefined) return known;
    unresolved ??= `failed to resolve {{${tag}}}`;
    return '';
  });
  if (unresolved) throw new Error(unresolved);
  return out;
}

function newAnalysisRun(
  observed: ObservedExperiment,
  analysis: AnalysisRef,
  replicaSets: ReadonlyMap<string, ReplicaSet>,
): { run: AnalysisRun } | { error: string } {
  const ex = observed.experiment;
  let args: Argument[];
  try {
    // As Argo: only name and a resolved value are passed on (valueFrom is not).
    args = (analysis.args ?? []).map((arg) =>
      arg.value === undefined
        ? { name: arg.name }
        : { name: arg.name, value: resolveExperimentArg(arg.value, ex, replicaSets) },
    );
  } catch (error) {
    return { error: (error as Error).message };
  }
  const instanceId = ex.metadata.labels?.[INSTANCE_ID_LABEL];
  const labels = {
    ...(instanceId ? { [INSTANCE_ID_LABEL]: instanceId } : {}),
    ...(ex.spec.analysisRunMetadata?.labels ?? {}),
  };
  const built = analysisRunFromTemplates({
    name: `${ex.metadata.name}-${analysis.name}`,
    namespace: ex.metadata.namespace,
    templateRefs: [{ templateName: analysis.templateName, clusterScope: analysis.clusterScope }],
    templates: observed.templates,
    args,
    dryRun: ex.spec.dryRun ?? [],
    measurementRetention: ex.spec.measurementRetention ?? [],
    labels,
    annotations: { ...(ex.spec.analysisRunMetadata?.annotations ?? {}) },
    ownerReference: controllerReference(EXPERIMENT_KIND, ex),
  });
  return built.ok ? { run: built.run } : { error: built.error };
}

/** The error Argo's lister gives for a missing template. */
function templateMissing(observed: ObservedExperiment, analysis: AnalysisRef): string | undefined {
  const { analysisTemplates, clusterAnalysisTemplates } = observed.templates;
  if (analysis.clusterScope) {
    return clusterAnalysisTemplates.some((t) => t.metadata?.name === analysis.templateName)
      ? undefined
      : `ClusterAnalysisTemplate verification failed for analysis '${analysis.name}': clusteranalysistemplate.argoproj.io "${analysis.templateName}" not found`;
  }
  const namespace = observed.experiment.metadata.namespace;
  return analysisTemplates.some(
    (t) => t.metadata?.name === analysis.templateName && (t.metadata?.namespace ?? namespace) === namespace,
  )
    ? undefined
    : `AnalysisTemplate verification failed for analysis '${analysis.name}': analysistemplate.argoproj.io "${analysis.templateName}" not found`;
}

// ---- spec validation (conditions.VerifyExperimentSpec) ----

/** The InvalidSpec message of an invalid Experiment, or undefined. */
export function invalidSpecMessage(ex: Experiment): string | undefined {
  const names = new Set<string>();
  const deadline = progressDeadlineSeconds(ex);
  for (const [i, template] of ex.spec.templates.entries()) {
    if (!template.selector) return `Rollout has missing field '.Spec.Templates[${i}].Selector'`;
    const { matchLabels, matchExpressions } = template.selector;
    if (Object.keys(matchLabels ?? {}).length === 0 && (matchExpressions ?? []).length === 0) {
      return `This experiment is selecting all pods at index ${i}. A non-empty selector is required.`;
    }
    if ((template.minReadySeconds ?? 0) > deadline) {
      return `MinReadySeconds cannot be longer than ProgressDeadlineSeconds. Check template index ${i}`;
    }
    if (template.name === '') return `Experiment ${ex.metadata?.name} has empty template name at index ${i}`;
    if (names.has(template.name)) {
      return `Experiment ${ex.metadata?.name} has repeated template name '${template.name}' in templates`;
    }
    names.add(template.name);
  }
  return undefined;
}

function findCondition(conditions: readonly ExperimentCondition[] | undefined, type: string) {
  return conditions?.find((c) => c.type === type);
}

/** SetExperimentCondition: no change when status and reason are the same. */
function setCondition(
  conditions: readonly ExperimentCondition[],
  next: ExperimentCondition,
): ExperimentCondition[] {
  const current = findCondition(conditions, next.type);
  if (current && current.status === next.status && current.reason === next.reason) return [...conditions];
  const condition =
    current && current.status === next.status
      ? { ...next, lastTransitionTime: current.lastTransitionTime }
      : next;
  return [...conditions.filter((c) => c.type !== next.type), condition];
}

function newCondition(type: string, status: string, reason: string, message: string, now: string) {
  return { type, status, reason, message, lastUpdateTime: now, lastTransitionTime: now };
}

/** The status of an invalid Experiment: only the InvalidSpec condition changes. */
export function invalidSpecStatus(ex: Experiment, message: string, now: string): ExperimentStatus {
  const status = structuredClone(ex.status ?? {});
  const previous = findCondition(status.conditions, 'InvalidSpec');
  let conditions = [...(status.conditions ?? [])];
  if (previous && previous.message !== message)
    conditions = conditions.filter((c) => c.type !== 'InvalidSpec');
  const condition =
    previous && previous.message === message
      ? { ...previous, lastUpdateTime: now }
      : newCondition('InvalidSpec', 'True', 'InvalidSpec', message, now);
  conditions = setCondition(conditions, condition);
  return { ...status, conditions };
}

// ---- the plan ----

function counts(rs: ReplicaSet | undefined) {
  return {
    replicas: rs?.status?.replicas ?? 0,
    updatedReplicas: rs?.status?.replicas ?? 0,
    readyReplicas: rs?.status?.readyReplicas ?? 0,
    availableReplicas: rs?.status?.availableReplicas ?? 0,
  };
}

/** `list` with `next` in place of the entry of the same name, or added at the end. */
function withEntry<T extends { name: string }>(list: readonly T[] | undefined, next: T): T[] {
  const copy = [...(list ?? [])];
  const index = copy.findIndex((entry) => entry.name === next.name);
  if (index >= 0) copy[index] = next;
  else copy.push(next);
  return copy;
}

class ExperimentPass {
  readonly observed: ObservedExperiment;
  readonly ex: ExperimentObject;
  readonly nowMs: number;
  readonly nowText: string;
  readonly terminating: boolean;
  readonly actions: ExperimentAction[] = [];
  readonly events: ExperimentEvent[] = [];
  readonly status: ExperimentStatus;
  /** Template ReplicaSets after this pass's creates. */
  readonly replicaSets: Map<string, ReplicaSet>;
  requeueAfterMs: number | undefined;

  constructor(observed: ObservedExperiment) {
    this.observed = observed;
    this.ex = observed.experiment;
    this.nowMs = observed.now.getTime();
    this.nowText = formatTime(this.nowMs);
    this.terminating = isTerminating(this.ex);
    this.status = structuredClone(this.ex.status ?? {});
    this.replicaSets = new Map(observed.replicaSets);
  }

  requeue(ms: number): void {
    // Deadlines are passed only once now is after them: look again at least 1 ms later (a
    // requeue of 0 would be no requeue at all).
    const at = Math.max(1, ms);
    this.requeueAfterMs = this.requeueAfterMs === undefined ? at : Math.min(this.requeueAfterMs, at);
  }

  setTemplateStatus(next: TemplateStatus): void {
    this.status.templateStatuses = withEntry(this.status.templateStatuses, next);
  }

  setAnalysisRunStatus(next: AnalysisRunStatusEntry): void {
    this.status.analysisRuns = withEntry(this.status.analysisRuns, next);
  }

  reconcileTemplate(template: TemplateSpec): void {
    const ex = this.ex;
    const prev = ex.status?.templateStatuses?.find((t) => t.name === template.name);
    const ts: TemplateStatus = prev
      ? structuredClone(prev)
      : { name: template.name, replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0 };
    const desired = desiredReplicas(ex, template);
    let rs = this.replicaSets.get(template.name);

    if (!rs) {
      // Created at 0 (Argo's createReplicaSetForTemplate); the next pass scales it up.
      rs = replicaSetForTemplate(ex, template, ts.collisionCount, 0);
      this.actions.push({ kind: 'createReplicaSet', template: template.name, replicaSet: rs });
      this.replicaSets.set(template.name, rs);
      ts.lastTransitionTime = this.nowText;
    } else {
      const svc = this.observed.services.get(template.name);
      if (template.service) {
        if (desired !== 0) this.ensureService(template, ts, rs, svc);
        else if ((rs.status?.availableReplicas ?? 0) === 0) this.deleteService(template.name, ts, svc);
      } else {
        this.deleteService(template.name, ts, svc);
      }
      let deadline = rs.metadata?.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION];
      if (desired === 0) deadline = this.scaleDownDelay(rs, deadline);
      const current = rs.spec?.replicas ?? 1;
      if (current !== desired) {
        let to = desired;
        if (desired === 0 && deadline) {
          const deadlineMs = Date.parse(deadline);
          if (Number.isFinite(deadlineMs) && deadlineMs > this.nowMs) {
            // Not yet: scaleDownDelaySeconds keeps the pods (and their traffic) a while.
            this.requeue(deadlineMs - this.nowMs);
            to = template.replicas ?? 1;
          }
        }
        if (current !== to) {
          this.actions.push({
            kind: 'scaleReplicaSet',
            template: template.name,
            name: rs.metadata?.name ?? '',
            from: current,
            to,
            ...versionOf(rs),
          });
          this.events.push({
            type: 'Normal',
            reason: 'ScalingReplicaSet',
            message: `Scaled ${to > current ? 'up' : 'down'} ReplicaSet ${rs.metadata?.name} from ${current} to ${to}`,
            after: 'actions',
          });
        }
        ts.lastTransitionTime = this.nowText;
      }
    }

    const now = counts(this.observed.replicaSets.get(template.name));
    if (
      ts.replicas !== now.replicas ||
      ts.updatedReplicas !== now.updatedReplicas ||
      ts.readyReplicas !== now.readyReplicas ||
      ts.availableReplicas !== now.availableReplicas
    ) {
      ts.lastTransitionTime = this.nowText;
    }
    Object.assign(ts, now);

    // A template never leaves a completed status.
    if (!templateCompleted(ts.status)) {
      if (desired === ts.availableReplicas) {
        ts.status = passedDuration(ex, this.nowMs).passed || this.terminating ? 'Successful' : 'Running';
      } else {
        const from = ts.lastTransitionTime ? Date.parse(ts.lastTransitionTime) : this.nowMs;
        const deadlineSeconds = progressDeadlineSeconds(ex);
        if (this.nowMs > from + deadlineSeconds * 1000) {
          ts.status = 'Failed';
          ts.message = `Template '${template.name}' exceeded its progressDeadlineSeconds (${deadlineSeconds})`;
        } else if (this.terminating) {
          ts.status = 'Successful';
        } else {
          ts.status = 'Progressing';
        }
      }
    }
    if (prev?.status !== ts.status) {
      let message = `Template '${template.name}' transitioned from ${prev?.status ?? ''} -> ${ts.status}`;
      if (ts.message) message += `: ${ts.message}`;
      this.events.push({
        type: ts.status === 'Failed' || ts.status === 'Error' ? 'Warning' : 'Normal',
        reason: `Template${ts.status}`,
        message,
      });
    }
    this.setTemplateStatus(ts);
  }

  /** addScaleDownDelay: returns the deadline in force after this pass. */
  private scaleDownDelay(rs: ReplicaSet, deadline: string | undefined): string | undefined {
    const delaySeconds = this.ex.spec.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS;
    const setDeadline = (value: string | null) =>
      this.actions.push({
        kind: 'annotateReplicaSet',
        name: rs.metadata?.name ?? '',
        annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: value },
        ...versionOf(rs),
      });
    if (delaySeconds === 0) {
      if (deadline !== undefined) setDeadline(null);
      return undefined;
    }
    if (deadline !== undefined) return deadline;
    const value = formatTime(this.nowMs + delaySeconds * 1000);
    setDeadline(value);
    return value;
  }

  private ensureService(
    template: TemplateSpec,
    ts: TemplateStatus,
    rs: ReplicaSet,
    svc: TemplateService | undefined,
  ): void {
    const ports = templateServicePorts(rs);
    if (ports.length === 0) return;
    const name = template.service?.name || (rs.metadata?.name ?? '');
    if (!svc || svc.metadata?.name !== name) {
      this.actions.push({
        kind: 'createService',
        template: template.name,
        service: serviceForTemplate(this.ex, template, name, rs, ports),
      });
    }
    ts.serviceName = name;
    ts.podTemplateHash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
  }

  private deleteService(template: string, ts: TemplateStatus, svc: TemplateService | undefined): void {
    if (!svc) return;
    this.actions.push({ kind: 'deleteService', template, name: svc.metadata?.name ?? '' });
    delete ts.serviceName;
    delete ts.podTemplateHash;
  }

  reconcileAnalysis(analysis: AnalysisRef): void {
    const ex = this.ex;
    const prev = ex.status?.analysisRuns?.find((r) => r.name === analysis.name);
    const prevPhase: Phase = prev?.phase ?? '';
    const next: { name: string; analysisRun: string; phase: Phase; message?: string } = {
      name: analysis.name,
      analysisRun: prev?.analysisRun ?? '',
      phase: prevPhase,
      ...(prev?.message ? { message: prev.message } : {}),
    };
    this.analysisStep(analysis, prev, next);
    if (prevPhase !== next.phase && next.phase !== '') {
      let message = `AnalysisRun '${analysis.name}' transitioned from ${prevPhase} -> ${next.phase}`;
      if (next.message) message += `: ${next.message}`;
      const warning = next.phase === 'Failed' || next.phase === 'Error' || next.phase === 'Inconclusive';
      this.events.push({ type: warning ? 'Warning' : 'Normal', reason: `AnalysisRun${next.phase}`, message });
      const rollout = rolloutOwnerOf(ex);
      // Argo forwards the transition to the Rollout (always as a Warning) for its notifications.
      if (rollout)
        this.events.push({
          type: 'Warning',
          reason: `AnalysisRun${next.phase}`,
          message,
          onRollout: rollout,
        });
    }
    // An entry with no run and no phase is what Argo writes as phase "": ours is left out,
    // which every reader treats the same (our schema only admits known phases).
    if (next.phase !== '') this.setAnalysisRunStatus({ ...next, phase: next.phase });
  }

  private analysisStep(
    analysis: AnalysisRef,
    prev: AnalysisRunStatusEntry | undefined,
    next: { name: string; analysisRun: string; phase: Phase; message?: string },
  ): void {
    const ex = this.ex;
    const error = (message: string) => {
      next.phase = 'Error';
      next.message = message;
    };
    if (!ex.status?.availableAt) {
      // Not available yet: no run starts; the template must exist.
      const missing = templateMissing(this.observed, analysis);
      if (missing) error(missing);
      return;
    }
    if (!prev?.analysisRun) {
      if (this.terminating) return;
      const built = newAnalysisRun(this.observed, analysis, this.replicaSets);
      if ('error' in built) {
        error(`Failed to create AnalysisRun for analysis '${analysis.name}': ${built.error}`);
        return;
      }
      this.actions.push({ kind: 'createAnalysisRun', analysis: analysis.name, run: built.run });
      next.phase = 'Pending';
      next.analysisRun = built.run.metadata?.name ?? '';
      return;
    }
    if (phaseCompleted(prev.phase)) return;
    const run = this.observed.analysisRuns.get(prev.analysisRun);
    if (!run) {
      error(`analysisruns.argoproj.io "${prev.analysisRun}" not found`);
      return;
    }
    if (this.terminating) {
      if (!isCompleted(run.status?.phase) && !run.spec.terminate) {
        this.events.push({
          type: 'Normal',
          reason: 'AnalysisRunTerminating',
          message: `Terminating ${analysis.name} (${prev.analysisRun})`,
          after: 'actions',
        });
        this.actions.push({ kind: 'terminateAnalysisRun', analysis: analysis.name, name: prev.analysisRun });
      }
      return;
    }
    // A run not started yet has no phase; ours stays Pending until it has one.
    next.phase = run.status?.phase ?? next.phase;
    if (run.status?.message) next.message = run.status.message;
    else delete next.message;
  }

  assessTemplates(): { phase: AnalysisPhase; message: string } {
    let worst: TemplateStatusCode = 'Successful';
    let message = '';
    for (const template of this.ex.spec.templates) {
      const ts = this.status.templateStatuses?.find((t) => t.name === template.name);
      if (!ts) {
        if (templateIsWorse(worst, 'Progressing')) worst = 'Progressing';
      } else if (templateIsWorse(worst, ts.status)) {
        worst = ts.status as TemplateStatusCode;
        message = ts.message ?? '';
      }
    }
    switch (worst) {
      case 'Progressing':
        return { phase: 'Pending', message };
      case 'Failed':
        return { phase: 'Failed', message };
      case 'Error':
        return { phase: 'Error', message };
      case 'Successful':
        return { phase: 'Successful', message };
      default:
        return { phase: 'Running', message };
    }
  }

  assessAnalysisRuns(): { phase: AnalysisPhase; message: string } {
    let worst: AnalysisPhase = 'Successful';
    let message = '';
    for (const analysis of this.ex.spec.analyses ?? []) {
      const entry = this.status.analysisRuns?.find((r) => r.name === analysis.name);
      // A missing entry is Argo's phase "", which ranks as Successful.
      if (entry && isWorse(worst, entry.phase)) {
        worst = entry.phase;
        message = entry.message ?? '';
      }
    }
    if (requiredAnalysisRunsSuccessful(this.ex, this.status) && isWorse(worst, 'Running')) {
      return { phase: 'Successful', message: REQUIRED_ANALYSIS_COMPLETED_MESSAGE };
    }
    return { phase: worst === 'Pending' ? 'Running' : worst, message };
  }

  calculateStatus(): void {
    const status = this.status;
    const setPhase = (result: { phase: AnalysisPhase; message: string }) => {
      status.phase = result.phase;
      if (result.message) status.message = result.message;
      else delete status.message;
    };
    switch (status.phase) {
      case undefined:
        status.phase = 'Pending';
        break;
      case 'Pending':
      case 'Running': {
        const templates = this.assessTemplates();
        const analyses = this.assessAnalysisRuns();
        if (templates.phase === 'Running' && !status.availableAt) status.availableAt = this.nowText;
        if (isCompleted(templates.phase)) {
          const deferToAnalyses = isCompleted(analyses.phase) || hasRequiredAnalysisRuns(this.ex);
          setPhase(templates.phase === 'Successful' && deferToAnalyses ? analyses : templates);
        } else if (isCompleted(analyses.phase) && analyses.phase !== 'Successful') {
          setPhase(analyses);
        } else if (requiredAnalysisRunsSuccessful(this.ex, status)) {
          setPhase(analyses);
        } else {
          setPhase(templates);
        }
        break;
      }
    }
    this.calculateConditions();
  }

  private calculateConditions(): void {
    const ex = this.ex;
    const status = this.status;
    const name = JSON.stringify(ex.metadata.name);
    let conditions = [...(status.conditions ?? [])];
    if (findCondition(ex.status?.conditions, 'InvalidSpec')) {
      conditions = conditions.filter((c) => c.type !== 'InvalidSpec');
    }
    if (status.phase === 'Successful') {
      conditions = setCondition(
        conditions,
        newCondition(
          'Progressing',
          'False',
          'ExperimentCompleted',
          `Experiment ${name} has successfully ran and completed.`,
          this.nowText,
        ),
      );
    } else if (this.madeProgress()) {
      const current = findCondition(ex.status?.conditions, 'Progressing');
      const condition = newCondition(
        'Progressing',
        'True',
        'ReplicaSetUpdated',
        `Experiment ${name} is progressing.`,
        this.nowText,
      );
      if (current?.status === 'True' && current.lastTransitionTime)
        condition.lastTransitionTime = current.lastTransitionTime;
      conditions = setCondition(
        conditions.filter((c) => c.type !== 'Progressing'),
        condition,
      );
    } else if (ex.status?.availableAt && !passedDuration(ex, this.nowMs).passed) {
      conditions = setCondition(
        conditions,
        newCondition(
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `Experiment ${name} is running.`,
          this.nowText,
        ),
      );
    }
    status.conditions = conditions;
  }

  /** conditions.ExperimentProgressing: a template status appeared or its counts moved. */
  private madeProgress(): boolean {
    const before = this.ex.status?.templateStatuses ?? [];
    const after = this.status.templateStatuses ?? [];
    if (before.length < after.length) return true;
    return before.some((old) => {
      const now = after.find((t) => t.name === old.name);
      return (
        now !== undefined &&
        (old.replicas !== now.replicas ||
          old.updatedReplicas !== now.updatedReplicas ||
          old.readyReplicas !== now.readyReplicas ||
          old.availableReplicas !== now.availableReplicas)
      );
    });
  }

  /** calculateEnqueueDuration: the end of the duration, or the nearest progress deadline. */
  enqueueDuration(): void {
    const after: Experiment = { ...this.ex, status: this.status };
    if (isTerminating(after)) return;
    if (after.status?.availableAt && after.spec.duration) {
      const { passed, remainingMs } = passedDuration(after, this.nowMs);
      if (!passed) this.requeue(remainingMs);
    }
    const deadlineMs = progressDeadlineSeconds(after) * 1000;
    for (const template of after.spec.templates) {
      const ts = this.status.templateStatuses?.find((t) => t.name === template.name);
      if (!ts || (ts.status !== 'Progressing' && ts.status !== 'Running')) continue;
      if (ts.availableReplicas !== desiredReplicas(after, template) && ts.lastTransitionTime) {
        this.requeue(Date.parse(ts.lastTransitionTime) + deadlineMs - this.nowMs);
      }
    }
  }
}

/** Plans one reconcile of a valid Experiment (check invalidSpecMessage first). */
export function planExperiment(observed: ObservedExperiment): ExperimentPlan {
  const pass = new ExperimentPass(observed);
  for (const template of observed.experiment.spec.templates) pass.reconcileTemplate(template);
  for (const analysis of observed.experiment.spec.analyses ?? []) pass.reconcileAnalysis(analysis);
  pass.calculateStatus();
  pass.enqueueDuration();
  const previousPhase = observed.experiment.status?.phase;
  if (previousPhase !== pass.status.phase) {
    const phase = pass.status.phase ?? '';
    const warning = phase === 'Error' || phase === 'Failed' || phase === 'Inconclusive';
    pass.events.push({
      type: warning ? 'Warning' : 'Normal',
      reason: `Experiment${phase}`,
      message: `Experiment transitioned from ${previousPhase ?? ''} -> ${phase}`,
    });
  }
  return {
    actions: pass.actions,
    events: pass.events,
    status: pass.status,
    ...(pass.requeueAfterMs !== undefined ? { requeueAfterMs: pass.requeueAfterMs } : {}),
  };
}
