// The operations a person applies to a Rollout, as the exact patches Argo CD's actions and
// the Argo Rollouts kubectl plugin send (COMPAT-CONTRACT.md, "Steps and operations"), so
// Slipway honours them from any of the three tools. Status fields go through /status.
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/labels.js';
import type { Rollout } from '../api/rollout.js';
import { formatTime } from '../kube/timestamps.js';

export type RolloutOperation =
  | 'promote'
  | 'promote-full'
  | 'abort'
  | 'retry'
  | 'pause'
  | 'restart'
  | 'skip-step';

export interface RolloutPatches {
  /** Merge patch of the object, e.g. `{ spec: { paused: true } }`. */
  object?: Record<string, unknown>;
  /** Merge patch of the status fields, sent to the /status subresource. */
  status?: Record<string, unknown>;
}

/** The patches for `operation` on `rollout` as it is now; `now` for restart. */
export function patchesFor(operation: RolloutOperation, rollout: Rollout, now: Date): RolloutPatches {
  const status = rollout.status ?? {};
  switch (operation) {
    case 'promote': {
      const paused = rollout.spec.paused === true || (status.pauseConditions?.length ?? 0) > 0;
      if (paused) {
        return { object: { spec: { paused: false } }, status: { pauseConditions: null } };
      }
      // Not paused: promote moves past the current step, as the Argo Rollouts plugin does.
      return { status: { currentStepIndex: (status.currentStepIndex ?? 0) + 1 } };
    }
    case 'skip-step':
      return { status: { pauseConditions: null, currentStepIndex: (status.currentStepIndex ?? 0) + 1 } };
    case 'promote-full':
      return { status: { promoteFull: true } };
    case 'abort':
      return { status: { abort: true } };
    case 'retry':
      return { status: { abort: false } };
    case 'pause':
      return { object: { spec: { paused: true } } };
    case 'restart':
      return { object: { spec: { restartAt: formatTime(now.getTime()) } } };
  }
}

interface RevisionedReplicaSet {
  metadata?: { name?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: {
    template?: { metadata?: { labels?: Record<string, string> } & Record<string, unknown> } & Record<
      string,
      unknown
    >;
  };
}

/**
 * `undo`: the pod template of an earlier revision's ReplicaSet (default: the one before the
 * current), without the pod-template-hash label, to put in spec.template — what the Argo
 * Rollouts plugin sends. Throws, naming the revisions there are, when none matches.
 */
export function undoTemplate(
  rollout: Rollout,
  replicaSets: readonly RevisionedReplicaSet[],
  toRevision?: number,
): Record<string, unknown> {
  const revisionOf = (rs: RevisionedReplicaSet) =>
    Number(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
  const current = Number(rollout.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);
  const candidates = replicaSets.filter((rs) => revisionOf(rs) > 0 && revisionOf(rs) !== current);
  const target =
    toRevision !== undefined
      ? candidates.find((rs) => revisionOf(rs) === toRevision)
      : [...candidates]
          .filter((rs) => revisionOf(rs) < current)
          .sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  if (!target?.spec?.template) {
    const known = candidates.map(revisionOf).sort((a, b) => a - b);
    const wanted = toRevision !== undefined ? `revision ${toRevision}` : `a revision before ${current}`;
    throw new Error(
      `no ReplicaSet of ${wanted} (earlier revisions: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  const template = structuredClone(target.spec.template);
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  return { ...template, metadata: { ...template.metadata, labels } };
}
