// Given/When/Then vocabulary for Rollout e2e tests: read a Rollout, count pods per
// ReplicaSet, wait for a phase, and operate it with the same patches as Argo CD's actions.
import type { Rollout } from '../../../src/api/rollout.js';
import { patchesFor, type RolloutOperation } from '../../../src/cli/rollout-operations.js';
import { getJson, kubectl } from './kubectl.js';
import { eventually } from './wait.js';

export interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export function getRollout(namespace: string, name: string): Rollout {
  return getJson<Rollout>(['rollout', name, '-n', namespace]);
}

/** Ready, not terminating pods per pod-template hash. */
export function readyPodsByHash(namespace: string, selector: string): Record<string, number> {
  const pods = getJson<{ items: Pod[] }>(['pods', '-n', namespace, '-l', selector]).items;
  const counts: Record<string, number> = {};
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    if (!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const hash = pod.metadata.labels?.['rollouts-pod-template-hash'] ?? '';
    counts[hash] = (counts[hash] ?? 0) + 1;
  }
  return counts;
}

export async function waitForRollout(
  namespace: string,
  name: string,
  what: string,
  predicate: (rollout: Rollout) => boolean,
  timeoutMs = 90_000,
): Promise<Rollout> {
  let last: Rollout | undefined;
  try {
    return await eventually(
      what,
      () => {
        last = getRollout(namespace, name);
        return predicate(last) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (error) {
    const seen = last?.status
      ? `phase=${last.status.phase} message=${last.status.message} step=${last.status.currentStepIndex} stable=${last.status.stableRS} current=${last.status.currentPodHash}`
      : 'no status';
    throw new Error(`${(error as Error).message} (last seen: ${seen})`);
  }
}

export function operate(namespace: string, name: string, operation: RolloutOperation): void {
  const patches = patchesFor(operation, getRollout(namespace, name), new Date());
  if (patches.object) {
    kubectl([
      'patch',
      'rollout',
      name,
      '-n',
      namespace,
      '--type',
      'merge',
      '-p',
      JSON.stringify(patches.object),
    ]);
  }
  if (patches.status) {
    kubectl([
      'patch',
      'rollout',
      name,
      '-n',
      namespace,
      '--subresource',
      'status',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ status: patches.status }),
    ]);
  }
}

export function setImage(namespace: string, name: string, image: string): void {
  const rollout = getRollout(namespace, name);
  const containers = (rollout.spec.template?.spec?.containers ?? []) as { name: string; image: string }[];
  const patch = [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }];
  if (containers.length === 0) throw new Error(`Rollout ${namespace}/${name} has no containers`);
  kubectl(['patch', 'rollout', name, '-n', namespace, '--type', 'json', '-p', JSON.stringify(patch)]);
}

export function eventReasons(namespace: string, name: string): string[] {
  const events = getJson<{ items: { reason: string; involvedObject: { name: string; kind: string } }[] }>([
    'events',
    '-n',
    namespace,
  ]).items;
  return events
    .filter((e) => e.involvedObject.kind === 'Rollout' && e.involvedObject.name === name)
    .map((e) => e.reason);
}

/** Waits until the Rollout has Events with every one of `reasons` (Events follow the status write). */
export async function expectEvents(namespace: string, name: string, reasons: string[]): Promise<void> {
  let seen: string[] = [];
  await eventually(`events ${reasons.join(', ')}`, () => {
    seen = eventReasons(namespace, name);
    return reasons.every((r) => seen.includes(r)) ? true : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message} (seen: ${[...new Set(seen)].join(', ')})`);
  });
}
