// Canary rollouts on the local cluster, in the Given/When/Then shape of the Argo Rollouts
// e2e suite. The Rollout is the seed example: 5 replicas; setWeight 20, pause {},
// setWeight 40, pause 10s, setWeight 60, setWeight 80.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-paths.js';

import { captureRolloutFixture } from './support/argocd-fixtures.js';
import { useController } from './support/controller.js';
import { apply, getJson, getJsonAsync, kubectl, patch } from './support/kubectl.js';
import { canaryRollout, serviceManifest } from './support/manifests.js';
import {
  expectEvents,
  expectReadyPods,
  getRollout,
  operate,
  serviceHash as selectedHash,
  setImage,
  waitForPhase,
  waitForRollout,
} from './support/rollouts.js';
import { eventually } from './support/wait.js';

const name = 'canary-demo';
const { namespace, controller } = useController('canary', (ns) =>
  apply([serviceManifest(ns, `${name}-canary`, name, 80), serviceManifest(ns, `${name}-stable`, name, 80)]),
);

const manifest = (image: string) =>
  JSON.stringify(
    canaryRollout(
      namespace,
      name,
      {
        canaryService: `${name}-canary`,
        stableService: `${name}-stable`,
        steps: [
          { setWeight: 20 },
          { pause: {} },
          { setWeight: 40 },
          { pause: { duration: 10 } },
          { setWeight: 60 },
          { setWeight: 80 },
        ],
      },
      { replicas: 5, image, spec: { revisionHistoryLimit: 2 } },
    ),
  );

const serviceHash = (svc: string) => selectedHash(namespace, svc);
const expectPods = (expected: Record<string, number>, what: string) =>
  expectReadyPods(namespace, `app=${name}`, expected, what);

/** The kubectl plugin as users run it. */
const plugin = (args: string[]) =>
  spawnSync(
    process.execPath,
    [
      join(PACKAGE_ROOT, 'dist', 'cmd', 'kubectl-slipway.js'),
      ...args,
      '-n',
      namespace,
      '--kubeconfig',
      inject('kubeconfig'),
    ],
    { encoding: 'utf8' },
  );

