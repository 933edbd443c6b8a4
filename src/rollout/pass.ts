// One reconcile pass of a Rollout: what was observed, and the actions, events and status
// the pure plan builds up. Strategy modules (canary.ts, bluegreen.ts) work on a pass; this
// module holds what they share: the ReplicaSet of the current template and its revision,
// scaling, Service selectors, history clean-up and the replica counts in status.
import type { Experiment } from '../api/experiment.js';
import {
  MANAGED_BY_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  SCALE_DOWN_DEADLINE_ANNOTATION,
} from '../api/labels.js';
import type { Rollout, RolloutStatus } from '../api/rollout.js';
import type { PlannedEvent } from '../kube/events.js';
import type { KubeObject } from '../kube/object.js';
import { formatTime as formatMetaTime } from '../kube/timestamps.js';
import type { TrafficWrite } from '../trafficrouting/router.js';
import {
  type AnalysisRunAction,
  type AnalysisRunProtocol,
  type ObservedAnalysis,
  RolloutAnalysisRuns,
} from './analysis.js';
import { podTemplateHash } from './pod-template-hash.js';
import type { ObservedReplicaSet } from './replica-math.js';
import {
  availableReplicas,
  findNewReplicaSet,
  hashOf,
  maxRevision,
  newReplicaSet,
  type ReplicaSetVersion,
  replicaSetName,
  revisionOf,
  specReplicas,
  versionOf,
} from './replicasets.js';
import { type RoleMetadata, roleMetadata } from './role-metadata.js';
import type { Deployment, Pod, ReplicaSet, Service } from './workload-types.js';

export type ObservedRolloutObject = Rollout & {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    annotations?: Record<string, string>;
  };
};

export interface ObservedRollout {
  rollout: ObservedRolloutObject;
  /** ReplicaSets whose controller ownerReference is this Rollout. */
  replicaSets: readonly ReplicaSet[];
  /** Services by name: the ones the spec names, and any still annotated as managed by this Rollout. */
  services: ReadonlyMap<string, Service>;
  /** The Rollout's pods; read only while a restart (spec.restartAt) is pending. */
  pods?: readonly Pod[];
  /** The Deployment spec.workloadRef names, if it exists. */
  workload?: Deployment;
  /** This Rollout's AnalysisRuns and the templates new ones are built from. */
  analysis?: ObservedAnalysis;
  /** Experiments in the Rollout's namespace it owns (canary experiment steps). */
  experiments?: readonly Experiment[];
  /** The traffic-router objects (VirtualServices, Ingresses, ...) the Rollout names, as they are. */
  trafficObjects?: readonly KubeObject[];
  now: Date;
}

export type RolloutAction =
  | { kind: 'createReplicaSet'; replicaSet: ReplicaSet }
  | ({
      kind: 'scaleReplicaSet';
      name: string;
      from: number;
      to: number;
      revision: number;
    } & ReplicaSetVersion)
  | ({ kind: 'setReplicaSetRevision'; name: string; revision: number } & ReplicaSetVersion)
  | { kind: 'deleteReplicaSet'; name: string }
  /** Merge these annotations into a ReplicaSet's metadata; null removes one (e.g. scale-down-deadline). */
  | ({
      kind: 'annotateReplicaSet';
      name: string;
      annotations: Record<string, string | null>;
    } & ReplicaSetVersion)
  | { kind: 'pointServiceAt'; service: string; hash: string }
  | { kind: 'releaseService'; service: string }
  /** trafficRouting was removed: undo what the Rollout wrote into its Istio DestinationRules. */
  | { kind: 'releaseDestinationRules' }
  /**
   * `template`: the malformed spec.template as Argo's tolerant decode kept it; Argo's Update of
   * the Rollout for the revision writes that back, which leaves the Rollout readable again.
   */
  | { kind: 'setRolloutRevision'; revision: number; template?: unknown }
  | { kind: 'evictPod'; name: string }
  | { kind: 'scaleDeployment'; name: string; to: number }
  | { kind: 'setWorkloadGeneration'; generation: string }
  | AnalysisRunAction
  | { kind: 'trafficWrite'; write: TrafficWrite }
  | { kind: 'createExperiment'; experiment: Experiment }
  | { kind: 'terminateExperiment'; name: string }
  | { kind: 'deleteExperiment'; name: string }
  /** Swap a ReplicaSet's (and its pods') role metadata from `previous` to `desired`. */
  | ({
      kind: 'syncRoleMetadata';
      name: string;
      hash: string;
      previous?: RoleMetadata;
      desired?: RoleMetadata;
    } & ReplicaSetVersion);

