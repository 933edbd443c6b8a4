// The dashboard's Rollout actions as patches: the operations of the kubectl plugin
// (src/cli/rollout-operations.ts, the same patches as Argo's dashboard sends), plus set image
// and undo as Argo's `set image` and `undo` do them. Pure, so the table tests cover every one.
import type { Rollout } from '../api/rollout.js';
import { patchesFor, undoTemplate } from '../cli/rollout-operations.js';
import type { JsonPatchOperation } from '../kube/patch.js';
import type { ReplicaSet } from './info.js';

export type DashboardAction =
  | { kind: 'promote'; full: boolean }
  | { kind: 'abort' }
  | { kind: 'retry' }
  | { kind: 'restart' }
  | { kind: 'pause'; paused: boolean }
  | { kind: 'setImage'; container: string; image: string }
  | { kind: 'undo'; revision: number };

export interface ActionPlan {
  /** Merge patch of the object. */
  object?: Record<string, unknown>;
  /** Merge patch through /status. */
  status?: Record<string, unknown>;
  /** JSON patch of the object, guarded by a `test` of the resourceVersion it was planned on. */
  json?: JsonPatchOperation[];
}

/** A request the user can correct (unknown container, missing revision): the API answers 400. */
export class ActionInputError extends Error {}

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

export function planAction(
  action: DashboardAction,
  rollout: Rollout,
  replicaSets: readonly ReplicaSet[],
  now: Date,
): ActionPlan {
  switch (action.kind) {
    case 'promote':
      return patchesFor(action.full ? 'promote-full' : 'promote', rollout, now);
    case 'abort':
    case 'retry':
    case 'restart':
      return patchesFor(action.kind, rollout, now);
    case 'pause':
      if (action.paused) return patchesFor('pause', rollout, now);
      // Resume clears the user's pause only; a pause step is passed with promote.
      return { object: { spec: { paused: false } } };
    case 'setImage':
      return setImagePlan(rollout, action.container, action.image);
    case 'undo': {
      const owned = replicaSets.filter((rs) =>
        rs.metadata?.ownerReferences?.some((o) => o.kind === 'Rollout' && o.uid === rollout.metadata?.uid),
      );
      let template: Record<string, unknown>;
      try {
        template = undoTemplate(rollout, owned, action.revision > 0 ? action.revision : undefined);
      } catch (error) {
        throw new ActionInputError((error as Error).message);
      }
      return { json: guarded(rollout, [{ op: 'replace', path: '/spec/template', value: template }]) };
    }
  }
}

/** `kubectl argo rollouts set image`: every container named `container` (or all, for `*`). */
function setImagePlan(rollout: Rollout, container: string, image: string): ActionPlan {
  if (image.trim() === '' || /\s/.test(image)) throw new ActionInputError(`invalid image "${image}"`);
  const spec = (rollout.spec.template?.spec ?? {}) as Record<string, unknown>;
  const ops: JsonPatchOperation[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = (spec[list] as { name?: string }[] | undefined) ?? [];
    containers.forEach((c, i) => {
      if (container === '*' || c.name === container) {
        ops.push({ op: 'replace', path: `/spec/template/spec/${list}/${i}/image`, value: image });
      }
    });
  }
  if (ops.length === 0) {
    if (rollout.spec.workloadRef) {
      throw new ActionInputError('this Rollout takes its template from a workloadRef: set the image there');
    }
    throw new ActionInputError(`unable to find container named "${container}"`);
  }
  return { json: guarded(rollout, ops) };
}

function guarded(rollout: Rollout, ops: JsonPatchOperation[]): JsonPatchOperation[] {
  const resourceVersion = rollout.metadata?.resourceVersion;
  return resourceVersion
    ? [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, ...ops]
    : ops;
}
