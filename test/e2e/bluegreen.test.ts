// Blue-green rollouts on the local cluster, in the Given/When/Then shape of the Argo Rollouts
// e2e suite: a manual promotion with a preview, abort and retry, a new image while paused,
// promote-full, auto-promotion after autoPromotionSeconds, and the public Argo example as is.
// Service selectors are read from the real Services.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

import { useControllerNamespace } from './support/controller.js';
import { apply, getJsonAsync, kubectl } from './support/kubectl.js';
import { ARGO_EXAMPLES, blueGreenRollout, serviceManifest } from './support/manifests.js';
import {
  expectReadyPods,
  expectEvents as expectRolloutEvents,
  operate,
  serviceHash as selectedHash,
  setImage,
  waitForPhase,
  waitForRollout,
} from './support/rollouts.js';
import { eventually } from './support/wait.js';

const namespace = useControllerNamespace('bluegreen');
const EXAMPLE = join(ARGO_EXAMPLES, 'rollout-bluegreen.yaml');

const manifest = (name: string, image: string, blueGreen: Record<string, unknown>) =>
  blueGreenRollout(
    namespace,
    name,
    { activeService: `${name}-active`, previewService: `${name}-preview`, ...blueGreen },
    { replicas: 3, image, spec: { revisionHistoryLimit: 3 } },
  );

const services = (name: string) => [
  serviceManifest(namespace, `${name}-active`, name, 8080),
  serviceManifest(namespace, `${name}-preview`, name, 8080),
];

interface ReplicaSetView {
  spec: { replicas: number };
  metadata: { annotations?: Record<string, string> };
}

const serviceHash = (svc: string) => selectedHash(namespace, svc);
const replicaSet = (rollout: string, hash: string) =>
  getJsonAsync<ReplicaSetView>(['replicaset', `${rollout}-${hash}`, '-n', namespace]);

const expectPods = (app: string, expected: Record<string, number>, what: string) =>
  expectReadyPods(namespace, `app=${app}`, expected, what);

/** Events are recorded once the status is written, so they may trail the status a little. */
const expectEvents = (rollout: string, reasons: string[]) => expectRolloutEvents(namespace, rollout, reasons);

async function expectServices(name: string, active: string, preview: string): Promise<void> {
  await eventually(`${name}: active on ${active}, preview on ${preview}`, async () =>
    (await serviceHash(`${name}-active`)) === active && (await serviceHash(`${name}-preview`)) === preview
      ? true
      : undefined,
  );
}

/**
 * Watches the ReplicaSet from now until it is scaled to 0 and resolves whether it carried a
 * scale-down-deadline annotation before. Started before the operation that scales it down: the
 * deadline lasts 2-3 s, which a poll on a saturated machine can miss; `kubectl get --watch`
 * sees every update. Resolves false (and says why) if that does not happen within 90 s.
 */
function watchScaleDown(rollout: string, hash: string): Promise<boolean> {
  const child = spawn(
    inject('kubectl'),
    [
      '--kubeconfig',
      inject('kubeconfig'),
      'get',
      'replicaset',
      `${rollout}-${hash}`,
      '-n',
      namespace,
      '--watch',
      '-o',
      'jsonpath={.spec.replicas} {.metadata.annotations.scale-down-deadline}{"\\n"}',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let sawDeadline = false;
  let buffer = '';
  let stderr = '';
  let finished = false;
  return new Promise((resolve) => {
    const finish = (result: boolean, why?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      child.kill();
      if (why) process.stderr.write(`[bluegreen] ${rollout}-${hash}: ${why}\n`);
      resolve(result);
    };
    const timer = setTimeout(() => finish(false, 'not scaled to 0 within 90 s'), 90_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const [replicas, deadline] = buffer.slice(0, nl).trim().split(' ');
        buffer = buffer.slice(nl + 1);
        if (deadline) sawDeadline = true;
        if (replicas === '0') {
          finish(sawDeadline, sawDeadline ? undefined : 'scaled to 0 without a scale-down-deadline');
          return;
        }
      }
    });
    child.on('exit', () => finish(false, `the watch ended: ${stderr.trim()}`));
  });
}

