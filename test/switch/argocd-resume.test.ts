// Argo CD's Rollout "resume" action at a canary's indefinite pause that a user also paused
// (spec.paused). Argo CD v3.5.3 runs the action's Lua (status.pauseConditions = nil,
// spec.paused = false) and writes the merge patch in two requests, back to back from one
// process (server/application/application.go patchResource): the whole patch to the /status
// subresource, then the spec part. Whether the controller moves on to the next step depends on
// whether it reconciles between the two writes. Argo Rollouts v1.10.2 does (its worker takes
// the status event at once): the pass still paused by hand drops controllerPause beside no
// pause condition, and once spec.paused is false the step's pause starts over. Slipway may see
// both writes at once and reads its last status ("manually paused") to do the same. This tier
// sends the writes from one process, as Argo CD does, under both controllers.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ROLLOUT_KIND } from '../../src/api/kinds.js';
import type { Rollout } from '../../src/api/rollout.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import { mergePatch } from '../../src/kube/patch.js';
import type { ApiResource } from '../../src/kube/resource.js';
import { RestClient } from '../../src/kube/rest.js';
import { apply } from '../e2e/support/kubectl.js';
import { canaryRollout } from '../e2e/support/manifests.js';
import { setImage, waitForRollout } from '../e2e/support/rollouts.js';
import { useBothControllers } from './argo-controller.js';

const { namespace, logDir, underArgo, underSlipway } = useBothControllers('argocd-resume');
const ROLLOUTS: ApiResource = {
  group: ROLLOUT_KIND.group,
  version: ROLLOUT_KIND.version,
  plural: ROLLOUT_KIND.plural,
  kind: ROLLOUT_KIND.kind,
  namespaced: true,
};
const TRIALS = 4;

const reconciled = (r: Rollout) =>
  r.status?.observedGeneration === String((r.metadata as { generation?: number } | undefined)?.generation);
const pausedAt = (r: Rollout) =>
  reconciled(r) &&
  r.spec.paused !== true &&
  (r.status?.pauseConditions ?? []).some((p) => p.reason === 'CanaryPauseStep');

/** Per trial: 'next' (on to the next pause) or 'restarted' (held on the step, pause started over). */
async function scenario(client: RestClient, name: string): Promise<string[]> {
  const steps = Array.from({ length: TRIALS + 1 }, (_, i) => [
    { setWeight: (i + 1) * 10 },
    { pause: {} },
  ]).flat();
  apply(canaryRollout(namespace, name, { steps }, { replicas: 2, image: 'demo:1' }));
  await waitForRollout(namespace, name, 'Healthy', (r) => r.status?.phase === 'Healthy', 120_000);
  setImage(namespace, name, 'demo:2');
  const outcomes: string[] = [];
  let current = await waitForRollout(namespace, name, 'at the first pause', pausedAt, 120_000);
  for (let trial = 0; trial < TRIALS; trial += 1) {
    const index = current.status?.currentStepIndex ?? 0;
    const startedAt = current.status?.pauseConditions?.[0]?.startTime ?? '';
    // Pause start times have one-second resolution: let a second pass so a restarted pause shows.
    while (Date.now() < Date.parse(startedAt) + 1_500) await sleep(200);
    // Argo CD's "pause" action, and wait until the controller has seen it.
    await mergePatch(client, { resource: ROLLOUTS, namespace, name }, { spec: { paused: true } });
    await waitForRollout(
      namespace,
      name,
      'the manual pause seen',
      (r) => reconciled(r) && r.spec.paused === true,
    );
    // Argo CD's "resume" action: the same two requests, back to back.
    const patch = { spec: { paused: false }, status: { pauseConditions: null } };
    await mergePatch(client, { resource: ROLLOUTS, namespace, name }, patch, { subresource: 'status' });
    await mergePatch(client, { resource: ROLLOUTS, namespace, name }, { spec: patch.spec });
    current = await waitForRollout(
      namespace,
      name,
      'resumed: paused again, on this step or the next pause',
      (r) =>
        pausedAt(r) &&
        ((r.status?.currentStepIndex ?? 0) > index ||
          Date.parse(r.status?.pauseConditions?.[0]?.startTime ?? '') > Date.parse(startedAt)),
      120_000,
    );
    const next = (current.status?.currentStepIndex ?? 0) > index;
    outcomes.push(next ? 'next' : 'restarted');
    if (!next) {
      // A resume without the manual pause, to get on to the next pause for the next trial.
      await mergePatch(
        client,
        { resource: ROLLOUTS, namespace, name },
        { status: { pauseConditions: null } },
        {
          subresource: 'status',
        },
      );
      current = await waitForRollout(
        namespace,
        name,
        'on to the next pause',
        (r) => pausedAt(r) && (r.status?.currentStepIndex ?? 0) > index,
        120_000,
      );
    }
  }
  return outcomes;
}

describe("Argo CD's resume action at a manual pause inside an indefinite pause step", () => {
  let client: RestClient;

  beforeAll(() => {
    client = new RestClient(loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig);
  });

  it('under Argo Rollouts', async () => {
    const outcomes = await underArgo(() => scenario(client, 'under-argo'));
    process.stderr.write(`[argocd-resume] Argo Rollouts: ${outcomes.join(' ')} (log ${logDir})\n`);
    // Argo's outcome is a race it nearly always wins; one held step shows what it does.
    expect(outcomes).toContain('restarted');
  });

  it('under Slipway', async () => {
    const outcomes = await underSlipway(() => scenario(client, 'under-slipway'));
    process.stderr.write(`[argocd-resume] Slipway: ${outcomes.join(' ')}\n`);
    expect(outcomes).toEqual(Array.from({ length: TRIALS }, () => 'restarted'));
  });
});
