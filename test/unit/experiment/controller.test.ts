// Which ReplicaSet events wake an Experiment (replicaSetEvents): counter moves, as Argo, and the
// update that brings a write of ours into the cache that a skipped pass waits for.
import { describe, expect, it } from 'vitest';
import { replicaSetEvents } from '../../../src/experiment/controller.js';
import { OwnedWrites } from '../../../src/kube/owned-writes.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';

const UID = 'ex-uid';

function set(resourceVersion: string, annotations: Record<string, string> = {}): ReplicaSet {
  return {
    metadata: {
      name: 'exp-baseline',
      namespace: 'shop',
      resourceVersion,
      annotations,
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', name: 'exp', uid: UID, controller: true },
      ],
    },
    spec: { replicas: 1 },
    status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
  } as ReplicaSet;
}

describe('replicaSetEvents', () => {
  it('an annotation-only update wakes the Experiment only when it brings in our awaited write', () => {
    const ownWrites = new OwnedWrites();
    const update = replicaSetEvents(ownWrites).update as (old: ReplicaSet, rs: ReplicaSet) => boolean;
    const before = set('7');
    const annotated = set('8', { 'scale-down-deadline': '2026-11-21T12:00:30Z' });
    expect(update(before, annotated)).toBe(false);
    // Our own annotate write answered version 8, and a pass was skipped waiting for it.
    ownWrites.record(UID, 'exp-baseline', '8');
    expect(ownWrites.stale(UID, () => before)).toBe(true);
    expect(update(before, annotated)).toBe(true);
    expect(update(set('6'), before)).toBe(false);
  });

  it('a counter move wakes the Experiment as before', () => {
    const update = replicaSetEvents(new OwnedWrites()).update as (old: ReplicaSet, rs: ReplicaSet) => boolean;
    const scaled = set('8');
    scaled.status = { ...scaled.status, readyReplicas: 0 };
    expect(update(set('7'), scaled)).toBe(true);
  });

  it('a deleted set wakes the Experiment and is no longer waited for', () => {
    const ownWrites = new OwnedWrites();
    ownWrites.record(UID, 'exp-baseline', '8', Date.now());
    const remove = replicaSetEvents(ownWrites).delete as (rs: ReplicaSet) => boolean;
    expect(remove(set('8'))).toBe(true);
    expect(ownWrites.stale(UID, () => undefined)).toBe(false);
  });
});