describe('blue to green with a preview and manual promotion', () => {
  const name = 'bg-manual';
  const blueGreen = { autoPromotionEnabled: false, scaleDownDelaySeconds: 3, abortScaleDownDelaySeconds: 2 };
  let blue = '';
  let green = '';

  it('goes straight to active on the first deploy', async () => {
    apply([...services(name), manifest(name, 'nginx:1.26', blueGreen)]);
    const ro = await waitForPhase(namespace, name, 'Healthy');
    blue = ro.status!.currentPodHash!;
    expect(ro.status?.stableRS).toBe(blue);
    expect(ro.status?.blueGreen).toMatchObject({ activeSelector: blue, previewSelector: blue });
    expect(ro.status?.pauseConditions).toBeUndefined();
    await expectServices(name, blue, blue);
    await expectPods(name, { [blue]: 3 }, '3 blue pods');
  });

  it('runs green behind the preview Service and pauses before the switch', async () => {
    setImage(namespace, name, 'nginx:1.27');
    const ro = await waitForPhase(namespace, name, 'Paused');
    green = ro.status!.currentPodHash!;
    expect(green).not.toBe(blue);
    expect(ro.status?.message).toBe('BlueGreenPause');
    expect(ro.status?.pauseConditions?.map((p) => p.reason)).toEqual(['BlueGreenPause']);
    expect(ro.status?.controllerPause).toBe(true);
    expect(ro.status?.stableRS).toBe(blue);
    expect(ro.status?.blueGreen).toMatchObject({ activeSelector: blue, previewSelector: green });
    await expectServices(name, blue, green);
    await expectPods(name, { [blue]: 3, [green]: 3 }, '3 blue and 3 green pods');
    await expectEvents(name, ['NewReplicaSetCreated', 'SwitchService', 'RolloutPaused']);
  });

  it('promote switches active to green; blue scales down after scaleDownDelaySeconds', async () => {
    const blueScaledDown = watchScaleDown(name, blue);
    operate(namespace, name, 'promote');
    const ro = await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === green);
    expect(ro.status?.blueGreen).toMatchObject({ activeSelector: green, previewSelector: green });
    await expectServices(name, green, green);
    expect(await blueScaledDown).toBe(true);
    await expectPods(name, { [green]: 3 }, 'only green pods');
    // No RolloutResumed: as in Argo, a promote clears the pause conditions itself, so the
    // controller sees no pause to end.
    await expectEvents(name, ['RolloutCompleted', 'ScalingReplicaSet']);
  });

  let third = '';
  it('abort keeps green active and scales the preview down after abortScaleDownDelaySeconds', async () => {
    setImage(namespace, name, 'nginx:1.28');
    const paused = await waitForPhase(namespace, name, 'Paused', (s) => s.currentPodHash !== green);
    third = paused.status!.currentPodHash!;
    await expectPods(name, { [green]: 3, [third]: 3 }, 'green and preview pods');
    const previewScaledDown = watchScaleDown(name, third);
    operate(namespace, name, 'abort');
    const ro = await waitForPhase(namespace, name, 'Degraded');
    expect(ro.status?.message).toBe('RolloutAborted: Rollout aborted update to revision 3');
    expect(ro.status?.stableRS).toBe(green);
    expect(await previewScaledDown).toBe(true);
    await expectPods(name, { [green]: 3 }, 'only green pods after the abort');
    expect(await serviceHash(`${name}-active`)).toBe(green);
    await expectEvents(name, ['RolloutAborted']);
  });

  it('retry brings the preview back and pauses again', async () => {
    operate(namespace, name, 'retry');
    await waitForPhase(namespace, name, 'Paused', (s) => s.currentPodHash === third && !s.abort);
    await expectPods(name, { [green]: 3, [third]: 3 }, 'green and preview pods again');
    await expectServices(name, green, third);
  });

  let fourth = '';
  it('a new image while paused moves the preview to it and pauses again', async () => {
    const previewScaledDown = watchScaleDown(name, third);
    setImage(namespace, name, 'nginx:1.29');
    const ro = await waitForPhase(namespace, name, 'Paused', (s) => s.currentPodHash !== third);
    fourth = ro.status!.currentPodHash!;
    expect(ro.status?.stableRS).toBe(green);
    await expectServices(name, green, fourth);
    expect(await previewScaledDown).toBe(true);
    await expectPods(name, { [green]: 3, [fourth]: 3 }, 'green and the new preview');
  });

  it('pause holds it (manually paused); promote resumes and switches', async () => {
    operate(namespace, name, 'pause');
    await waitForRollout(namespace, name, 'manually paused', (r) => r.status?.message === 'manually paused');
    expect(await serviceHash(`${name}-active`)).toBe(green);
    const greenScaledDown = watchScaleDown(name, green);
    operate(namespace, name, 'promote');
    await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === fourth);
    await expectServices(name, fourth, fourth);
    expect(await greenScaledDown).toBe(true);
  });

  it('undo to green (scaled down by now) is a new revision through the pause; promote-full skips it', async () => {
    setImage(namespace, name, 'nginx:1.27');
    const ro = await waitForPhase(namespace, name, 'Paused', (s) => s.currentPodHash === green);
    expect(ro.metadata?.annotations?.['rollout.argoproj.io/revision']).toBe('5');
    expect((await replicaSet(name, green)).metadata.annotations?.['rollout.argoproj.io/revision']).toBe('5');
    await expectServices(name, fourth, green);
    operate(namespace, name, 'promote-full');
    const done = await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === green);
    expect(done.status?.promoteFull).toBeUndefined();
    await expectServices(name, green, green);
  });
});

