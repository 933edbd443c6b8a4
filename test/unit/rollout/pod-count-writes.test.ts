// Which status writes may wait for the step's next change (issue 22), and which go out at once
// because a client may read the counts with them (Argo's e2e TestBlueGreenScaleDownDelay and
// TestRolloutRestart read status.replicas right after Healthy or a restart while Paused).
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/api/rollout.js';
import { mayHoldCountOnlyStatusWrite, PodCountWrites } from '../../../src/rollout/pod-count-writes.js';

const progressing = (lastUpdateTime: string, reason = 'ReplicaSetUpdated') => ({
  type: 'Progressing',
  status: 'True' as const,
  reason,
  message: 'ReplicaSet "web-new" is progressing.',
  lastUpdateTime,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});
const available = (status: 'True' | 'False') => ({
  type: 'Available',
  status,
  reason: 'AvailableReason',
  message:
    status === 'True' ? 'Rollout has minimum availability' : 'Rollout does not have minimum availability',
  lastUpdateTime: '2026-01-01T00:00:00Z',
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

/** A canary of 5 at step 1 (setWeight 20), its one canary pod on the way up. */
const waitingForPods: RolloutStatus = {
  phase: 'Progressing',
  message: 'more replicas need to be updated',
  currentPodHash: 'new',
  stableRS: 'old',
  currentStepIndex: 0,
  replicas: 5,
  updatedReplicas: 0,
  readyReplicas: 5,
  availableReplicas: 5,
  HPAReplicas: 5,
  conditions: [available('True'), progressing('2026-01-01T00:00:01Z')],
};
/** The same status, the canary pod created: only counts and the progress time moved. */
const podCreated: RolloutStatus = {
  ...waitingForPods,
  replicas: 6,
  updatedReplicas: 1,
  HPAReplicas: 6,
  conditions: [available('True'), progressing('2026-01-01T00:00:05Z')],
};
const write = (previous: RolloutStatus, next: RolloutStatus, desiredReplicas = 5, withEvents = false) =>
  mayHoldCountOnlyStatusWrite({ previous, next, desiredReplicas, withEvents });

describe('mayHoldCountOnlyStatusWrite', () => {
  it('holds a count-only change (with the progress time it refreshes) while a step waits for pods', () => {
    expect(write(waitingForPods, podCreated)).toBe(true);
  });

  it('holds a change of the Progressing message the counts select (the last pod created, the old one gone)', () => {
    // At the last step: 4 new pods and 1 old pod available, the 5th new pod just created.
    const atLastStep: RolloutStatus = { ...waitingForPods, currentStepIndex: 6, updatedReplicas: 4 };
    const surged: RolloutStatus = {
      ...atLastStep,
      replicas: 6,
      updatedReplicas: 5,
      message: 'old replicas are pending termination',
    };
    // availableReplicas is 5 with the old pod: not complete while that pod is left.
    expect(write(atLastStep, surged)).toBe(true);
    const becoming: RolloutStatus = {
      ...surged,
      replicas: 5,
      readyReplicas: 4,
      availableReplicas: 4,
      message: 'updated replicas are still becoming available',
    };
    expect(write(surged, becoming)).toBe(true);
  });

  it('has nothing to hold when nothing changes', () => {
    expect(write(waitingForPods, waitingForPods)).toBe(false);
  });

  it('writes at once when the pass records Events with it', () => {
    expect(write(waitingForPods, podCreated, 5, true)).toBe(false);
  });

  it('writes at once after Healthy (blue-green old set scaled down: TestBlueGreenScaleDownDelay)', () => {
    const healthy: RolloutStatus = {
      ...waitingForPods,
      phase: 'Healthy',
      message: undefined,
      stableRS: 'new',
      replicas: 3,
      updatedReplicas: 1,
      readyReplicas: 3,
      availableReplicas: 3,
    };
    expect(write(healthy, { ...healthy, replicas: 2, readyReplicas: 2, availableReplicas: 2 }, 1)).toBe(
      false,
    );
  });

  it('writes at once while Paused (a restart at a pause step: TestRolloutRestart)', () => {
    const paused: RolloutStatus = { ...waitingForPods, phase: 'Paused', message: 'CanaryPauseStep' };
    expect(write(paused, { ...paused, readyReplicas: 4, availableReplicas: 4 })).toBe(false);
  });

  it('writes at once when no update is in progress (a restart of a complete Rollout)', () => {
    const restarting: RolloutStatus = {
      ...waitingForPods,
      message: 'rollout is restarting',
      stableRS: 'new',
      updatedReplicas: 5,
      availableReplicas: 4,
    };
    expect(write(restarting, { ...restarting, readyReplicas: 4 })).toBe(false);
  });

  it('writes at once when the counts are complete (the write the Rollout finishes with)', () => {
    const allButOne: RolloutStatus = { ...waitingForPods, updatedReplicas: 5, availableReplicas: 4 };
    expect(write(allButOne, { ...allButOne, availableReplicas: 5, readyReplicas: 5 })).toBe(false);
  });

  it('writes at once when anything but the counts changes: a condition, the step, the message', () => {
    expect(write(waitingForPods, { ...podCreated, conditions: [available('False'), progressing('x')] })).toBe(
      false,
    );
    expect(write(waitingForPods, { ...podCreated, currentStepIndex: 1 })).toBe(false);
    expect(write(waitingForPods, { ...podCreated, message: 'waiting for all steps to complete' })).toBe(
      false,
    );
    const paused = [available('True'), progressing('2026-01-01T00:00:05Z', 'RolloutPaused')];
    expect(write(waitingForPods, { ...podCreated, conditions: paused })).toBe(false);
  });
});

describe('PodCountWrites', () => {
  it('holds a Rollout for the delay from the first held write, then lets it out; settled starts over', () => {
    let now = 1_000;
    const writes = new PodCountWrites(2000, () => now);
    expect(writes.holdBack('a')).toBe(2000);
    now += 500;
    expect(writes.holdBack('a')).toBe(1500);
    expect(writes.holdBack('b')).toBe(2000);
    now += 1500;
    expect(writes.holdBack('a')).toBeUndefined();
    writes.settled('a');
    expect(writes.holdBack('a')).toBe(2000);
  });
});

describe('PodCountWrites bookkeeping', () => {
  it('forgets Rollouts held long ago and never settled (deleted while held) once it holds many', () => {
    let now = 0;
    const writes = new PodCountWrites(2000, () => now);
    for (let i = 0; i < 1024; i++) writes.holdBack(`gone-${i}`);
    now = 30_000;
    writes.holdBack('new');
    // Forgotten: a new hold starts, rather than "overdue, write now".
    expect(writes.holdBack('gone-0')).toBe(2000);
  });
});
