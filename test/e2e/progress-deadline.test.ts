// Given a canary whose new pods can never be scheduled (a nodeSelector no node matches),
// when progressDeadlineSeconds passes without progress, then the Rollout is Degraded with
// ProgressDeadlineExceeded; with progressDeadlineAbort it also aborts back to stable.
import { describe, expect, it } from 'vitest';
import { useControllerNamespace } from './support/controller.js';
import { kubectl, patch } from './support/kubectl.js';
import { canaryRollout } from './support/manifests.js';
import { expectEvents, readyPodsByHash, waitForPhase, waitForRollout } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const namespace = useControllerNamespace('deadline');
const name = 'stuck';

describe('progress deadline', () => {
  it('reports ProgressDeadlineExceeded, then aborts with progressDeadlineAbort', async () => {
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify(
        canaryRollout(
          namespace,
          name,
          { steps: [{ setWeight: 50 }, { pause: {} }] },
          { spec: { progressDeadlineSeconds: 5 } },
        ),
      ),
    );
    const first = await waitForPhase(namespace, name, 'Healthy');
    const stable = first.status!.stableRS!;

    // The new template's pods stay Pending: no node carries this label.
    patch('rollout', name, namespace, {
      spec: { template: { spec: { nodeSelector: { 'slipway.dev/no-such-node': 'true' } } } },
    });
    const degraded = await waitForPhase(namespace, name, 'Degraded');
    expect(degraded.status?.message).toBe(
      `ProgressDeadlineExceeded: ReplicaSet "${name}-${degraded.status?.currentPodHash}" has timed out progressing.`,
    );
    expect(degraded.status?.abort).toBeUndefined();
    await expectEvents(namespace, name, ['RolloutTimedOut']);

    patch('rollout', name, namespace, { spec: { progressDeadlineAbort: true } });
    const aborted = await waitForRollout(namespace, name, 'aborted', (r) => r.status?.abort === true);
    expect(aborted.status?.phase).toBe('Degraded');
    await eventually('all pods back on stable', async () =>
      JSON.stringify(await readyPodsByHash(namespace, `app=${name}`)) === JSON.stringify({ [stable]: 2 })
        ? true
        : undefined,
    );
  });
});
