// Given a canary in a timed pause step that is also paused by hand (spec.paused), when it is
// promoted the way the Argo Rollouts plugin does it (status `pauseConditions: null` first,
// then spec `paused: false`), then Argo Rollouts v1.10.2 stays on the step and starts the
// pause over, and so does Slipway. The same scenario runs under each controller.
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/api/rollout.js';
import { apply, patch } from '../e2e/support/kubectl.js';
import { canaryRollout } from '../e2e/support/manifests.js';
import { getRollout, setImage, waitForRollout } from '../e2e/support/rollouts.js';
import { useBothControllers } from './argo-controller.js';

const { namespace, underArgo, underSlipway } = useBothControllers('timed-pause');

interface Outcome {
  stepIndex: number | undefined;
  pauseRestarted: boolean;
  controllerPause: boolean | undefined;
}

const reconciled = (r: Rollout) =>
  r.status?.observedGeneration === String((r.metadata as { generation?: number } | undefined)?.generation);

async function scenario(name: string): Promise<Outcome> {
  apply(
    canaryRollout(
      namespace,
      name,
      { steps: [{ setWeight: 20 }, { pause: { duration: '1h' } }, { setWeight: 40 }, { pause: {} }] },
      { replicas: 5, image: 'demo:1' },
    ),
  );
  await waitForRollout(namespace, name, 'Healthy', (r) => r.status?.phase === 'Healthy', 120_000);
  setImage(namespace, name, 'demo:2');
  const paused = await waitForRollout(
    namespace,
    name,
    'in the timed pause',
    (r) => r.status?.currentStepIndex === 1 && (r.status.pauseConditions?.length ?? 0) > 0,
    120_000,
  );
  const startedAt = paused.status?.pauseConditions?.[0]?.startTime ?? '';
  // `kubectl argo rollouts pause`, and wait until the controller has seen it.
  patch('rollout', name, namespace, { spec: { paused: true } });
  await waitForRollout(
    namespace,
    name,
    'the manual pause seen',
    (r) => reconciled(r) && r.spec.paused === true,
  );
  // `kubectl argo rollouts promote`: the status patch, seen by the controller, then the spec patch.
  patch('rollout', name, namespace, { status: { pauseConditions: null } }, { subresource: 'status' });
  await waitForRollout(namespace, name, 'the cleared pause seen', (r) => r.status?.controllerPause !== true);
  patch('rollout', name, namespace, { spec: { paused: false } });
  const after = await waitForRollout(
    namespace,
    name,
    'resumed: paused again or on a later step',
    (r) =>
      reconciled(r) &&
      r.spec.paused !== true &&
      ((r.status?.pauseConditions?.length ?? 0) > 0 || (r.status?.currentStepIndex ?? 0) > 1),
    120_000,
  );
  const restartedAt = after.status?.pauseConditions?.[0]?.startTime;
  return {
    stepIndex: after.status?.currentStepIndex,
    pauseRestarted: restartedAt !== undefined && Date.parse(restartedAt) >= Date.parse(startedAt),
    controllerPause: after.status?.controllerPause,
  };
}

describe('promote while paused by hand inside a timed pause', () => {
  let argoOutcome: Outcome;

  it('Argo Rollouts stays on the step and starts the pause over', async () => {
    argoOutcome = await underArgo(() => scenario('under-argo'));
    expect(argoOutcome).toEqual({ stepIndex: 1, pauseRestarted: true, controllerPause: true });
  });

  it('Slipway does the same', async () => {
    const slipwayOutcome = await underSlipway(() => scenario('under-slipway'));
    expect(slipwayOutcome).toEqual(argoOutcome);
    expect(getRollout(namespace, 'under-slipway').status?.phase).toBe('Paused');
  });
});