export interface RolloutPlan {
  actions: RolloutAction[];
  /** The whole status to write (only written when it differs from the observed one). */
  status: RolloutStatus;
  events: PlannedEvent[];
  /** Look again after this long even if nothing changes (a timed pause, a progress deadline). */
  requeueAfterMs?: number;
  /**
   * The pass stopped on an invalid spec that Argo's syncHandler returns as an error (its
   * validation of the spec and of the objects it names): counted in rollout_reconcile_error.
   */
  invalidSpecError?: boolean;
}

export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/** The scale-down-deadline of a ReplicaSet in ms since the epoch; NaN if unreadable. */
export function scaleDownDeadlineOf(rs: ReplicaSet | undefined): number | undefined {
  const value = rs?.metadata?.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION];
  return value ? Date.parse(value) : undefined;
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function formatTime(date: Date): string {
  return formatMetaTime(date.getTime());
}

export function asObservedReplicaSet(rs: ReplicaSet): ObservedReplicaSet {
  return {
    name: rs.metadata?.name ?? '',
    specReplicas: specReplicas(rs),
    availableReplicas: availableReplicas(rs),
    revision: revisionOf(rs),
  };
}

/** `metav1.FormatLabelSelector`: what status.selector (read by the HPA) holds. */
export function selectorString(selector: Rollout['spec']['selector']): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const expr of selector?.matchExpressions ?? []) {
    const values = (expr.values ?? []).join(',');
    if (expr.operator === 'In') parts.push(`${expr.key} in (${values})`);
    else if (expr.operator === 'NotIn') parts.push(`${expr.key} notin (${values})`);
    else if (expr.operator === 'Exists') parts.push(expr.key);
    else if (expr.operator === 'DoesNotExist') parts.push(`!${expr.key}`);
  }
  return parts.join(',');
}

export class RolloutPass {
  readonly observed: ObservedRollout;
  readonly rollout: ObservedRolloutObject;
  readonly now: Date;
  readonly nowText: string;
  /** The status as read. */
  readonly previous: RolloutStatus;
  readonly replicas: number;
  /** rollouts-pod-template-hash of the current template. */
  readonly hash: string;
  readonly owned: readonly ReplicaSet[];
  readonly actions: RolloutAction[] = [];
  readonly events: PlannedEvent[] = [];
  /** The ReplicaSet of the current template (being created if it did not exist). */
  readonly newRS: ReplicaSet;
  /** Revision of the current template. */
  readonly revision: number;
  /** The revision the current template's ReplicaSet had before this pass (undefined: new). */
  readonly priorRevision: number | undefined;
  /** The AnalysisRuns this pass needs, creates and stops (request, keep, finish). */
  readonly analysis: AnalysisRunProtocol;
  /** Set when the spec proves invalid during the pass (e.g. an analysis template is missing). */
  invalid: string | undefined;
  /** Why this pass aborts the update, for the RolloutAborted message (e.g. a failed AnalysisRun). */
  abortReason: string | undefined;
  /** A router could not be reconciled: like Argo, this pass's status is not persisted. */
  trafficRoutingError: string | undefined;
  private requeueAfter: number | undefined;

