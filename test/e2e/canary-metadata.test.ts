// Given canaryMetadata and stableMetadata, pods carry the labels of the role they play, and
// when the canary is promoted its running pods swap canary labels for stable ones.
import { describe, expect, it } from 'vitest';
import { useControllerNamespace } from './support/controller.js';
import { getJson, kubectl } from './support/kubectl.js';
import { canaryRollout } from './support/manifests.js';
import { operate, setImage, waitForPhase } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const namespace = useControllerNamespace('metadata');
const name = 'labelled';

interface PodList {
  items: { metadata: { labels: Record<string, string>; deletionTimestamp?: string } }[];
}

/** role label per pod-template hash, of pods not being deleted. */
function rolesByHash(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pod of getJson<PodList>(['pods', '-n', namespace, '-l', `app=${name}`]).items) {
    if (pod.metadata.deletionTimestamp) continue;
    const hash = pod.metadata.labels['rollouts-pod-template-hash'] ?? '';
    out[hash] = [...(out[hash] ?? []), pod.metadata.labels.role ?? '(none)'].sort();
  }
  return out;
}

async function expectRoles(expected: Record<string, string[]>, what: string): Promise<void> {
  const normal = (roles: Record<string, string[]>) => JSON.stringify(Object.entries(roles).sort());
  let last: Record<string, string[]> = {};
  await eventually(what, () => {
    last = rolesByHash();
    return normal(last) === normal(expected) ? true : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message} (last seen ${JSON.stringify(last)})`);
  });
}

describe('canary and stable metadata', () => {
  it('labels pods by role and swaps the labels on promotion', async () => {
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify(
        canaryRollout(namespace, name, {
          canaryMetadata: { labels: { role: 'canary' } },
          stableMetadata: { labels: { role: 'stable' } },
          steps: [{ setWeight: 50 }, { pause: {} }],
        }),
      ),
    );
    const first = await waitForPhase(namespace, name, 'Healthy');
    const v1 = first.status!.stableRS!;
    await expectRoles({ [v1]: ['stable', 'stable'] }, 'stable pods labelled stable');

    setImage(namespace, name, 'web:2');
    const paused = await waitForPhase(namespace, name, 'Paused');
    const v2 = paused.status!.currentPodHash!;
    await expectRoles({ [v1]: ['stable'], [v2]: ['canary'] }, 'one canary, one stable');

    operate(namespace, name, 'promote');
    await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === v2);
    await expectRoles({ [v2]: ['stable', 'stable'] }, 'the promoted pods labelled stable');
  });

  it('scales through the scale subresource, as an HPA does, and reports HPAReplicas and the selector', async () => {
    kubectl(['scale', 'rollout', name, '-n', namespace, '--replicas=4']);
    const ro = await waitForPhase(
      namespace,
      name,
      'Healthy',
      (s) => s.HPAReplicas === 4 && s.availableReplicas === 4,
    );
    expect(ro.status?.selector).toBe(`app=${name}`);
    const scale = JSON.parse(
      kubectl(['get', '--raw', `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts/${name}/scale`]),
    ) as { status: { replicas: number; selector: string } };
    expect(scale.status).toEqual({ replicas: 4, selector: `app=${name}` });
  });
});
