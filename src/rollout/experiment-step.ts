// The canary `experiment` step, as Argo Rollouts' rollout/experiment.go: at the step the
// Rollout creates an Experiment `<rollout>-<hash>-<revision>-<step>` (a `-<n>` suffix when a
// finished or different one has that name), owned by the Rollout, from the canary and stable
// ReplicaSets' templates; it records it as status.canary.currentExperiment while it runs; its
// Successful end completes the step, Failed/Error aborts the update, Inconclusive pauses it.
// An experiment the Rollout no longer needs (the step passed, abort, promote-full, a new
// template) is terminated, and old ones are deleted beyond the analysis history limits. With
// traffic routing, the running experiment's templates that declare a `weight` get it.
import { isDeepStrictEqual } from 'node:util';
import { isCompleted } from '../analysis/phases.js';
import { resolveRolloutArgs } from '../analysis/run-from-templates.js';
import type { Experiment } from '../api/experiment.js';
import { controllerReference } from '../api/kind-definition.js';
import { apiResourceOf, EXPERIMENT_KIND, ROLLOUT_KIND } from '../api/kinds.js';
import { INSTANCE_ID_LABEL, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/labels.js';
import type { CanaryStep } from '../api/rollout.js';
import { terminateExperimentPatch } from '../experiment/operations.js';
import { AlreadyExistsError } from '../kube/api-error.js';
import { createObject, deleteObject, mergePatch } from '../kube/patch.js';
import type { RestClient } from '../kube/rest.js';
import type { WeightDestination } from '../trafficrouting/router.js';
import type { RolloutAction, RolloutPass } from './pass.js';
import { hashOf } from './replicasets.js';
import type { ReplicaSet } from './workload-types.js';

export const EXPERIMENTS = apiResourceOf(EXPERIMENT_KIND);
type ExperimentStep = NonNullable<CanaryStep['experiment']>;

export type ExperimentAction = Extract<
  RolloutAction,
  { kind: 'createExperiment' | 'terminateExperiment' | 'deleteExperiment' }
>;

const DEFAULT_HISTORY_LIMIT = 5;

/** What the experiment step decided this pass. */
export type ExperimentStepOutcome =
  | { kind: 'waiting' }
  | { kind: 'waitingForStable' }
  | { kind: 'successful' }
  | { kind: 'abort'; message: string }
  | { kind: 'inconclusive' };

/** Argo's GetExperimentFromTemplate: the Experiment a canary experiment step runs. */
export function experimentForStep(
  pass: RolloutPass,
  step: ExperimentStep,
  stableRS: ReplicaSet,
  name: string,
): Experiment {
  const { rollout, hash, newRS } = pass;
  const revision = String(pass.revision);
  const instanceId = rollout.metadata.labels?.[INSTANCE_ID_LABEL];
  const templates = step.templates.map((templateStep) => {
    const source = templateStep.specRef === 'canary' ? newRS : stableRS;
    const template = structuredClone(source.spec?.template ?? {});
    const selector = structuredClone(templateStep.selector ?? source.spec?.selector ?? {});
    const labels = templateStep.metadata?.labels;
    if (labels) {
      template.metadata = {
        ...(template.metadata ?? {}),
        labels: { ...(template.metadata?.labels ?? {}), ...labels },
      };
      selector.matchLabels = { ...(selector.matchLabels ?? {}), ...labels };
    }
    const annotations = templateStep.metadata?.annotations;
    if (annotations) {
      template.metadata = {
        ...(template.metadata ?? {}),
        annotations: { ...(template.metadata?.annotations ?? {}), ...annotations },
      };
    }
    const service =
      templateStep.weight !== undefined || templateStep.service !== undefined
        ? { ...(templateStep.service?.name ? { name: templateStep.service.name } : {}) }
        : undefined;
    return {
      name: templateStep.name,
      ...(templateStep.replicas !== undefined ? { replicas: templateStep.replicas } : {}),
      ...(source.spec?.minReadySeconds ? { minReadySeconds: source.spec.minReadySeconds } : {}),
      selector,
      template,
      ...(service ? { service } : {}),
    };
  });
  const analyses = (step.analyses ?? []).map((analysis) => ({
    name: analysis.name,
    templateName: analysis.templateName,
    ...(analysis.clusterScope !== undefined ? { clusterScope: analysis.clusterScope } : {}),
    args: resolveRolloutArgs(analysis.args ?? [], rollout, {
      latest: hash,
      ...(hashOf(stableRS) ? { stable: hashOf(stableRS) } : {}),
    }),
    ...(analysis.requiredForCompletion !== undefined
      ? { requiredForCompletion: analysis.requiredForCompletion }
      : {}),
  }));
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Experiment',
    metadata: {
      name,
      namespace: rollout.metadata.namespace,
      labels: {
        ...(rollout.metadata.labels ?? {}),
        [POD_TEMPLATE_HASH_LABEL]: hash,
        ...(instanceId ? { [INSTANCE_ID_LABEL]: instanceId } : {}),
      },
      annotations: { [REVISION_ANNOTATION]: revision },
      ownerReferences: [controllerReference(ROLLOUT_KIND, rollout)],
    },
    spec: {
      templates,
      ...(step.duration ? { duration: step.duration } : {}),
      ...(rollout.spec.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: rollout.spec.progressDeadlineSeconds }
        : {}),
      ...(analyses.length > 0 ? { analyses } : {}),
      ...(step.dryRun ? { dryRun: step.dryRun } : {}),
      ...(step.analysisRunMetadata ? { analysisRunMetadata: step.analysisRunMetadata } : {}),
      ...(step.scaleDownDelaySeconds !== undefined
        ? { scaleDownDelaySeconds: step.scaleDownDelaySeconds }
        : {}),
    },
  };
}

