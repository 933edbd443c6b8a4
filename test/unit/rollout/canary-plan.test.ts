// Table-style tests of the canary plan: a Rollout, its ReplicaSets and Services as plain
// objects and a fixed clock in; the actions, status and events the controller would apply out.
import { describe, expect, it } from 'vitest';
import type { Rollout, RolloutStatus } from '../../../src/api/rollout.js';
import { pausesOnArrival } from '../../../src/rollout/canary.js';
import { type ObservedRolloutObject, planRollout, type RolloutAction } from '../../../src/rollout/plan.js';
import { stepHash } from '../../../src/rollout/steps.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';
import {
  canaryUpdateAt,
  istioVirtualService,
  observedRollout,
  ownedReplicaSet,
  rolloutService as service,
  V1,
  V2,
  V3,
} from './fixtures.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const steps = [
  { setWeight: 20 },
  { pause: {} },
  { setWeight: 40 },
  { pause: { duration: 10 } },
  { setWeight: 60 },
  { setWeight: 80 },
];

function rollout(
  image: string,
  status: RolloutStatus = {},
  spec: Partial<Rollout['spec']> = {},
): ObservedRolloutObject {
  return observedRollout(
    {
      replicas: 5,
      image,
      strategy: { canary: { steps, canaryService: 'web-canary', stableService: 'web-stable' } },
      spec,
    },
    status,
  );
}

const rs = (hash: string, revision: number, spec: number, available = spec): ReplicaSet =>
  ownedReplicaSet(hash, revision, { replicas: spec, available });

/** The status of a rollout that is at `index` of an update from V1 to V2. */
const updating = (index: number, extra: RolloutStatus = {}) => canaryUpdateAt(steps, index, extra);

/** The status of a rollout that has gone through every step on V1. */
const healthy = (): RolloutStatus => ({
  stableRS: V1,
  currentPodHash: V1,
  currentStepHash: stepHash(steps),
  currentStepIndex: 6,
});

/** The Services a canary names exist unless a test says otherwise (else it is InvalidSpec). */
function namedServices(ro: ObservedRolloutObject): Service[] {
  const canary = ro.spec.strategy.canary;
  return [
    canary?.canaryService,
    canary?.stableService,
    canary?.pingPong?.pingService,
    canary?.pingPong?.pongService,
  ]
    .filter((name): name is string => !!name)
    .map((name) => ({ metadata: { name, namespace: 'shop' }, spec: { selector: { app: 'web' } } }));
}

function serviceMap(ro: ObservedRolloutObject): Map<string, Service> {
  return new Map(namedServices(ro).map((s) => [s.metadata?.name ?? '', s]));
}

function plan(ro: ObservedRolloutObject, replicaSets: ReplicaSet[], services?: Service[], now = NOW) {
  return planRollout({
    rollout: ro,
    replicaSets,
    services: new Map((services ?? namedServices(ro)).map((s) => [s.metadata?.name ?? '', s])),
    now,
  });
}

const scaled = (actions: RolloutAction[]) =>
  Object.fromEntries(
    actions.flatMap((a) => (a.kind === 'scaleReplicaSet' ? [[a.name, a.to]] : [])),
  ) as Record<string, number>;
const reasons = (events: { reason: string }[]) => events.map((e) => e.reason);

