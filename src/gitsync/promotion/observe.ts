// What the promotion decisions need to know about one Rollout, read from the Rollout and the
// AnalysisRuns of its current revision. Pure: the reconciler lists the objects, this reads them.
import type { AnalysisPhase } from '../../api/analysis.js';
import { parseImageRef, sameImageName } from '../../api/image-ref.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../../api/labels.js';
import type { RolloutRef } from '../../api/promotion.js';
import type { Rollout } from '../../api/rollout.js';

/** The outcome of a Rollout's current revision, as far as promotion cares. */
export type RolloutOutcome =
  /** Not found, or its controller has not seen the current spec yet. */
  | { readonly kind: 'unknown'; readonly why: string }
  | { readonly kind: 'progressing' }
  /** Waiting at a pause only a person (or a merged release-pause PR) ends; key = hash[/step]. */
  | { readonly kind: 'paused'; readonly key: string }
  /** Completed: Healthy, and the stable ReplicaSet is the current one. */
  | { readonly kind: 'healthy' }
  /** Aborted (failed analysis, manual abort, progress deadline with abort) or Degraded. */
  | { readonly kind: 'failed'; readonly why: string };

export interface AnalysisRunSummary {
  readonly name: string;
  readonly phase: AnalysisPhase | 'Pending';
  readonly message?: string;
}

export interface ObservedRollout {
  /** `namespace/name` */
  readonly key: string;
  readonly image?: string;
  readonly revision?: string;
  readonly podHash?: string;
  readonly outcome: RolloutOutcome;
  /** AnalysisRuns of the current revision. */
  readonly analysis: readonly AnalysisRunSummary[];
}

interface Container {
  name?: string;
  image?: string;
}

interface AnalysisRunLike {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { name: string }[];
  };
  status?: { phase?: string; message?: string };
}

/** The image a Rollout's template runs for `image` (a repository), or for the named container. */
export function containerImage(rollout: Rollout, image: string, container?: string): string | undefined {
  const containers = (rollout.spec.template?.spec?.containers ?? []) as Container[];
  if (container !== undefined) return containers.find((c) => c.name === container)?.image;
  const wanted = parseImageRef(image);
  const match = containers.find((c) => {
    if (c.image === undefined) return false;
    const ref = parseImageRef(c.image);
    return wanted.ok && ref.ok && sameImageName(wanted.ref, ref.ref);
  });
  return (match ?? containers[0])?.image;
}

export function observeRollout(
  ref: RolloutRef,
  defaultNamespace: string,
  image: string,
  rollout: Rollout | undefined,
  runs: readonly AnalysisRunLike[],
): ObservedRollout {
  const key = `${ref.namespace ?? defaultNamespace}/${ref.name}`;
  if (rollout === undefined)
    return { key, outcome: { kind: 'unknown', why: `Rollout ${key} not found` }, analysis: [] };
  const status = rollout.status ?? {};
  const podHash = status.currentPodHash;
  const revision = rollout.metadata?.annotations?.[REVISION_ANNOTATION];
  const runningImage = containerImage(rollout, image, ref.container);
  const analysis = runs
    .filter(
      (run) =>
        podHash !== undefined &&
        run.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === podHash &&
        // An image rolled back and released comes back with the same pod hash: the failed runs of
        // its earlier revision are not this one's (runs carry the revision, as in Argo).
        (revision === undefined ||
          run.metadata.annotations?.[REVISION_ANNOTATION] === undefined ||
          run.metadata.annotations[REVISION_ANNOTATION] === revision) &&
        (run.metadata.ownerReferences ?? []).some((o) => o.name === ref.name),
    )
    .map((run) => ({
      name: run.metadata?.name ?? '',
      phase: (run.status?.phase ?? 'Pending') as AnalysisPhase,
      ...(run.status?.message !== undefined && { message: run.status.message }),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    key,
    ...(runningImage !== undefined && { image: runningImage }),
    ...(revision !== undefined && { revision }),
    ...(podHash !== undefined && { podHash }),
    outcome: outcomeOf(rollout),
    analysis,
  };
}

export function outcomeOf(rollout: Rollout): RolloutOutcome {
  const status = rollout.status ?? {};
  const generation = rollout.metadata?.generation;
  if (status.observedGeneration === undefined || String(generation) !== status.observedGeneration) {
    return { kind: 'unknown', why: 'the rollout controller has not observed the current spec yet' };
  }
  if (status.abort === true) {
    return { kind: 'failed', why: `aborted: ${status.message ?? 'no message'}` };
  }
  if (status.phase === 'Degraded') return { kind: 'failed', why: `degraded: ${status.message ?? ''}`.trim() };
  const hash = status.currentPodHash;
  if (status.phase === 'Healthy' && hash !== undefined && status.stableRS === hash)
    return { kind: 'healthy' };
  const pause = indefinitePauseKey(rollout);
  if (pause !== undefined) return { kind: 'paused', key: pause };
  return { kind: 'progressing' };
}

/** `hash/step` for a canary, `hash` for blue-green, when waiting at a pause without a timer. */
export function indefinitePauseKey(rollout: Rollout): string | undefined {
  const status = rollout.status ?? {};
  const hash = status.currentPodHash;
  if (hash === undefined) return undefined;
  for (const condition of status.pauseConditions ?? []) {
    if (condition.reason === 'CanaryPauseStep') {
      const index = status.currentStepIndex ?? 0;
      const step = rollout.spec.strategy.canary?.steps?.[index];
      if (step?.pause !== undefined && step.pause.duration === undefined) return `${hash}/${index}`;
    }
    if (condition.reason === 'BlueGreenPause') {
      const blueGreen = rollout.spec.strategy.blueGreen;
      if (blueGreen?.autoPromotionEnabled === false && blueGreen.autoPromotionSeconds === undefined)
        return hash;
    }
  }
  return undefined;
}
