// Given a canary in a timed pause step that is also paused by hand (spec.paused), when it is
// promoted the way the Argo Rollouts plugin does it (status `pauseConditions: null` first,
// then spec `paused: false`), then Argo Rollouts v1.10.2 stays on the step and starts the
// pause over, and so does Slipway. The same scenario runs under each controller.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Rollout } from '../../src/api/rollout.js';
import { startTestController, type TestController } from '../e2e/support/controller.js';
import { kubectl } from '../e2e/support/kubectl.js';
import { getRollout, setImage, waitForRollout } from '../e2e/support/rollouts.js';
import { type ArgoController, ensureArgoController, startArgoController } from './argo-controller.js';

const namespace = `timed-pause-${Date.now().toString(36)}`;
const logDir = mkdtempSync(join(tmpdir(), 'slipway-timed-pause-'));

interface Outcome {
  stepIndex: number | undefined;
  pauseRestarted: boolean;
  controllerPause: boolean | undefined;
}

function patch(name: string, body: unknown, status = false): void {
  kubectl([
    'patch',
    'rollout',
    name,
    '-n',
    namespace,
    ...(status ? ['--subresource', 'status'] : []),
    '--type',
    'merge',
    '-p',
    JSON.stringify(body),
  ]);
}

const reconciled = (r: Rollout) =>
  r.status?.observedGeneration === String((r.metadata as { generation?: number } | undefined)?.generation);

async function scenario(name: string): Promise<Outcome> {
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name, namespace },
      spec: {
        replicas: 5,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image: 'demo:1' }] },
        },
        strategy: {
          canary: {
            steps: [{ setWeight: 20 }, { pause: { duration: '1h' } }, { setWeight: 40 }, { pause: {} }],
          },
        },
      },
    }),
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
  patch(name, { spec: { paused: true } });
  await waitForRollout(
    namespace,
    name,
    'the manual pause seen',
    (r) => reconciled(r) && r.spec.paused === true,
  );
  // `kubectl argo rollouts promote`: the status patch, seen by the controller, then the spec patch.
  patch(name, { status: { pauseConditions: null } }, true);
  await waitForRollout(namespace, name, 'the cleared pause seen', (r) => r.status?.controllerPause !== true);
  patch(name, { spec: { paused: false } });
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
  let argoBinary = '';
  let argo: ArgoController | undefined;
  let slipway: TestController | undefined;
  let underArgo: Outcome;

  beforeAll(() => {
    argoBinary = ensureArgoController();
    kubectl(['create', 'namespace', namespace]);
  });
  afterAll(async () => {
    await argo?.stop();
    await slipway?.shutdown();
  });

  it('Argo Rollouts stays on the step and starts the pause over', async () => {
    argo = await startArgoController({
      binary: argoBinary,
      kubeconfig: inject('kubeconfig'),
      namespace,
      logFile: join(logDir, 'argo.log'),
    });
    underArgo = await scenario('under-argo');
    await argo.stop();
    argo = undefined;
    expect(underArgo).toEqual({ stepIndex: 1, pauseRestarted: true, controllerPause: true });
  });

  it('Slipway does the same', async () => {
    slipway = await startTestController(namespace);
    const underSlipway = await scenario('under-slipway');
    expect(underSlipway).toEqual(underArgo);
    expect(getRollout(namespace, 'under-slipway').status?.phase).toBe('Paused');
  });
});