describe('canary plan', () => {
  it('first creates the ReplicaSet at 0 and only syncs the status (Argo: RolloutNotCompleted first)', () => {
    const result = plan(rollout('web:1'), []);
    const create = result.actions.find((a) => a.kind === 'createReplicaSet');
    expect(create && create.kind === 'createReplicaSet' && create.replicaSet.spec?.replicas).toBe(0);
    expect(create && create.kind === 'createReplicaSet' && create.replicaSet.metadata?.name).toBe(
      `web-${V1}`,
    );
    expect(result.status).toMatchObject({ currentPodHash: V1, currentStepIndex: 0, phase: 'Progressing' });
    expect(result.status.stableRS).toBeUndefined();
    expect(result.status.observedGeneration).toBe('2');
    expect(reasons(result.events)).toEqual(['RolloutUpdated', 'NewReplicaSetCreated', 'RolloutNotCompleted']);
  });

  it('then scales the first ReplicaSet up and marks it stable (initial deploy skips steps)', () => {
    const first = { currentPodHash: V1, currentStepHash: stepHash(steps), currentStepIndex: 0 };
    const result = plan(rollout('web:1', first), [rs(V1, 1, 0)]);
    expect(scaled(result.actions)).toEqual({ [`web-${V1}`]: 5 });
    expect(result.status).toMatchObject({
      stableRS: V1,
      currentPodHash: V1,
      currentStepIndex: 6,
      phase: 'Progressing',
    });
    // Recorded in this order: the Events of the writes first, then those of the status.
    expect(reasons(result.events.filter((e) => e.after === 'actions'))).toEqual(['ScalingReplicaSet']);
    expect(reasons(result.events.filter((e) => e.after !== 'actions'))).toEqual(['RolloutCompleted']);
  });

  it('is Healthy once the stable pods are all available', () => {
    const result = plan(
      rollout('web:1', healthy()),
      [rs(V1, 1, 5)],
      [service('web-canary', V1), service('web-stable', V1)],
    );
    expect(result.actions).toEqual([{ kind: 'setRolloutRevision', revision: 1 }]);
    expect(result.status).toMatchObject({ phase: 'Healthy' });
    expect(result.status).not.toHaveProperty('message');
  });

  it('starts an update with 1 canary pod for setWeight 20 of 5, after a status-only pass', () => {
    // Both Services select the stable pods, as after the first deploy.
    const services = [service('web-canary', V1), service('web-stable', V1)];
    const first = plan(rollout('web:2', healthy()), [rs(V1, 1, 5)], services);
    const create = first.actions.find((a) => a.kind === 'createReplicaSet');
    expect(create && create.kind === 'createReplicaSet' && create.replicaSet.spec?.replicas).toBe(0);
    expect(
      create && create.kind === 'createReplicaSet' && create.replicaSet.metadata?.annotations,
    ).toMatchObject({
      'rollout.argoproj.io/revision': '2',
    });
    expect(first.status).toMatchObject({
      currentStepIndex: 0,
      currentPodHash: V2,
      stableRS: V1,
      phase: 'Progressing',
    });
    expect(reasons(first.events)).toContain('RolloutNotCompleted');
    const second = plan(rollout('web:2', first.status), [rs(V1, 1, 5), rs(V2, 2, 0)], services);
    expect(scaled(second.actions)).toEqual({ [`web-${V2}`]: 1, [`web-${V1}`]: 4 });
    expect(reasons(second.events)).toEqual(['ScalingReplicaSet', 'ScalingReplicaSet']);
  });

  it.each([
    // [what, canary spec/available, stable spec/available, step completes]
    ['counts reached and available', [1, 1], [4, 4], true],
    ['canary pod not yet available', [1, 0], [4, 4], false],
    ['stable not yet scaled down', [1, 1], [5, 5], false],
  ] as const)('completes setWeight 20 only when %s', (_, [cs, ca], [ss, sa], completes) => {
    const result = plan(rollout('web:2', updating(0)), [rs(V1, 1, ss, sa), rs(V2, 2, cs, ca)]);
    expect(result.status.currentStepIndex).toBe(completes ? 1 : 0);
    expect(reasons(result.events).includes('RolloutStepCompleted')).toBe(completes);
  });

  it('enters the pause step after setWeight 20 in the pass that completes it: one status write, Paused', () => {
    const result = plan(rollout('web:2', updating(0)), [rs(V1, 1, 4), rs(V2, 2, 1)]);
    expect(result.status).toMatchObject({
      phase: 'Paused',
      message: 'CanaryPauseStep',
      currentStepIndex: 1,
      controllerPause: true,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-11-21T12:00:00Z' }],
    });
    // Argo's Events, in its order: the step completed, then the pause.
    const stepEvents = ['RolloutStepCompleted', 'RolloutPaused', 'RolloutResumed'];
    expect(reasons(result.events).filter((r) => stepEvents.includes(r))).toEqual([
      'RolloutStepCompleted',
      'RolloutPaused',
    ]);
    // The pods stay at setWeight 20 (the pause step's weight too): no scaling in this pass.
    expect(scaled(result.actions)).toEqual({});
  });

  it('pauses indefinitely at pause {} with a CanaryPauseStep condition', () => {
    const result = plan(rollout('web:2', updating(1)), [rs(V1, 1, 4), rs(V2, 2, 1)]);
    expect(result.status).toMatchObject({
      phase: 'Paused',
      message: 'CanaryPauseStep',
      controllerPause: true,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-11-21T12:00:00Z' }],
      currentStepIndex: 1,
    });
    expect(reasons(result.events)).toContain('RolloutPaused');
    // Indefinite: nothing to wake up for, and paused time does not run the progress deadline.
    expect(result.requeueAfterMs).toBeUndefined();
  });

  it('moves on when a person resumes (pause conditions cleared while controllerPause is set)', () => {
    const result = plan(rollout('web:2', updating(1, { controllerPause: true })), [
      rs(V1, 1, 4),
      rs(V2, 2, 1),
    ]);
    expect(result.status.currentStepIndex).toBe(2);
    expect(result.status.controllerPause).toBeUndefined();
    // As in Argo, the pods follow the next step's weight on the next pass.
    expect(scaled(result.actions)).toEqual({});
    const next = plan(rollout('web:2', result.status), [rs(V1, 1, 4), rs(V2, 2, 1)]);
    expect(scaled(next.actions)).toEqual({ [`web-${V2}`]: 2, [`web-${V1}`]: 3 });
  });

  it.each([
    ['before the 10 s are up', '2026-11-21T11:59:55Z', 3, 5_000],
    ['after the 10 s', '2026-11-21T11:59:49Z', 4, undefined],
  ])('holds a timed pause %s', (_, startTime, index, requeue) => {
    const status = updating(3, {
      controllerPause: true,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime }],
    });
    const result = plan(rollout('web:2', status), [rs(V1, 1, 3), rs(V2, 2, 2)]);
    expect(result.status.currentStepIndex).toBe(index);
    if (requeue !== undefined) expect(result.requeueAfterMs).toBe(requeue);
  });

  it('promotes to stable after the last step once all new pods are available', () => {
    const result = plan(
      rollout('web:2', updating(6)),
      [rs(V1, 1, 0, 0), rs(V2, 2, 5)],
      [service('web-canary', V2), service('web-stable', V1)],
    );
    expect(result.status).toMatchObject({ stableRS: V2, currentStepIndex: 6, phase: 'Healthy' });
    expect(result.actions).toContainEqual({ kind: 'pointServiceAt', service: 'web-stable', hash: V2 });
    expect(result.events.find((e) => e.reason === 'RolloutCompleted')?.message).toBe(
      `Rollout completed update to revision 2 (${V2}): Completed all 6 canary steps`,
    );
  });

  it('aborts: canary back to 0, step index 0, Degraded with Argo message', () => {
    const result = plan(
      rollout(
        'web:2',
        updating(1, {
          abort: true,
          pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-11-21T11:00:00Z' }],
        }),
      ),
      [rs(V1, 1, 4), rs(V2, 2, 1)],
    );
    expect(scaled(result.actions)).toEqual({ [`web-${V1}`]: 5, [`web-${V2}`]: 0 });
    expect(result.status).toMatchObject({
      abort: true,
      currentStepIndex: 0,
      phase: 'Degraded',
      message: 'RolloutAborted: Rollout aborted update to revision 2',
      abortedAt: '2026-11-21T12:00:00Z',
    });
    expect(result.status.pauseConditions).toBeUndefined();
  });

  it('drops an abort of a fully promoted rollout, which stays Healthy (Argo removes it)', () => {
    const result = plan(rollout('web:1', { ...healthy(), abort: true, observedGeneration: '2' }), [
      rs(V1, 1, 5),
    ]);
    expect(result.status.abort).toBeUndefined();
    expect(result.status.phase).toBe('Healthy');
    expect(reasons(result.events)).not.toContain('RolloutAborted');
  });

  it('promote-full goes to 100% and skips the remaining steps', () => {
    const result = plan(rollout('web:2', updating(1, { promoteFull: true })), [rs(V1, 1, 4), rs(V2, 2, 1)]);
    expect(result.status.currentStepIndex).toBe(6);
    expect(scaled(result.actions)[`web-${V2}`]).toBeGreaterThan(1);
  });

  it('restarts the steps when the template changes mid-update and drains the superseded canary', () => {
    const first = plan(rollout('web:3', updating(2)), [rs(V1, 1, 3), rs(V2, 2, 2)]);
    expect(first.status).toMatchObject({ currentPodHash: V3, currentStepIndex: 0 });
    expect(first.actions.some((a) => a.kind === 'createReplicaSet')).toBe(true);
    const second = plan(rollout('web:3', first.status), [rs(V1, 1, 3), rs(V2, 2, 2), rs(V3, 3, 0)]);
    expect(scaled(second.actions)[`web-${V2}`]).toBeLessThan(2);
  });

  it('skips the steps when the template goes back to the stable one', () => {
    const result = plan(rollout('web:1', updating(1)), [rs(V1, 1, 4), rs(V2, 2, 1)]);
    expect(result.status).toMatchObject({ currentPodHash: V1, stableRS: V1, currentStepIndex: 6 });
    expect(reasons(result.events)).toContain('SkipSteps');
  });

  it('reports a missed progress deadline as Degraded, and aborts with progressDeadlineAbort', () => {
    const stuck = updating(0, {
      replicas: 5,
      updatedReplicas: 1,
      readyReplicas: 4,
      availableReplicas: 4,
      conditions: [
        {
          type: 'Progressing',
          status: 'True',
          reason: 'ReplicaSetUpdated',
          message: 'progressing',
          lastUpdateTime: '2026-11-21T11:49:00Z',
          lastTransitionTime: '2026-11-21T11:49:00Z',
        },
      ],
    });
    // The canary pod never becomes available; the stable set is already at 4 of 5.
    const replicaSets = [rs(V1, 1, 4), rs(V2, 2, 1, 0)];
    const timedOut = plan(rollout('web:2', stuck, { progressDeadlineSeconds: 600 }), replicaSets);
    expect(timedOut.status.phase).toBe('Degraded');
    expect(timedOut.status.message).toBe(
      `ProgressDeadlineExceeded: ReplicaSet "web-${V2}" has timed out progressing.`,
    );
    expect(timedOut.status.abort).toBeUndefined();
    const aborted = plan(
      rollout('web:2', stuck, { progressDeadlineSeconds: 600, progressDeadlineAbort: true }),
      replicaSets,
    );
    expect(aborted.status.abort).toBe(true);
  });

  it('does not count paused time toward the deadline', () => {
    const paused = updating(1, {
      controllerPause: true,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-11-21T10:00:00Z' }],
      conditions: [
        {
          type: 'Progressing',
          status: 'Unknown',
          reason: 'RolloutPaused',
          message: 'Rollout is paused',
          lastUpdateTime: '2026-11-21T10:00:00Z',
        },
      ],
    });
    const result = plan(rollout('web:2', paused), [rs(V1, 1, 4), rs(V2, 2, 1)]);
    expect(result.status.phase).toBe('Paused');
  });

  it('deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit', () => {
    const old = ['aaaa', 'bbbb', 'cccc'].map((h, i) => rs(h, i + 1, 0, 0));
    const result = plan(
      rollout('web:1', healthy(), {
        revisionHistoryLimit: 1,
      }),
      [...old, rs(V1, 4, 5)],
    );
    expect(result.actions.filter((a) => a.kind === 'deleteReplicaSet')).toEqual([
      { kind: 'deleteReplicaSet', name: 'web-aaaa' },
      { kind: 'deleteReplicaSet', name: 'web-bbbb' },
    ]);
  });

  it('points the canary Service at the new ReplicaSet only once it has an available pod', () => {
    const services = [service('web-canary', V1), service('web-stable', V1)];
    const notYet = plan(rollout('web:2', updating(0)), [rs(V1, 1, 4), rs(V2, 2, 1, 0)], services);
    expect(notYet.actions.some((a) => a.kind === 'pointServiceAt')).toBe(false);
    const ready = plan(rollout('web:2', updating(0)), [rs(V1, 1, 4), rs(V2, 2, 1, 1)], services);
    expect(ready.actions).toContainEqual({ kind: 'pointServiceAt', service: 'web-canary', hash: V2 });
  });

  it('points the canary Service back at the stable pods on abort (no router)', () => {
    const services = [service('web-canary', V2), service('web-stable', V1)];
    const result = plan(
      rollout('web:2', updating(1, { abort: true })),
      [rs(V1, 1, 4), rs(V2, 2, 1)],
      services,
    );
    expect(result.actions).toContainEqual({ kind: 'pointServiceAt', service: 'web-canary', hash: V1 });
  });

  it('points the canary Service back at the stable pods on abort (with a router)', () => {
    const services = [service('web-canary', V2), service('web-stable', V1)];
    const routed = rollout('web:2', updating(1, { abort: true }), {
      strategy: {
        canary: {
          steps,
          canaryService: 'web-canary',
          stableService: 'web-stable',
          // SMI creates its TrafficSplit, so the plan needs no live router object.
          trafficRouting: { smi: {} },
        },
      },
    });
    const result = plan(routed, [rs(V1, 1, 5), rs(V2, 2, 1)], services);
    expect(result.actions).toContainEqual({ kind: 'pointServiceAt', service: 'web-canary', hash: V1 });
  });

  it.each([
    [{ replicas: -1 }, 'spec.replicas must be >= 0, got -1'],
    [
      { strategy: { canary: { steps: [{ setWeight: 140 }] } } },
      'spec.strategy.canary.steps[0].setWeight must be 0..100, got 140',
    ],
    [
      { strategy: { canary: { maxSurge: 0, maxUnavailable: 0 } } },
      'spec.strategy.canary.maxSurge and maxUnavailable cannot both be 0: the rollout could never replace a pod',
    ],
    [{ strategy: {} }, 'spec.strategy must set canary or blueGreen'],
    [
      { selector: { matchLabels: { app: 'other' } } },
      'spec.template.metadata.labels must include every spec.selector.matchLabels entry',
    ],
  ] as [Partial<Rollout['spec']>, string][])(
    'marks an invalid spec with InvalidSpec and does nothing else (%j)',
    (spec, message) => {
      const result = plan(rollout('web:1', {}, spec), [rs(V1, 1, 5)]);
      expect(result.actions).toEqual([]);
      expect(result.status.phase).toBe('Degraded');
      expect(result.status.message).toBe(`InvalidSpec: ${message}`);
      expect(result.events).toEqual([{ type: 'Warning', reason: 'InvalidSpec', message }]);
    },
  );

  it('gives the new pods anti-affinity to the stable pods with strategy.canary.antiAffinity', () => {
    const ro = rollout('web:2', { stableRS: V1, currentPodHash: V1, currentStepIndex: 6 });
    ro.spec.strategy.canary!.antiAffinity = {
      preferredDuringSchedulingIgnoredDuringExecution: { weight: 50 },
    };
    const create = plan(ro, [rs(V1, 1, 5)]).actions.find((a) => a.kind === 'createReplicaSet');
    expect(
      create && create.kind === 'createReplicaSet' && create.replicaSet.spec?.template?.spec,
    ).toMatchObject({
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 50,
              podAffinityTerm: {
                labelSelector: {
                  matchExpressions: [{ key: 'rollouts-pod-template-hash', operator: 'In', values: [V1] }],
                },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      },
    });
  });

  it.each([
    ['the paused revision and step', (hash: string) => `${hash}/1`, 2],
    ['another step', (hash: string) => `${hash}/3`, 1],
    ['another revision', () => `${V1}/1`, 1],
  ])(
    'releases an indefinite pause declaratively when slipway.dev/release-pause names %s',
    (_, value, index) => {
      const paused = updating(1, {
        controllerPause: true,
        pauseConditions: [{ reason: 'CanaryPauseStep', startTime: '2026-11-21T11:00:00Z' }],
      });
      const ro = rollout('web:2', paused);
      ro.metadata.annotations = { 'slipway.dev/release-pause': value(V2) };
      const result = plan(ro, [rs(V1, 1, 4), rs(V2, 2, 1)]);
      expect(result.status.currentStepIndex).toBe(index);
    },
  );

  it.each([
    // [what, window, replicas of V1, SkipSteps on the first pass, step index after the second]
    ['within the window, still scaled', { revisions: 2 }, 3, true, 6],
    ['within the window, scaled down', { revisions: 2 }, 0, false, 6],
    ['outside the window', { revisions: 1 }, 3, false, 0],
  ])(
    'rollbackWindow: going back to an older revision %s skips the steps: %s',
    (_, window, oldReplicas, skipsAtOnce, indexAfter) => {
      // Stable is revision 3 (V3); V1 is revision 1, V2 revision 2; the template goes back to V1.
      const status = {
        stableRS: V3,
        currentPodHash: V3,
        currentStepHash: stepHash(steps),
        currentStepIndex: 6,
      };
      // Argo compares creation times: V1, then V2, then V3.
      const createdAt = (set: ReplicaSet, minute: number): ReplicaSet => ({
        ...set,
        metadata: { ...set.metadata, creationTimestamp: `2026-11-21T1${minute}:00:00Z` },
      });
      const sets = [
        createdAt(rs(V1, 1, oldReplicas), 1),
        createdAt(rs(V2, 2, 0, 0), 2),
        createdAt(rs(V3, 3, 5), 3),
      ];
      const ro = rollout('web:1', status, { rollbackWindow: window });
      const first = plan(ro, sets);
      expect(first.status.currentStepIndex).toBe(skipsAtOnce ? 6 : 0);
      expect(reasons(first.events).includes('SkipSteps')).toBe(skipsAtOnce);
      const second = plan(rollout('web:1', first.status, { rollbackWindow: window }), sets);
      expect(second.status.currentStepIndex).toBe(indexAfter);
    },
  );
});