describe('canary rollout with the seed steps', () => {
  let stable = '';
  let canary = '';

  it('goes straight to 100% on the first deploy', async () => {
    kubectl(['apply', '-f', '-'], manifest('nginx:1.26'));
    const ro = await waitForPhase(namespace, name, 'Healthy');
    stable = ro.status!.stableRS!;
    captureRolloutFixture(namespace, name, 'healthy');
    expect(ro.status?.currentPodHash).toBe(stable);
    expect(ro.status?.currentStepIndex).toBe(6);
    expect(ro.status?.observedGeneration).toBe(String(ro.metadata?.generation));
    await expectPods({ [stable]: 5 }, '5 stable pods');
    expect(await serviceHash(`${name}-stable`)).toBe(stable);
    expect(await serviceHash(`${name}-canary`)).toBe(stable);
    const rs = getJson<{ metadata: { name: string; annotations: Record<string, string> } }>([
      'replicaset',
      `${name}-${stable}`,
      '-n',
      namespace,
    ]);
    expect(rs.metadata.annotations['rollout.argoproj.io/revision']).toBe('1');

    const metrics = await controller().metricsText();
    expect(metrics).toContain(
      `rollout_info{namespace="${namespace}",name="${name}",strategy="canary",traffic_router="",phase="Completed"} 1`,
    );
    expect(metrics).toContain(`rollout_info_replicas_available{namespace="${namespace}",name="${name}"} 5`);
    expect(metrics).toMatch(/rollout_events_total\{[^}]*reason="RolloutCompleted"\} 1/);
  });

  it('runs 1 canary and 4 stable pods at setWeight 20, then pauses indefinitely', async () => {
    setImage(namespace, name, 'nginx:1.27');
    const ro = await waitForPhase(namespace, name, 'Paused', (s) => s.currentStepIndex === 1);
    canary = ro.status!.currentPodHash!;
    captureRolloutFixture(namespace, name, 'paused-step');
    expect(canary).not.toBe(stable);
    expect(ro.status?.message).toBe('CanaryPauseStep');
    expect(ro.status?.pauseConditions?.[0]?.reason).toBe('CanaryPauseStep');
    expect(ro.status?.stableRS).toBe(stable);
    await expectPods({ [canary]: 1, [stable]: 4 }, '1 canary and 4 stable pods');
    await eventually('canary service on the canary', async () =>
      (await serviceHash(`${name}-canary`)) === canary ? true : undefined,
    );
    expect(await serviceHash(`${name}-stable`)).toBe(stable);
    await expectEvents(namespace, name, [
      'NewReplicaSetCreated',
      'RolloutUpdated',
      'RolloutStepCompleted',
      'RolloutPaused',
    ]);
  });

  it('aborts back to all stable pods and reports Degraded', async () => {
    operate(namespace, name, 'abort');
    const ro = await waitForPhase(namespace, name, 'Degraded');
    expect(ro.status?.message).toBe('RolloutAborted: Rollout aborted update to revision 2');
    captureRolloutFixture(namespace, name, 'aborted');
    expect(ro.status?.currentStepIndex).toBe(0);
    await expectPods({ [stable]: 5 }, 'all pods back on stable');
    await expectEvents(namespace, name, ['RolloutAborted']);
  });

  it('retries from the first step', async () => {
    operate(namespace, name, 'retry');
    await waitForPhase(namespace, name, 'Paused', (s) => s.currentStepIndex === 1 && !s.abort);
    await expectPods({ [canary]: 1, [stable]: 4 }, '1 canary and 4 stable pods again');
  });

  it('promotes through setWeight 40, the 10 s pause, 60 and 80 to Healthy on the new version', async () => {
    operate(namespace, name, 'promote');
    await waitForRollout(namespace, name, 'timed pause at step 3', (r) => r.status?.currentStepIndex === 3);
    captureRolloutFixture(namespace, name, 'timed-pause');
    await expectPods({ [canary]: 2, [stable]: 3 }, '2 canary and 3 stable pods at 40%');
    const ro = await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === canary);
    expect(ro.status?.currentStepIndex).toBe(6);
    await expectPods({ [canary]: 5 }, '5 pods of the new version');
    expect(await serviceHash(`${name}-stable`)).toBe(canary);
    await expectEvents(namespace, name, ['RolloutResumed', 'RolloutCompleted']);
  });

  it('skips the steps when the template goes back to the stable one mid-update (fast rollback)', async () => {
    setImage(namespace, name, 'nginx:1.28');
    const paused = await waitForPhase(namespace, name, 'Paused', (s) => s.currentPodHash !== canary);
    const discarded = paused.status!.currentPodHash!;
    setImage(namespace, name, 'nginx:1.27');
    const ro = await waitForPhase(namespace, name, 'Healthy', (s) => s.currentPodHash === canary);
    expect(ro.status?.stableRS).toBe(canary);
    expect(ro.status?.currentStepIndex).toBe(6);
    await expectPods({ [canary]: 5 }, 'only stable pods');
    await expectEvents(namespace, name, ['SkipSteps']);
    expect(discarded).not.toBe(canary);
  });

  it('sets InvalidSpec with the field named, and recovers when fixed', async () => {
    patch(
      'rollout',
      name,
      namespace,
      [{ op: 'replace', path: '/spec/strategy/canary/steps/0/setWeight', value: 140 }],
      {
        type: 'json',
      },
    );
    const ro = await waitForPhase(namespace, name, 'Degraded');
    expect(ro.status?.message).toBe(
      'InvalidSpec: spec.strategy.canary.steps[0].setWeight must be 0..100, got 140',
    );
    captureRolloutFixture(namespace, name, 'invalid-spec');
    patch(
      'rollout',
      name,
      namespace,
      [{ op: 'replace', path: '/spec/strategy/canary/steps/0/setWeight', value: 20 }],
      {
        type: 'json',
      },
    );
    await waitForPhase(namespace, name, 'Healthy');
    expect(getRollout(namespace, name).status?.conditions?.some((c) => c.type === 'InvalidSpec')).toBe(false);
  });

  it('restarts every pod through the eviction API and records restartedAt', async () => {
    const podsNow = async () =>
      (
        await getJsonAsync<{
          items: { metadata: { name: string; creationTimestamp: string; deletionTimestamp?: string } }[];
        }>(['pods', '-n', namespace, '-l', `app=${name}`])
      ).items;
    const before = await podsNow();
    operate(namespace, name, 'restart');
    const restartAt = getRollout(namespace, name).spec.restartAt;
    const ro = await waitForRollout(
      namespace,
      name,
      'restartedAt recorded',
      (r) => r.status?.restartedAt === restartAt && r.status?.phase === 'Healthy',
    );
    expect(ro.status?.restartedAt).toBe(restartAt);
    // As Argo: a pod counts as restarted when created at or after restartAt (seconds, as the API
    // stores creationTimestamp); an evicted pod may still be terminating a moment longer.
    const olderThanRestart = new Set(
      before
        .filter((p) => Date.parse(p.metadata.creationTimestamp) < Date.parse(restartAt ?? ''))
        .map((p) => p.metadata.name),
    );
    const after = (await podsNow()).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
    expect(olderThanRestart.size).toBeGreaterThan(0);
    expect(after.filter((pod) => olderThanRestart.has(pod))).toEqual([]);
    await expectEvents(namespace, name, ['RolloutRestarted']);
  });

  it('undo with the kubectl plugin goes back to the previous revision through the steps', async () => {
    const before = getRollout(namespace, name);
    const result = plugin(['undo', name]);
    expect(result.status, result.stderr).toBe(0);
    const ro = await waitForPhase(
      namespace,
      name,
      'Paused',
      (s) => s.currentPodHash !== before.status?.currentPodHash,
    );
    expect(Number(ro.metadata?.annotations?.['rollout.argoproj.io/revision'])).toBeGreaterThan(
      Number(before.metadata?.annotations?.['rollout.argoproj.io/revision']),
    );
    const bad = plugin(['undo', name, '--to-revision', '99']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toMatch(
      /^Error: unable to find specified revision 99 in history \(revisions there: /,
    );
  });
});
