// Given/When/Then vocabulary for Rollout e2e tests: read a Rollout, count pods per
// ReplicaSet, wait for a phase, and operate it with the same patches as Argo CD's actions.
import type { Rollout } from '../../../src/api/rollout.js';
import { patchesFor, type RolloutOperation } from '../../../src/cli/rollout-operations.js';
import { getJson, getJsonAsync, patch } from './kubectl.js';
import { eventually, pollUntil } from './wait.js';

export interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export function getRollout(namespace: string, name: string): Rollout {
  return getJson<Rollout>(['rollout', name, '-n', namespace]);
}

/** getRollout for polls: does not block the test process. */
export function readRollout(namespace: string, name: string): Promise<Rollout> {
  return getJsonAsync<Rollout>(['rollout', name, '-n', namespace]);
}

/** Ready, not terminating pods per pod-template hash. */
export async function readyPodsByHash(namespace: string, selector: string): Promise<Record<string, number>> {
  const pods = (await getJsonAsync<{ items: Pod[] }>(['pods', '-n', namespace, '-l', selector])).items;
  const counts: Record<string, number> = {};
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    if (!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const hash = pod.metadata.labels?.['rollouts-pod-template-hash'] ?? '';
    counts[hash] = (counts[hash] ?? 0) + 1;
  }
  return counts;
}

export function waitForRollout(
  namespace: string,
  name: string,
  what: string,
  predicate: (rollout: Rollout) => boolean,
  timeoutMs = 90_000,
): Promise<Rollout> {
  return pollUntil(
    what,
    () => readRollout(namespace, name),
    predicate,
    timeoutMs,
    (last) =>
      last.status
        ? `phase=${last.status.phase} message=${last.status.message} step=${last.status.currentStepIndex} stable=${last.status.stableRS} current=${last.status.currentPodHash}`
        : 'no status',
  );
}

export function operate(namespace: string, name: string, operation: RolloutOperation): void {
  const patches = patchesFor(operation, getRollout(namespace, name), new Date());
  if (patches.object) patch('rollout', name, namespace, patches.object);
  if (patches.status)
    patch('rollout', name, namespace, { status: patches.status }, { subresource: 'status' });
}

export function setImage(namespace: string, name: string, image: string): void {
  const rollout = getRollout(namespace, name);
  const containers = (rollout.spec.template?.spec?.containers ?? []) as { name: string; image: string }[];
  if (containers.length === 0) throw new Error(`Rollout ${namespace}/${name} has no containers`);
  patch(
    'rollout',
    name,
    namespace,
    [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }],
    {
      type: 'json',
    },
  );
}

export async function eventReasons(namespace: string, name: string): Promise<string[]> {
  const events = (
    await getJsonAsync<{ items: { reason: string; involvedObject: { name: string; kind: string } }[] }>([
      'events',
      '-n',
      namespace,
    ])
  ).items;
  return events
    .filter((e) => e.involvedObject.kind === 'Rollout' && e.involvedObject.name === name)
    .map((e) => e.reason);
}

/** Waits until the Rollout has Events with every one of `reasons` (Events follow the status write). */
export async function expectEvents(namespace: string, name: string, reasons: string[]): Promise<void> {
  let seen: string[] = [];
  await eventually(`events ${reasons.join(', ')}`, async () => {
    seen = await eventReasons(namespace, name);
    return reasons.every((r) => seen.includes(r)) ? true : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message} (seen: ${[...new Set(seen)].join(', ')})`);
  });
}

/** Waits until the ready pods per pod-template hash are exactly `expected`. */
export async function expectReadyPods(
  namespace: string,
  selector: string,
  expected: Record<string, number>,
  what: string,
): Promise<void> {
  let last: Record<string, number> = {};
  const same = () =>
    Object.keys(last).length === Object.keys(expected).length &&
    Object.entries(expected).every(([hash, count]) => last[hash] === count);
  await eventually(what, async () => {
    last = await readyPodsByHash(namespace, selector);
    return same() ? true : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message} (pods by hash: ${JSON.stringify(last)})`);
  });
}

/** The pod-template hash a Service selects (what a blue-green or canary Service points at). */
export async function serviceHash(namespace: string, service: string): Promise<string | undefined> {
  const svc = await getJsonAsync<{ spec: { selector?: Record<string, string> } }>([
    'service',
    service,
    '-n',
    namespace,
  ]);
  return svc.spec.selector?.['rollouts-pod-template-hash'];
}

type RolloutStatus = NonNullable<Rollout['status']>;

/**
 * waitForRollout for a phase and, optionally, more of the status; the condition's own source
 * text describes it in a timeout's message.
 */
export function waitForPhase(
  namespace: string,
  name: string,
  phase: string,
  more?: (status: RolloutStatus, rollout: Rollout) => boolean,
  timeoutMs?: number,
): Promise<Rollout> {
  const what = more ? `${phase} and ${more.toString()}` : phase;
  return waitForRollout(
    namespace,
    name,
    what,
    (r) => r.status?.phase === phase && (!more || more(r.status, r)),
    timeoutMs,
  );
}