describe('canary plan: managed route steps', () => {
  const routedSteps = [
    { setWeight: 20 },
    {
      setHeaderRoute: {
        name: 'header-route',
        match: [{ headerName: 'agent', headerValue: { exact: 'test' } }],
      },
    },
    { setMirrorRoute: { name: 'mirror-route', percentage: 50, match: [{ method: { exact: 'GET' } }] } },
    { pause: {} },
  ];
  const routed = (index: number) =>
    rollout(
      'web:2',
      { ...updating(index), currentStepHash: stepHash(routedSteps) },
      {
        strategy: {
          canary: {
            steps: routedSteps,
            canaryService: 'web-canary',
            stableService: 'web-stable',
            trafficRouting: {
              managedRoutes: [{ name: 'header-route' }, { name: 'mirror-route' }],
              istio: { virtualService: { name: 'web-vs', routes: ['primary'] } },
            },
          },
        },
      },
    );

  it.each([
    [1, 'setHeaderRoute'],
    [2, 'setMirrorRoute'],
  ])('completes step %i (%s) at once, as Argo does', (index) => {
    const virtualService = istioVirtualService({ name: 'web-vs', namespace: 'shop', resourceVersion: '1' });
    const result = planRollout({
      rollout: routed(index),
      replicaSets: [rs(V1, 1, 5), rs(V2, 2, 1)],
      services: serviceMap(routed(index)),
      now: NOW,
      trafficObjects: [virtualService],
    });
    expect(result.status.currentStepIndex).toBe(index + 1);
    expect(reasons(result.events)).toContain('RolloutStepCompleted');
  });
});