  constructor(observed: ObservedRollout) {
    this.observed = observed;
    this.rollout = observed.rollout;
    this.now = observed.now;
    this.nowText = formatTime(observed.now);
    this.previous = observed.rollout.status ?? {};
    this.replicas = this.rollout.spec.replicas ?? 1;
    this.owned = [...observed.replicaSets];
    const computedHash = podTemplateHash(this.rollout.spec.template ?? {}, this.previous.collisionCount);
    const existing = findNewReplicaSet(this.rollout, this.owned, computedHash);
    // A ReplicaSet adopted by template equality keeps its own hash: pods, Services and
    // router objects already select it (Argo does the same).
    this.hash = (existing && hashOf(existing)) ?? computedHash;
    const highestRevision = maxRevision(this.owned);
    this.priorRevision = existing ? revisionOf(existing) : undefined;
    if (!existing) {
      this.revision = highestRevision + 1;
      this.newRS = newReplicaSet(
        this.rollout,
        this.hash,
        this.revision,
        // Argo creates every ReplicaSet at 0 and scales it up after (ScalingReplicaSet).
        0,
        this.stableRS ? this.previous.stableRS : undefined,
        // A first deploy is stable at once; later templates start as the canary / preview.
        roleMetadata(this.rollout, this.stableRS ? 'new' : 'stable'),
      );
      this.actions.push({ kind: 'createReplicaSet', replicaSet: this.newRS });
      // Argo's order: the revision is set on the Rollout (RolloutUpdated), then the Event of the
      // ReplicaSet it created.
      this.emitAfterActions('RolloutUpdated', `Rollout updated to revision ${this.revision}`);
      this.emitAfterActions(
        'NewReplicaSetCreated',
        `Created ReplicaSet ${replicaSetName(this.rollout.metadata.name, this.hash)} (revision ${this.revision})`,
      );
    } else if (revisionOf(existing) < highestRevision && this.hash !== this.previous.currentPodHash) {
      // Back to an older template (undo, or a revert in Git): it becomes the newest revision.
      this.newRS = existing;
      this.revision = highestRevision + 1;
      this.actions.push({
        kind: 'setReplicaSetRevision',
        name: existing.metadata?.name ?? '',
        revision: this.revision,
        ...versionOf(existing),
      });
      this.emitAfterActions('RolloutUpdated', `Rollout updated to revision ${this.revision}`);
    } else {
      this.newRS = existing;
      this.revision = revisionOf(existing);
    }
    if (this.rollout.metadata.annotations?.[REVISION_ANNOTATION] !== String(this.revision)) {
      this.actions.push({ kind: 'setRolloutRevision', revision: this.revision });
    }
    this.analysis = new RolloutAnalysisRuns(this, observed.analysis);
  }

  /** The ReplicaSet status.stableRS names, if it still exists. */
  get stableRS(): ReplicaSet | undefined {
    const stableHash = this.previous.stableRS;
    return stableHash ? this.owned.find((rs) => hashOf(rs) === stableHash) : undefined;
  }

  /** True when the current template's ReplicaSet is created by this pass. */
  get creatingNewRS(): boolean {
    return this.actions.some((a) => a.kind === 'createReplicaSet');
  }

  replicaSetByHash(hash: string | undefined): ReplicaSet | undefined {
    return hash ? this.owned.find((rs) => hashOf(rs) === hash) : undefined;
  }

  emit(reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void {
    this.events.push({ type, reason, message });
  }

  emitAfterActions(reason: string, message: string): void {
    this.events.push({ type: 'Normal', reason, message, after: 'actions' });
  }

  requeueAfterMs(ms: number): void {
    this.requeueAfter = this.requeueAfter === undefined ? ms : Math.min(this.requeueAfter, ms);
  }

  get requeue(): number | undefined {
    return this.requeueAfter;
  }

  /** Scales a ReplicaSet (or sets the size of the one being created). */
  scaleTo(rs: ReplicaSet, to: number): void {
    const name = rs.metadata?.name ?? '';
    const create = this.actions.find(
      (a): a is Extract<RolloutAction, { kind: 'createReplicaSet' }> =>
        a.kind === 'createReplicaSet' && a.replicaSet.metadata?.name === name,
    );
    if (create?.replicaSet.spec) {
      // Created at 0 and scaled in the same pass: one write, Argo's ScalingReplicaSet Event.
      const created = create.replicaSet.spec.replicas ?? 0;
      create.replicaSet.spec.replicas = to;
      if (to !== created) {
        this.emitAfterActions(
          'ScalingReplicaSet',
          `Scaled ${to > created ? 'up' : 'down'} ReplicaSet ${name} (revision ${revisionOf(rs)}) from ${created} to ${to}`,
        );
      }
      return;
    }
    const from = specReplicas(rs);
    if (from === to) return;
    this.actions.push({
      kind: 'scaleReplicaSet',
      name,
      from,
      to,
      revision: revisionOf(rs),
      ...versionOf(rs),
    });
    this.emitAfterActions(
      'ScalingReplicaSet',
      `Scaled ${to > from ? 'up' : 'down'} ReplicaSet ${name} (revision ${revisionOf(rs)}) from ${from} to ${to}`,
    );
  }

  /**
   * Points each named Service at a pod-template hash, once that ReplicaSet has available
   * pods (so a Service never goes dark), and releases Services this Rollout managed but
   * no longer names. `minAvailable` per Service: how many pods must be available first;
   * 0 switches at once, even to the ReplicaSet this pass creates (a blue-green preview).
   */
  reconcileServices(targets: ReadonlyMap<string, { hash: string | undefined; minAvailable: number }>): void {
    const rolloutName = this.rollout.metadata.name;
    for (const [name, target] of targets) {
      const service = this.observed.services.get(name);
      if (!service || !target.hash) continue;
      const rs = this.replicaSetByHash(target.hash) ?? (target.hash === this.hash ? this.newRS : undefined);
      if (!rs || availableReplicas(rs) < target.minAvailable) continue;
      const current = service.spec?.selector?.[POD_TEMPLATE_HASH_LABEL];
      const managedBy = service.metadata?.annotations?.[MANAGED_BY_ANNOTATION];
      if (current === target.hash && managedBy === rolloutName) continue;
      this.actions.push({ kind: 'pointServiceAt', service: name, hash: target.hash });
      if (current !== target.hash) {
        this.emitAfterActions(
          'SwitchService',
          `Switched selector for service '${name}' from '${current ?? ''}' to '${target.hash}'`,
        );
      }
    }
    for (const [name, service] of this.observed.services) {
      if (targets.has(name)) continue;
      if (service.metadata?.annotations?.[MANAGED_BY_ANNOTATION] === rolloutName) {
        this.actions.push({ kind: 'releaseService', service: name });
      }
    }
  }

  /** Sets (or with null removes) a ReplicaSet's scale-down-deadline annotation. */
  setScaleDownDeadline(rs: ReplicaSet, value: string | null): void {
    this.actions.push({
      kind: 'annotateReplicaSet',
      name: rs.metadata?.name ?? '',
      annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: value },
      ...versionOf(rs),
    });
  }

