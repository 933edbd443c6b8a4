// Given a Deployment and a Rollout referencing it (spec.workloadRef), the Rollout runs the
// Deployment's pod template with its own strategy; updating the Deployment is an update of
// the Rollout; scaleDown: onsuccess scales the Deployment to 0 once the Rollout is Healthy.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useControllerNamespace } from './support/controller.js';
import { getJson, getJsonAsync, kubectl, patch } from './support/kubectl.js';
import { ARGO_EXAMPLES } from './support/manifests.js';
import { readyPodsByHash, waitForPhase, waitForRollout } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const EXAMPLE = join(ARGO_EXAMPLES, 'workload-ref_workload-ref.yaml');
const namespace = useControllerNamespace('workload');
const name = 'rollout-ref-deployment';

interface DeploymentObject {
  metadata: { generation: number };
  spec: { replicas: number };
}

describe('workloadRef to a Deployment', () => {
  it('runs the compat example: the Deployment template at 5 replicas, Healthy', async () => {
    kubectl(['apply', '-n', namespace, '-f', EXAMPLE]);
    const ro = await waitForPhase(namespace, name, 'Healthy');
    const deployment = getJson<DeploymentObject>(['deployment', name, '-n', namespace]);
    expect(ro.status?.workloadObservedGeneration).toBe(String(deployment.metadata.generation));
    expect(ro.metadata?.annotations?.['rollout.argoproj.io/workload-generation']).toBe(
      String(deployment.metadata.generation),
    );
    await eventually('5 pods', async () =>
      (await readyPodsByHash(namespace, `app=${name}`))[ro.status!.stableRS!] === 5 ? true : undefined,
    );
  });

  it('treats a new Deployment template as an update and runs the canary steps', async () => {
    patch(
      'deployment',
      name,
      namespace,
      [
        {
          op: 'replace',
          path: '/spec/template/spec/containers/0/image',
          value: 'argoproj/rollouts-demo:green',
        },
      ],
      { type: 'json' },
    );
    const paused = await waitForRollout(
      namespace,
      name,
      'the 10 s pause step',
      (r) => r.status?.currentStepIndex === 1,
    );
    expect(paused.status?.currentPodHash).not.toBe(paused.status?.stableRS);
    await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === paused.status?.currentPodHash);
  });

  it('scales the Deployment to 0 once Healthy with scaleDown: onsuccess', async () => {
    kubectl(['scale', 'deployment', name, '-n', namespace, '--replicas=2']);
    patch('rollout', name, namespace, { spec: { workloadRef: { scaleDown: 'onsuccess' } } });
    await eventually('the Deployment at 0 replicas', async () =>
      (await getJsonAsync<DeploymentObject>(['deployment', name, '-n', namespace])).spec.replicas === 0
        ? true
        : undefined,
    );
  });

  it('reports a missing Deployment as InvalidSpec naming it', async () => {
    patch('rollout', name, namespace, { spec: { workloadRef: { name: 'no-such-deployment' } } });
    const ro = await waitForPhase(namespace, name, 'Degraded');
    expect(ro.status?.message).toBe(
      `InvalidSpec: spec.workloadRef: Deployment ${namespace}/no-such-deployment not found`,
    );
  });
});