describe('auto-promotion after autoPromotionSeconds', () => {
  const name = 'bg-auto';

  it('pauses for autoPromotionSeconds, then switches without a person', async () => {
    apply([
      ...services(name),
      manifest(name, 'nginx:1.26', { autoPromotionSeconds: 3, scaleDownDelaySeconds: 3 }),
    ]);
    const first = await waitForPhase(namespace, name, 'Healthy');
    const blue = first.status!.currentPodHash!;

    const blueScaledDown = watchScaleDown(name, blue);
    setImage(namespace, name, 'nginx:1.27');
    const paused = await waitForPhase(namespace, name, 'Paused');
    const green = paused.status!.currentPodHash!;
    const pausedAt = Date.parse(paused.status!.pauseConditions![0]!.startTime);
    expect(await serviceHash(`${name}-active`)).toBe(blue);

    const done = await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === green);
    const switchedAt = Date.parse(
      done.status!.conditions!.find((c) => c.type === 'Paused')?.lastTransitionTime ?? '',
    );
    expect(switchedAt - pausedAt).toBeGreaterThanOrEqual(3000);
    await expectServices(name, green, green);
    expect(await blueScaledDown).toBe(true);
  });
});

describe('the Argo Rollouts example rollout-bluegreen.yaml', () => {
  const name = 'rollout-bluegreen';

  it('is applied unchanged and reaches Healthy with the active Service on its hash', async () => {
    kubectl(['apply', '-n', namespace, '-f', EXAMPLE]);
    const ro = await waitForPhase(namespace, name, 'Healthy');
    const hash = ro.status!.currentPodHash!;
    expect(ro.status?.stableRS).toBe(hash);
    await expectServices(name, hash, hash);
    await expectPods(name, { [hash]: 2 }, '2 pods');
  });

  it('then takes the green image through the manual gate', async () => {
    setImage(namespace, name, 'argoproj/rollouts-demo:green');
    const paused = await waitForPhase(namespace, name, 'Paused');
    const blue = paused.status!.stableRS!;
    const green = paused.status!.currentPodHash!;
    await expectServices(name, blue, green);
    operate(namespace, name, 'promote');
    await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === green);
    await expectServices(name, green, green);
  });
});