describe('promote while paused by hand inside a timed pause (Argo v1.10.2)', () => {
  // Step 3 is `pause: {duration: 10}`, started a minute before NOW, with the rollout paused by
  // hand (spec.paused). The plugin's promote patches the status first (pauseConditions: null),
  // then the spec (paused: false); Argo reconciles in between.
  const pausedAt = '2026-11-21T11:59:55Z';
  const atTimedPause = updating(3, {
    pauseConditions: [{ reason: 'CanaryPauseStep', startTime: pausedAt }],
    controllerPause: true,
  });
  const sets = [rs(V1, 1, 3), rs(V2, 2, 2)];

  it('drops controllerPause with the cleared conditions while paused by hand, and stays on the step', () => {
    const cleared = { ...atTimedPause, pauseConditions: undefined };
    const result = plan(rollout('web:2', cleared, { paused: true }), sets);
    expect(result.status.currentStepIndex).toBe(3);
    expect(result.status.controllerPause).toBeUndefined();
  });

  it('then restarts the timed pause on the same step once unpaused', () => {
    const afterFirstPass = { ...atTimedPause, pauseConditions: undefined, controllerPause: undefined };
    const result = plan(rollout('web:2', afterFirstPass), sets);
    expect(result.status.currentStepIndex).toBe(3);
    expect(result.status.pauseConditions).toEqual([
      { reason: 'CanaryPauseStep', startTime: '2026-11-21T12:00:00Z' },
    ]);
    expect(result.status.controllerPause).toBe(true);
  });

  it('restarts the pause when both writes are seen at once, as Argo (which sees them apart) does', () => {
    const manual = {
      ...atTimedPause,
      pauseConditions: undefined,
      phase: 'Paused',
      message: 'manually paused',
    };
    const result = plan(rollout('web:2', manual as typeof atTimedPause), sets);
    expect(result.status.currentStepIndex).toBe(3);
    expect(result.status.pauseConditions).toEqual([
      { reason: 'CanaryPauseStep', startTime: '2026-11-21T12:00:00Z' },
    ]);
  });

  it('a promote without a manual pause still completes the step', () => {
    const cleared = { ...atTimedPause, pauseConditions: undefined };
    const result = plan(rollout('web:2', cleared), sets);
    expect(result.status.currentStepIndex).toBeGreaterThan(3);
  });
});