/**
 * Go's view of a spec: empty objects, empty lists and nulls are what an absent field decodes
 * to (the API server writes `analysisRunMetadata: {}` back, Argo's structs cannot tell).
 */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalized);
  // false, like an absent field, is what Go writes as nothing (omitempty).
  if (value === null || value === false) return undefined;
  if (typeof value !== 'object') return value;
  const entries = Object.entries(value)
    .map(([k, v]) => [k, normalized(v)] as const)
    .filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/** Argo's IsSemanticallyEqual: the specs match, terminate aside. */
function sameSpec(a: Experiment['spec'], b: Experiment['spec']): boolean {
  const { terminate: _a, ...left } = a;
  const { terminate: _b, ...right } = b;
  return isDeepStrictEqual(normalized(left), normalized(right));
}

/** The Rollout's experiments during one pass: the one the step needs, and the rest to stop. */
export class RolloutExperiments {
  private readonly pass: RolloutPass;
  private readonly owned: readonly Experiment[];
  /** The experiment status.canary.currentExperiment names (as observed). */
  readonly current: Experiment | undefined;
  /** The experiment this pass keeps as current (status.canary.currentExperiment). */
  private kept: string | undefined;

  /** `forgetCurrent`: a new template, so the recorded experiment belongs to the old one. */
  constructor(pass: RolloutPass, forgetCurrent = false) {
    this.pass = pass;
    this.owned = (pass.observed.experiments ?? []).filter(
      (ex) =>
        !ex.metadata?.deletionTimestamp &&
        ex.metadata?.ownerReferences?.some((o) => o.controller && o.uid === pass.rollout.metadata.uid),
    );
    const name = pass.previous.canary?.currentExperiment;
    this.current = name && !forgetCurrent ? this.owned.find((ex) => ex.metadata?.name === name) : undefined;
  }

  /** status.canary.currentExperiment after this pass. */
  get currentName(): string | undefined {
    return this.kept;
  }

  /**
   * reconcileExperiments for an experiment step at `index`: the current experiment, created
   * if missing (once the stable ReplicaSet exists), and what its phase means for the step.
   */
  request(step: ExperimentStep, index: number, inconclusivePaused: boolean): ExperimentStepOutcome {
    if (inconclusivePaused) {
      // Argo leaves everything as it is while the Rollout is paused for an inconclusive experiment.
      this.kept = this.pass.previous.canary?.currentExperiment;
      return { kind: 'inconclusive' };
    }
    let ex = this.current;
    const stableRS = this.pass.stableRS;
    if (!ex) {
      if (!stableRS) return { kind: 'waitingForStable' };
      // The canary template is taken from the ReplicaSet as the API server stored it (defaulted,
      // as Argo reads it back from its create), so not in the pass that creates it.
      if (this.pass.creatingNewRS) return { kind: 'waiting' };
      const base = `${this.pass.rollout.metadata.name}-${this.pass.hash}-${this.pass.revision}-${index}`;
      let built = experimentForStep(this.pass, step, stableRS, base);
      // createExperimentWithCollisionHandling, against our cache: a name whose experiment is
      // ours, unfinished and the same is reused; any other taken name gets a `-<n>` suffix.
      for (let n = 1; ; n++) {
        const taken = this.owned.find((o) => o.metadata?.name === built.metadata?.name);
        if (!taken) break;
        if (!isCompleted(taken.status?.phase) && sameSpec(taken.spec, built.spec)) {
          ex = taken;
          break;
        }
        built = { ...built, metadata: { ...built.metadata, name: `${base}-${n}` } };
      }
      if (!ex) {
        ex = built;
        this.pass.actions.push({ kind: 'createExperiment', experiment: built });
        this.pass.emitAfterActions('ExperimentCreated', `Created Experiment '${built.metadata?.name}'`);
      }
    }
    switch (ex.status?.phase) {
      case 'Inconclusive':
        return { kind: 'inconclusive' };
      case 'Error':
      case 'Failed': {
        const message = `Experiment analysis phase is error/failed${ex.status.message ? `: ${ex.status.message}` : ''}`;
        return { kind: 'abort', message };
      }
      case 'Successful':
        // The step completes; the experiment is no longer current.
        return { kind: 'successful' };
      default:
        this.kept = ex.metadata?.name;
        return { kind: 'waiting' };
    }
  }

