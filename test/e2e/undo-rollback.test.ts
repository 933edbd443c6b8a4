// Given a canary paused at its first step, when it is undone to the stable revision (the
// Argo Rollouts plugin's undo: spec.template := that revision's ReplicaSet template minus the
// hash label), then the stable ReplicaSet is adopted by template equality (its template is
// the API server's defaulted one, so its hash differs from the computed one): no new
// ReplicaSet, no stable pod replaced, the steps skipped and the Rollout Healthy at once, as
// Argo's fast rollback does.
import { describe, expect, it } from 'vitest';
import { useControllerNamespace } from './support/controller.js';
import { apply, getJson, patch } from './support/kubectl.js';
import { canaryRollout } from './support/manifests.js';
import { getRollout, setImage, waitForPhase } from './support/rollouts.js';

const name = 'undo-demo';
const namespace = useControllerNamespace('undo');

interface ReplicaSet {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: { template: { metadata?: { labels?: Record<string, string> } } };
}
const replicaSets = () => getJson<{ items: ReplicaSet[] }>(['replicasets', '-n', namespace]).items;
const podUids = (hash: string) =>
  getJson<{ items: { metadata: { uid: string } }[] }>([
    'pods',
    '-n',
    namespace,
    '-l',
    `rollouts-pod-template-hash=${hash}`,
  ])
    .items.map((pod) => pod.metadata.uid)
    .sort();

describe('undo to the stable revision', () => {
  it('is a fast rollback: no new ReplicaSet, Healthy at once', async () => {
    apply(
      canaryRollout(
        namespace,
        name,
        { steps: [{ setWeight: 30 }, { pause: {} }, { setWeight: 60 }] },
        { replicas: 3, image: 'demo:1', container: { ports: [{ containerPort: 8080 }] } },
      ),
    );
    const healthy = await waitForPhase(namespace, name, 'Healthy');
    const stableHash = healthy.status?.stableRS ?? '';
    setImage(namespace, name, 'demo:2');
    await waitForPhase(
      namespace,
      name,
      'Paused',
      (s) => s.currentStepIndex === 1 && s.currentPodHash !== stableHash,
    );
    const before = replicaSets();
    const stablePods = podUids(stableHash);
    expect(before).toHaveLength(2);

    // What `kubectl argo rollouts undo` sends.
    const stable = before.find((rs) => rs.metadata.labels?.['rollouts-pod-template-hash'] === stableHash)!;
    const template = structuredClone(stable.spec.template);
    delete template.metadata?.labels?.['rollouts-pod-template-hash'];
    patch('rollout', name, namespace, [{ op: 'replace', path: '/spec/template', value: template }], {
      type: 'json',
    });

    const rolledBack = await waitForPhase(namespace, name, 'Healthy', (s) => s.currentPodHash === stableHash);
    expect(rolledBack.status?.stableRS).toBe(stableHash);
    expect(rolledBack.status?.currentStepIndex).toBe(3);
    expect(
      replicaSets()
        .map((rs) => rs.metadata.uid)
        .sort(),
    ).toEqual(before.map((rs) => rs.metadata.uid).sort());
    // The stable pods stay (the stable set grows back to full size beside them).
    expect(podUids(stableHash)).toEqual(expect.arrayContaining(stablePods));
    // The ReplicaSet keeps its hash, and with it its pods and the Services selecting them.
    expect(getRollout(namespace, name).status?.currentPodHash).toBe(stableHash);
  });
});