describe('what Argo v1.10.2 writes besides the steps', () => {
  it("gives a new ReplicaSet the Rollout's annotations, less Argo's skip list", () => {
    const ro = rollout('web:2', updating(0));
    ro.metadata.annotations = {
      'notifications.argoproj.io/subscribe.on-rollout-completed.slack': 'team',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'rollout.argoproj.io/revision': '1',
      'notified.notifications.argoproj.io': '{}',
    };
    const result = plan(ro, [rs(V1, 1, 5)]);
    const create = result.actions.find((a) => a.kind === 'createReplicaSet');
    const annotations = create?.kind === 'createReplicaSet' ? create.replicaSet.metadata?.annotations : {};
    expect(annotations).toEqual({
      'notifications.argoproj.io/subscribe.on-rollout-completed.slack': 'team',
      'rollout.argoproj.io/revision': '2',
      'rollout.argoproj.io/desired-replicas': '5',
    });
  });

  it('writes canary: {} and blueGreen: {}, no empty message, and the Completed reason as message', () => {
    const result = plan(rollout('web:1', healthy()), [rs(V1, 1, 5)]);
    expect(result.status).toMatchObject({ phase: 'Healthy', canary: {}, blueGreen: {} });
    expect(result.status).not.toHaveProperty('message');
    expect(result.status.conditions?.find((c) => c.type === 'Completed')?.message).toBe('RolloutCompleted');
  });

  it('keeps reason RolloutPaused when the Paused condition turns False', () => {
    const paused = {
      type: 'Paused',
      status: 'True',
      reason: 'RolloutPaused',
      message: 'Rollout is paused',
      lastUpdateTime: '2026-11-21T11:00:00Z',
      lastTransitionTime: '2026-11-21T11:00:00Z',
    };
    const result = plan(rollout('web:2', updating(2, { conditions: [paused] })), [
      rs(V1, 1, 4),
      rs(V2, 2, 1),
    ]);
    expect(result.status.conditions?.find((c) => c.type === 'Paused')).toMatchObject({
      status: 'False',
      reason: 'RolloutPaused',
      message: 'Rollout is paused',
    });
  });
});

