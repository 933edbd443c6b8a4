// Status writes that change only pod counts, held back while an update is in progress (issue
// 22: requests per update). During a canary step the ReplicaSets' status moves several times
// (a pod created, then ready, an old one gone) before the step completes; each move alone
// would be one status write. Held back, the counts go out with the step's next real change,
// or by a timer requeue when the hold is up.
//
// Argo Rollouts writes on every reconcile whose status changed (rollout/sync.go
// persistRolloutStatus: a two-way merge patch, skipped only when empty), so a client that
// reads the counts once the Rollout is Healthy, Paused or Degraded sees them current (Argo's
// e2e TestBlueGreenScaleDownDelay and TestRolloutRestart do). The rule below keeps that: it
// holds only between two Progressing statuses of an unfinished update, never when anything
// else would change, and never once the counts are complete.
import { isDeepStrictEqual } from 'node:util';
import type { RolloutStatus } from '../api/rollout.js';
import { ConditionType } from './status.js';

/** The status fields that only count pods (the ReplicaSets' status, summed). */
const POD_COUNT_FIELDS = ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'HPAReplicas'];

/**
 * The Progressing messages that status.ts's rolloutPhase derives from the pod counts alone: a
 * pass whose counts move turns one into another (a surge pod created: "old replicas are pending
 * termination"; the old one gone: "updated replicas are still becoming available"). No e2e test
 * of Argo's waits on them (only on a pause reason's message).
 */
const COUNT_MESSAGES = new Set([
  'more replicas need to be updated',
  'updated replicas are still becoming available',
  'old replicas are pending termination',
]);

/**
 * The status without its pod counts, and without the Progressing condition's lastUpdateTime,
 * which every change of the counts refreshes (conditions.ts: progress restarts the deadline).
 * While a write is held, each pass still sees the counts move against the status as written
 * and refreshes that time again, so the progress deadline cannot fire meanwhile.
 */
function withoutPodCounts(status: RolloutStatus): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...status };
  for (const field of POD_COUNT_FIELDS) delete rest[field];
  if (status.phase === 'Progressing' && COUNT_MESSAGES.has(status.message ?? '')) delete rest.message;
  if (status.conditions) {
    rest.conditions = status.conditions.map((c) => {
      if (c.type !== ConditionType.Progressing) return c;
      const { lastUpdateTime: _refreshed, ...kept } = c;
      return kept;
    });
  }
  return rest;
}

/**
 * Every pod of the desired count is on the new template and available, and no other pod is
 * left: the update is about to finish. (availableReplicas counts the old pods too: with the
 * last new pod created and one old pod still up it reaches the desired count before the new
 * pods are all available.)
 */
function countsComplete(status: RolloutStatus, desiredReplicas: number): boolean {
  const updated = status.updatedReplicas ?? 0;
  return (
    updated >= desiredReplicas &&
    (status.replicas ?? 0) <= updated &&
    (status.availableReplicas ?? 0) >= desiredReplicas
  );
}

export interface StatusWrite {
  /** The status as stored (what the pass planned from). */
  previous: RolloutStatus;
  /** The status the pass planned. */
  next: RolloutStatus;
  /** spec.replicas (1 when unset). */
  desiredReplicas: number;
  /**
   * The pass records Events that go out after this write (they report it, so it goes out with
   * them). Events recorded after the pass's ReplicaSet writes (ScalingReplicaSet) report those
   * writes, not the status: they do not stop a hold.
   */
  withEvents: boolean;
}

/**
 * True when this status write may wait: it changes nothing but pod counts (with the progress
 * time they or a scaled ReplicaSet refresh, and the Progressing message they select), during
 * an update that is Progressing before and after (not Healthy, Paused or Degraded, no new
 * step, condition, other message or pause), with a new template not yet stable, and the
 * counts not yet complete. Anything else is written at once.
 */
export function mayHoldCountOnlyStatusWrite({
  previous,
  next,
  desiredReplicas,
  withEvents,
}: StatusWrite): boolean {
  if (withEvents || isDeepStrictEqual(next, previous)) return false;
  // Only during an update: Healthy, Paused and Degraded are read by clients with the counts.
  if (previous.phase !== 'Progressing' || next.stableRS === next.currentPodHash) return false;
  if (countsComplete(next, desiredReplicas)) return false;
  // Everything else (phase, message, conditions, step, pause, abort, hashes) as it was.
  return isDeepStrictEqual(withoutPodCounts(next), withoutPodCounts(previous));
}

/**
 * When each Rollout's count-only write was first held back, so it is held at most `delayMs`
 * (the reconcile asks to look again then, which writes it even if nothing else happens).
 */
export class PodCountWrites {
  /** Rollout uid -> when a count-only change was first held back. */
  private readonly heldSince = new Map<string, number>();
  private lastPrune = 0;

  constructor(
    // 5 s: in the bench's canary update at 200 Rollouts x 5 replicas a step waits 2-5 s for its
    // pods, and a 2 s hold let 3 count-only writes per update out on its timer. Mid-step counts
    // are read by people; what clients wait on (Healthy, Paused, a step) is written at once.
    readonly delayMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long to hold back this count-only write (requeue then); undefined: write now. */
  holdBack(uid: string): number | undefined {
    const now = this.now();
    const since = this.heldSince.get(uid);
    if (since === undefined) {
      // Entries of Rollouts deleted while held would stay; drop any long overdue (at most once
      // per delay, so a burst of thousands of held Rollouts does not scan the map on each one).
      if (this.heldSince.size >= 1024 && now - this.lastPrune > this.delayMs) {
        this.lastPrune = now;
        for (const [key, at] of this.heldSince) if (now - at > 10 * this.delayMs) this.heldSince.delete(key);
      }
      this.heldSince.set(uid, now);
      return this.delayMs;
    }
    const left = since + this.delayMs - now;
    return left > 0 ? left : undefined;
  }

  /** The status was written (or needs no write): nothing is held back any more. */
  settled(uid: string): void {
    this.heldSince.delete(uid);
  }
}