  /**
   * Older sets that no Service or status references anymore scale down newest revision first:
   * each first gets a scale-down-deadline (delaySeconds from now, so traffic can drain), up to
   * revisionLimit of them; past its deadline or beyond the limit, a set goes to 0.
   */
  scaleDownOlderReplicaSets(
    others: readonly ReplicaSet[],
    referenced: ReadonlySet<string>,
    delay: { delaySeconds: number; revisionLimit: number | undefined },
  ): void {
    const nowMs = this.now.getTime();
    const limit = delay.revisionLimit ?? Number.POSITIVE_INFINITY;
    let delayed = 0;
    for (const rs of [...others].sort((a, b) => revisionOf(b) - revisionOf(a))) {
      const hash = hashOf(rs);
      if ((hash && referenced.has(hash)) || specReplicas(rs) === 0) continue;
      const deadline = scaleDownDeadlineOf(rs);
      if (deadline === undefined) {
        if (delayed < limit && delay.delaySeconds > 0) {
          delayed++;
          this.setScaleDownDeadline(rs, formatTime(new Date(nowMs + delay.delaySeconds * 1000)));
          this.requeueAfterMs(delay.delaySeconds * 1000);
          continue;
        }
      } else {
        delayed++;
        if (delayed <= limit && !Number.isNaN(deadline) && deadline > nowMs) {
          this.requeueAfterMs(deadline - nowMs);
          continue;
        }
      }
      // Scaled to 0 it no longer waits (and a rollback to it is not a fast one).
      if (deadline !== undefined) this.setScaleDownDeadline(rs, null);
      this.scaleTo(rs, 0);
    }
  }

  /** Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  cleanUpHistory(keep: readonly (ReplicaSet | undefined)[]): void {
    const limit = this.rollout.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    const retired = this.owned
      .filter((rs) => !keep.includes(rs))
      .filter(
        (rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata?.deletionTimestamp,
      )
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of retired.slice(0, Math.max(0, retired.length - limit))) {
      this.actions.push({ kind: 'deleteReplicaSet', name: rs.metadata?.name ?? '' });
    }
  }

  /** status.replicas, updatedReplicas, readyReplicas, availableReplicas and HPAReplicas from the ReplicaSets. */
  replicaCounts(): Pick<
    RolloutStatus,
    'replicas' | 'updatedReplicas' | 'readyReplicas' | 'availableReplicas' | 'HPAReplicas'
  > {
    const sum = (pick: (rs: ReplicaSet) => number) => this.owned.reduce((total, rs) => total + pick(rs), 0);
    const actual = sum((rs) => rs.status?.replicas ?? 0);
    return {
      replicas: actual,
      updatedReplicas: this.newRS.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: sum((rs) => rs.status?.availableReplicas ?? 0),
      HPAReplicas: actual,
    };
  }
}