describe('canary plan: ping-pong', () => {
  const pingPongRollout = (image: string, status: RolloutStatus) =>
    rollout(image, status, {
      strategy: {
        canary: {
          steps,
          pingPong: { pingService: 'web-ping', pongService: 'web-pong' },
          trafficRouting: { smi: {} },
        },
      },
    });

  it('the initial deploy makes ping the stable Service', () => {
    const first = plan(pingPongRollout('web:1', {}), []);
    expect(first.status.canary?.stablePingPong).toBeUndefined();
    const result = plan(pingPongRollout('web:1', first.status), [rs(V1, 1, 0)]);
    expect(result.status.canary?.stablePingPong).toBe('ping');
  });

  it.each([
    ['ping', 'pong'],
    ['pong', 'ping'],
  ])('promotion switches the stable Service from %s to %s', (from, to) => {
    const status = updating(steps.length, { canary: { stablePingPong: from } });
    const result = plan(pingPongRollout('web:2', status), [rs(V1, 1, 5), rs(V2, 2, 5)]);
    expect(result.status.stableRS).toBe(V2);
    expect(result.status.canary?.stablePingPong).toBe(to);
  });

  it('points the canary side (pong while ping is stable) at the new pods while updating', () => {
    const services = [service('web-ping', V1), service('web-pong', V1)];
    const status = updating(0, { canary: { stablePingPong: 'ping' } });
    const result = plan(pingPongRollout('web:2', status), [rs(V1, 1, 5), rs(V2, 2, 1, 0)], services);
    expect(result.actions).toContainEqual({ kind: 'pointServiceAt', service: 'web-pong', hash: V2 });
    expect(result.actions.some((a) => a.kind === 'pointServiceAt' && a.service === 'web-ping')).toBe(false);
    expect(result.actions.some((a) => a.kind === 'releaseService')).toBe(false);
    expect(result.status.canary?.stablePingPong).toBe('ping');
  });
});

