// The edits one GitTarget owes, derived from desired state alone: every ImageWatch's latest
// candidate (held in its status) written to each of its targets in this GitTarget. Nothing is
// remembered in memory, so a restart in the middle of a batch derives the same edits again, and
// the edits already in Git change nothing. A candidate a PromotionPipeline holds is never planned.
import type { ImageWatch } from '../../api/gitsync.js';
import { heldCandidate, type ImageHold } from '../imagewatch/check.js';
import { compilePolicy } from '../imagewatch/policy/strategy.js';
import type { PendingEdit } from './workspace/push-batch.js';
import { editSpecFor, referenceOf, validateWriteTarget } from './write-targets.js';

export interface TargetRef {
  /** `namespace/name` of the ImageWatch. */
  readonly watch: string;
  readonly index: number;
  readonly path: string;
}

export interface PlannedEdit extends PendingEdit, TargetRef {
  /** The full reference written, as status.latest.image shows it. */
  readonly reference: string;
}

export interface RepositoryPlan {
  readonly edits: readonly PlannedEdit[];
  /** Targets no repository content can satisfy (bad spec); reported, never attempted. */
  readonly invalid: readonly (TargetRef & { readonly reason: string })[];
  /** Targets whose watch has no current candidate yet. */
  readonly waiting: readonly TargetRef[];
}

export function targetId(watch: string, index: number): string {
  return `${watch}#${index}`;
}

export function planRepositoryEdits(gitTargetName: string, watches: readonly ImageWatch[]): RepositoryPlan {
  const edits: PlannedEdit[] = [];
  const invalid: (TargetRef & { reason: string })[] = [];
  const waiting: TargetRef[] = [];
  const sorted = [...watches].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  for (const watch of sorted) {
    const key = keyOf(watch);
    // Suspended: nothing is planned, so Git keeps what it holds and the targets' writes stay as said.
    if (watch.spec.suspend === true) continue;
    const policy = compilePolicy(watch.spec.policy);
    const latest = watch.status?.latest;
    // A candidate found for an older spec (another image, another policy) is not written.
    const current =
      !('error' in policy) &&
      latest?.tag !== undefined &&
      latest.digest !== undefined &&
      watch.status?.observedGeneration === watch.metadata.generation;
    watch.spec.targets.forEach((target, index) => {
      if (target.gitTarget !== gitTargetName) return;
      const ref = { watch: key, index, path: target.path };
      const problem = validateWriteTarget(target);
      if (problem !== undefined) {
        invalid.push({ ...ref, reason: problem });
        return;
      }
      if (!current || 'error' in policy) {
        waiting.push(ref);
        return;
      }
      const write = {
        image: watch.spec.image,
        tag: latest!.tag!,
        digest: latest!.digest!,
        pinDigest: policy.strategy === 'digest',
      };
      const reference = referenceOf(write);
      const respect = (watch.spec.manualChanges ?? 'respect') === 'respect';
      // We put this very value there before (or kept a person's change over it): a different
      // value in the file now is someone else's.
      const before = watch.status?.writes?.find(
        (w) => w.gitTarget === gitTargetName && w.path === target.path,
      );
      const writtenBefore =
        before?.image === reference && (before.state === 'Applied' || before.state === 'ManualChange');
      edits.push({
        ...ref,
        id: targetId(key, index),
        spec: editSpecFor(target, write),
        image: watch.spec.image,
        to: write.pinDigest ? `${write.tag}@${write.digest}` : write.tag,
        policy: policy.description,
        reference,
        ...(respect && { respectManualChange: true }),
        ...(writtenBefore && { writtenBefore: true }),
      });
    });
  }
  return { edits, invalid, waiting };
}

/**
 * The watches as a plan should see them: one whose status.latest a PromotionPipeline holds (a
 * check before the hold picked it) loses its candidate, so its targets wait instead of the sync
 * writing the held image back over a rollback. The watch's next check picks another one.
 */
export function withoutHeldCandidates(
  watches: readonly ImageWatch[],
  holdsFor: (watch: ImageWatch) => readonly ImageHold[],
): ImageWatch[] {
  return watches.map((watch) => {
    const latest = watch.status?.latest;
    if (latest?.tag === undefined) return watch;
    if (heldCandidate(holdsFor(watch), latest.tag, latest.digest) === undefined) return watch;
    const { latest: _held, ...status } = watch.status!;
    return { ...watch, status };
  });
}

function keyOf(watch: ImageWatch): string {
  return `${watch.metadata.namespace}/${watch.metadata.name}`;
}