  /**
   * End of the pass: terminates running experiments that are not current (all of them on
   * abort or promote-full) and deletes old ones beyond the history limits.
   */
  finish(stopAll: boolean): void {
    const keep = stopAll ? undefined : this.kept;
    const others = this.owned.filter((ex) => ex.metadata?.name !== keep);
    for (const ex of others) {
      if (!ex.spec.terminate && !isCompleted(ex.status?.phase)) {
        this.pass.actions.push({ kind: 'terminateExperiment', name: ex.metadata?.name ?? '' });
      }
    }
    // FilterExperimentsToDelete: no pod hash, or no ReplicaSet of it left: delete; otherwise
    // keep the newest finished ones up to the history limits.
    const hashes = new Map(
      this.pass.owned.map((rs) => [hashOf(rs), rs.metadata?.deletionTimestamp !== undefined]),
    );
    const limits = this.pass.rollout.spec.analysis;
    let successful = limits?.successfulRunHistoryLimit ?? DEFAULT_HISTORY_LIMIT;
    let unsuccessful = limits?.unsuccessfulRunHistoryLimit ?? DEFAULT_HISTORY_LIMIT;
    const newestFirst = [...others].sort(
      (a, b) =>
        Date.parse(b.metadata?.creationTimestamp ?? '') - Date.parse(a.metadata?.creationTimestamp ?? '') ||
        (b.metadata?.name ?? '').localeCompare(a.metadata?.name ?? ''),
    );
    for (const ex of newestFirst) {
      const hash = ex.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
      let remove = hash === undefined || !hashes.has(hash) || hashes.get(hash) === true;
      if (!remove && ex.status?.phase === 'Successful') remove = successful-- <= 0;
      else if (!remove && isCompleted(ex.status?.phase)) remove = unsuccessful-- <= 0;
      if (remove) this.pass.actions.push({ kind: 'deleteExperiment', name: ex.metadata?.name ?? '' });
    }
  }

  /**
   * calculateWeightDestinationsFromExperiment: while the current experiment runs, each of its
   * templates with a `weight` in the last experiment step gets it, on the template's Service.
   */
  weightDestinations(steps: readonly CanaryStep[], index: number): WeightDestination[] {
    let step: ExperimentStep | undefined;
    for (let i = Math.min(index, steps.length - 1); i >= 0 && !step; i--) step = steps[i]?.experiment;
    const ex = this.current;
    if (!step || !ex || ex.status?.phase !== 'Running') return [];
    const destinations: WeightDestination[] = [];
    for (const ts of ex.status.templateStatuses ?? []) {
      const weight = step.templates.find((t) => t.name === ts.name)?.weight;
      if (weight === undefined) continue;
      destinations.push({
        serviceName: ts.serviceName ?? '',
        podTemplateHash: ts.podTemplateHash ?? '',
        weight,
      });
    }
    return destinations;
  }
}

/** Applies one experiment action of a Rollout plan. */
export async function applyExperimentAction(
  client: RestClient,
  namespace: string,
  action: ExperimentAction,
): Promise<void> {
  switch (action.kind) {
    case 'createExperiment':
      try {
        await createObject(client, EXPERIMENTS, action.experiment);
      } catch (error) {
        // Ours from an earlier pass the cache has not shown yet; anything else is a real clash.
        if (!(error instanceof AlreadyExistsError)) throw error;
        const existing = await client.get<Experiment>(
          EXPERIMENTS,
          namespace,
          action.experiment.metadata?.name ?? '',
        );
        const owner = action.experiment.metadata?.ownerReferences?.[0]?.uid;
        if (!existing.metadata?.ownerReferences?.some((o) => o.controller && o.uid === owner)) throw error;
      }
      return;
    case 'terminateExperiment':
      await mergePatch(
        client,
        { resource: EXPERIMENTS, namespace, name: action.name },
        terminateExperimentPatch(),
      );
      return;
    case 'deleteExperiment':
      await deleteObject(
        client,
        { resource: EXPERIMENTS, namespace, name: action.name },
        { ifMissing: 'ignore' },
      );
      return;
  }
}