describe('canary plan: trafficRouting removed', () => {
  it('releases the Istio DestinationRules once, when the weights are still in status', () => {
    const weights = {
      canary: { weight: 0, podTemplateHash: V1 },
      stable: { weight: 100, podTemplateHash: V1 },
    };
    const removed = plan(rollout('web:1', { ...healthy(), canary: { weights } }), [rs(V1, 1, 5)]);
    expect(removed.actions).toContainEqual({ kind: 'releaseDestinationRules' });
    expect(removed.status.canary?.weights).toBeUndefined();
    const after = plan(rollout('web:1', healthy()), [rs(V1, 1, 5)]);
    expect(after.actions).not.toContainEqual({ kind: 'releaseDestinationRules' });
  });
});

describe('canary plan: router errors', () => {
  it('does not persist the status while a router object is missing (Argo returns before the status sync)', () => {
    const ro = rollout(
      'web:1',
      {},
      {
        strategy: {
          canary: {
            steps,
            canaryService: 'web-canary',
            stableService: 'web-stable',
            trafficRouting: { istio: { virtualService: { name: 'missing', routes: ['primary'] } } },
          },
        },
      },
    );
    const status = { currentPodHash: V1, currentStepHash: stepHash(steps), currentStepIndex: 0 };
    const result = plan({ ...ro, status }, [rs(V1, 1, 0)]);
    expect(result.status).toEqual(status);
    expect(reasons(result.events)).toEqual(['ScalingReplicaSet', 'TrafficRoutingError']);
    expect(result.requeueAfterMs).toBeGreaterThan(0);
  });
});

describe('canary plan: rollback outside rollbackWindow', () => {
  const analysisSteps = [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'check' }] } }];
  const template = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'check', namespace: 'shop' },
    spec: { metrics: [{ name: 'm', provider: { job: { spec: {} } } }] },
  };
  const oldRun = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      name: `web-${V1}-1-1`,
      namespace: 'shop',
      labels: { 'rollouts-pod-template-hash': V1, 'rollout-type': 'Step', 'step-index': '1' },
      annotations: { 'rollout.argoproj.io/revision': '1' },
    },
    spec: { metrics: [] },
    status: { phase: 'Successful' },
  };

  it('measures again instead of reusing the run of the earlier revision', () => {
    // V1 (revision 1, scaled down) comes back over stable V3 (revision 3): now revision 4 at step 1.
    const ro = rollout(
      'web:1',
      {
        stableRS: V3,
        currentPodHash: V1,
        currentStepHash: stepHash(analysisSteps),
        currentStepIndex: 1,
        observedGeneration: '2',
      },
      {
        rollbackWindow: { revisions: 1 },
        strategy: {
          canary: { steps: analysisSteps, canaryService: 'web-canary', stableService: 'web-stable' },
        },
      },
    );
    ro.metadata.annotations = { 'rollout.argoproj.io/revision': '4' };
    const result = planRollout({
      rollout: ro,
      replicaSets: [rs(V1, 4, 3), rs(V2, 2, 0), rs(V3, 3, 3)],
      services: serviceMap(ro),
      now: NOW,
      analysis: {
        runs: [oldRun as never],
        templates: { analysisTemplates: [template as never], clusterAnalysisTemplates: [] },
      },
    });
    const created = result.actions.find((a) => a.kind === 'createAnalysisRun');
    expect(created && created.kind === 'createAnalysisRun' && created.run.metadata?.name).toBe(
      `web-${V1}-4-1`,
    );
    expect(result.status.stableRS).toBe(V3);
  });
});

describe('canary plan: promote-full and background analysis', () => {
  it('starts no background run under promote-full, even past startingStep (Argo skips analysis)', () => {
    const template = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'check', namespace: 'shop' },
      spec: { metrics: [{ name: 'm', provider: { job: { spec: {} } } }] },
    };
    const ro = rollout('web:2', updating(1, { promoteFull: true }), {
      strategy: {
        canary: {
          steps,
          canaryService: 'web-canary',
          stableService: 'web-stable',
          analysis: { templates: [{ templateName: 'check' }], startingStep: 4 },
        },
      },
    });
    const result = planRollout({
      rollout: ro,
      replicaSets: [rs(V1, 1, 4), rs(V2, 2, 1)],
      services: serviceMap(ro),
      now: NOW,
      analysis: {
        runs: [],
        templates: { analysisTemplates: [template as never], clusterAnalysisTemplates: [] },
      },
    });
    expect(result.actions.some((a) => a.kind === 'createAnalysisRun')).toBe(false);
  });
});

describe('pausesOnArrival', () => {
  const setWeight = { setWeight: 20 };
  const pause = { pause: {} };
  it('enters a pause step reached from a step that completed unpaused in this pass', () => {
    expect(pausesOnArrival(setWeight, 0, 1, pause)).toBe(true);
    expect(pausesOnArrival({ setHeaderRoute: { name: 'h' } }, 2, 3, { pause: { duration: 0 } })).toBe(true);
  });
  it('leaves the next step to the next pass otherwise', () => {
    // Still on the step.
    expect(pausesOnArrival(setWeight, 0, 0, pause)).toBe(false);
    // A pause completing into a pause: its RolloutResumed and RolloutPaused Events stay apart.
    expect(pausesOnArrival(pause, 1, 2, pause)).toBe(false);
    // The next step scales: it waits for the pods of this one (Argo scales before it steps).
    expect(pausesOnArrival(setWeight, 0, 1, { setWeight: 40 })).toBe(false);
  });
});
