// The weight decision of a traffic-routed canary, the pod counts behind it and status.canary.weights.
import { describe, expect, it } from 'vitest';
import type { CanaryStep, CanaryStrategy, RolloutStatus } from '../../../src/api/rollout.js';
import type { RoutedRollout } from '../../../src/trafficrouting/router.js';
import {
  type CanaryPosition,
  desiredTrafficWeight,
  positionOf,
  routedServices,
  type TrafficWeightInput,
  trafficRoutedReplicaCounts,
  trafficWeightStatus,
} from '../../../src/trafficrouting/weight.js';
import { routedRollout } from './fixtures.js';

const header = { name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: 'yes' } }] };
const steps: CanaryStep[] = [
  { setWeight: 20 },
  { setHeaderRoute: header },
  { pause: {} },
  { setWeight: 40 },
  { setHeaderRoute: { name: 'beta' } },
  { pause: {} },
];

function rollout(status: RolloutStatus, canary: Record<string, unknown> = {}, revision = '2'): RoutedRollout {
  const ro = routedRollout(
    { istio: { virtualService: { name: 'vs' } }, managedRoutes: [{ name: 'beta' }] },
    { steps, ...canary },
    {
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u',
        annotations: { 'rollout.argoproj.io/revision': revision },
      },
      status: { stableRS: 'old', currentPodHash: 'new', ...status },
    },
  );
  return { ...ro, spec: { ...ro.spec, replicas: 10 } };
}

function decide(
  status: RolloutStatus,
  more: Partial<TrafficWeightInput> = {},
  canary: Record<string, unknown> = {},
) {
  const ro = rollout(status, canary);
  return desiredTrafficWeight({
    rollout: ro,
    position: positionOf(ro.status),
    canaryHash: 'new',
    stableHash: 'old',
    canaryAvailableReplicas: 2,
    stableAvailableReplicas: 10,
    atDesiredReplicaCounts: true,
    ...more,
  });
}

describe('desiredTrafficWeight', () => {
  it.each([
    ['no canary pod available yet', { currentStepIndex: 0 }, { canaryAvailableReplicas: 0 }, 0],
    ['the first step once its pods are available', { currentStepIndex: 0 }, {}, 20],
    [
      'the previous weight while the canary scales for the next one',
      { currentStepIndex: 3 },
      { atDesiredReplicaCounts: false },
      20,
    ],
    ['the new weight once it has', { currentStepIndex: 3 }, {}, 40],
    ['the maximum after the last step', { currentStepIndex: 6 }, {}, 100],
  ])('gives %s', (_what, status, more, weight) => {
    expect(decide(status, more).weight).toBe(weight);
  });

  it('goes to 0 and removes managed routes when fully promoted and on abort', () => {
    expect(decide({ stableRS: 'new', currentPodHash: 'new', currentStepIndex: 6 })).toMatchObject({
      weight: 0,
      removeManagedRoutes: true,
      headerRoutes: [],
    });
    expect(decide({ abort: true, currentStepIndex: 1 })).toMatchObject({
      weight: 0,
      removeManagedRoutes: true,
      canaryServiceToStable: true,
      headerRoutes: [],
    });
  });

  it('with dynamicStableScale, aborts only as fast as the stable can take traffic', () => {
    const weights = {
      canary: { weight: 40, podTemplateHash: 'new' },
      stable: { weight: 60, podTemplateHash: 'old' },
    };
    const decision = decide(
      { abort: true, currentStepIndex: 3, canary: { weights } },
      { stableAvailableReplicas: 7 },
      { dynamicStableScale: true },
    );
    // Argo: the reverse step for 3 canary pods is 20, but 7 stable pods carry only 70 < 80,
    // so the weight in force (40) stays.
    expect(decision).toMatchObject({ weight: 40, removeManagedRoutes: true, canaryServiceToStable: false });
    const caughtUp = decide(
      { abort: true, currentStepIndex: 3, canary: { weights } },
      { stableAvailableReplicas: 8 },
      { dynamicStableScale: true },
    );
    expect(caughtUp.weight).toBe(20);
  });

  it('with dynamicStableScale, an abort then a scale-down never gives a negative weight', () => {
    const weights = {
      canary: { weight: 0, podTemplateHash: 'new' },
      stable: { weight: 100, podTemplateHash: 'old' },
    };
    const decision = decide(
      { abort: true, currentStepIndex: 0, canary: { weights } },
      { stableAvailableReplicas: 4, canaryAvailableReplicas: 1 },
      { dynamicStableScale: true },
    );
    expect(decision.weight).toBe(0);
    const unset = decide(
      { abort: true, currentStepIndex: 0 },
      { stableAvailableReplicas: 40, canaryAvailableReplicas: 0 },
      { dynamicStableScale: true },
    );
    expect(unset.weight).toBe(0);
  });

  it('keeps the weight on promote-full until the canary is promoted', () => {
    const weights = { canary: { weight: 40 }, stable: { weight: 60 } };
    expect(decide({ promoteFull: true, currentStepIndex: 3, canary: { weights } })).toMatchObject({
      weight: 40,
      removeManagedRoutes: true,
    });
    expect(
      decide(
        { promoteFull: true, currentStepIndex: 3 },
        { canaryAvailableReplicas: 7 },
        { dynamicStableScale: true },
      ).weight,
    ).toBe(70);
  });

  it('asks for the header routes the steps so far leave in place, not on the first revision', () => {
    expect(decide({ currentStepIndex: 1 }).headerRoutes).toEqual([header]);
    expect(decide({ currentStepIndex: 4 }).headerRoutes).toEqual([{ name: 'beta' }]);
    const firstRevision = rollout({ currentStepIndex: 1 }, {}, '1');
    const first = desiredTrafficWeight({
      rollout: firstRevision,
      position: positionOf(firstRevision.status),
      canaryHash: 'new',
      stableHash: 'old',
      canaryAvailableReplicas: 2,
      stableAvailableReplicas: 10,
      atDesiredReplicaCounts: true,
    });
    expect(first.headerRoutes).toEqual([]);
  });

  it('passes experiment destinations through while a step is running', () => {
    const experimentDestinations = [{ serviceName: 'exp', podTemplateHash: 'e', weight: 5 }];
    expect(decide({ currentStepIndex: 0 }, { experimentDestinations }).additionalDestinations).toEqual(
      experimentDestinations,
    );
  });

  it('shifts traffic off the previous canary when rolling back to stable with dynamicStableScale', () => {
    const weights = {
      canary: { weight: 50, podTemplateHash: 'bad' },
      stable: { weight: 50, podTemplateHash: 'new' },
    };
    const decision = decide(
      { stableRS: 'new', currentPodHash: 'new', currentStepIndex: 6, canary: { weights } },
      { canaryAvailableReplicas: 8, stableAvailableReplicas: 8 },
      { dynamicStableScale: true },
    );
    // Argo keeps the weight in force until the stable set is fully available again.
    expect(decision).toMatchObject({
      weight: 50,
      canaryHash: 'bad',
      removeManagedRoutes: false,
      holdCanaryService: true,
    });
  });
});

describe('trafficRoutedReplicaCounts', () => {
  // The position as the status records it (the planner passes the one it decided).
  const counts = (ro: RoutedRollout) => trafficRoutedReplicaCounts(ro, positionOf(ro.status));
  it.each([
    [
      'ceil(weight × replicas / 100) with a full stable',
      { currentStepIndex: 0 },
      {},
      { canary: 2, stable: 10 },
    ],
    ['the maximum once promoted', { stableRS: 'new', currentPodHash: 'new' }, {}, { canary: 10, stable: 10 }],
    [
      'setCanaryScale replicas',
      { currentStepIndex: 0 },
      { steps: [{ setCanaryScale: { replicas: 3 } }] },
      { canary: 3, stable: 10 },
    ],
    [
      'setCanaryScale weight',
      { currentStepIndex: 0 },
      { steps: [{ setCanaryScale: { weight: 50 } }] },
      { canary: 5, stable: 10 },
    ],
    ['minPodsPerReplicaSet', { currentStepIndex: 0 }, { minPodsPerReplicaSet: 3 }, { canary: 3, stable: 10 }],
    [
      'maxTrafficWeight',
      { currentStepIndex: 0 },
      { steps: [{ setWeight: 250 }], trafficRouting: { maxTrafficWeight: 1000 } },
      { canary: 3, stable: 10 },
    ],
    ['dynamicStableScale', { currentStepIndex: 0 }, { dynamicStableScale: true }, { canary: 2, stable: 8 }],
  ])('uses %s', (_what, status, canary, expected) => {
    expect(counts(rollout(status, canary))).toEqual(expected);
  });

  it('keeps the stable scaled for the traffic it still gets with dynamicStableScale', () => {
    const weights = { canary: { weight: 0 }, stable: { weight: 100 } };
    expect(
      counts(rollout({ currentStepIndex: 0, canary: { weights } }, { dynamicStableScale: true })),
    ).toEqual({ canary: 2, stable: 10 });
  });
});

describe('trafficRoutedReplicaCounts from decided values', () => {
  // Cases marked [argo] restate, as facts, argo-rollouts utils/replicaset/canary_test.go
  // (TestTrafficWeightToReplicas, TestCalculateReplicaCountsForCanary); [contract] the examples
  // of docs/COMPAT-CONTRACT.md "Replica math".
  type Case = {
    replicas: number;
    steps: CanaryStep[];
    canary?: Partial<CanaryStrategy>;
    position?: Partial<CanaryPosition>;
    /** status.canary.weights: what the routers carry now. */
    actual?: { canary: number; stable: number };
  };
  const counts = ({ replicas, steps, canary = {}, position = {}, actual }: Case) => {
    const ro = routedRollout({ istio: { virtualService: { name: 'vs' } } }, { steps, ...canary });
    const withStatus: RoutedRollout = {
      ...ro,
      spec: { ...ro.spec, replicas },
      ...(actual
        ? {
            status: {
              canary: { weights: { canary: { weight: actual.canary }, stable: { weight: actual.stable } } },
            },
          }
        : {}),
    };
    return trafficRoutedReplicaCounts(withStatus, {
      stepIndex: 0,
      aborted: false,
      promoteFull: false,
      stableHash: 'stable',
      currentPodHash: 'canary',
      ...position,
    });
  };
  const scs = (replicas?: number, weight?: number, matchTrafficWeight?: boolean): CanaryStep => ({
    setCanaryScale: {
      ...(replicas === undefined ? {} : { replicas }),
      ...(weight === undefined ? {} : { weight }),
      ...(matchTrafficWeight === undefined ? {} : { matchTrafficWeight }),
    },
  });

  it.each([
    [0, 0],
    [10, 1],
    [20, 2],
    [25, 3],
    [33, 4],
    [99, 10],
    [100, 10],
  ])('[argo] weight %i of 10 replicas → %i canary pods, stable stays at 10', (weight, canary) => {
    expect(counts({ replicas: 10, steps: [{ setWeight: weight }] })).toEqual({ canary, stable: 10 });
  });

  it.each<[string, Case, { canary: number; stable: number }]>([
    [
      '[argo] minPodsPerReplicaSet lifts a small canary',
      { replicas: 10, steps: [{ setWeight: 5 }], canary: { minPodsPerReplicaSet: 2 } },
      { canary: 2, stable: 10 },
    ],
    [
      'minPodsPerReplicaSet leaves 0 at 0',
      { replicas: 10, steps: [{ setWeight: 0 }], canary: { minPodsPerReplicaSet: 2 } },
      { canary: 0, stable: 10 },
    ],
    [
      '[contract] weight relative to maxTrafficWeight',
      {
        replicas: 10,
        steps: [{ setWeight: 300 }],
        canary: { trafficRouting: { maxTrafficWeight: 1000, istio: { virtualService: { name: 'vs' } } } },
      },
      { canary: 3, stable: 10 },
    ],
    [
      'past the last step: maxTrafficWeight is all pods',
      {
        replicas: 10,
        steps: [{ setWeight: 10 }],
        canary: { trafficRouting: { maxTrafficWeight: 1000, istio: { virtualService: { name: 'vs' } } } },
        position: { stepIndex: 1 },
      },
      { canary: 10, stable: 10 },
    ],
    [
      'no setWeight yet → 0',
      { replicas: 10, steps: [{ pause: {} }, { setWeight: 40 }] },
      { canary: 0, stable: 10 },
    ],
    [
      '[argo] promote full → all pods',
      { replicas: 10, steps: [{ setWeight: 10 }], position: { promoteFull: true } },
      { canary: 10, stable: 10 },
    ],
    [
      '[argo] no stable yet → all pods',
      { replicas: 10, steps: [{ setWeight: 10 }], position: { stableHash: undefined } },
      { canary: 10, stable: 10 },
    ],
    [
      'back on the stable template → all pods',
      { replicas: 10, steps: [{ setWeight: 10 }], position: { currentPodHash: 'stable' } },
      { canary: 10, stable: 10 },
    ],
    [
      '[argo] dynamic stable scale follows actual stable weight',
      {
        replicas: 10,
        steps: [{ setWeight: 10 }],
        canary: { dynamicStableScale: true },
        actual: { canary: 10, stable: 90 },
      },
      { canary: 1, stable: 9 },
    ],
    [
      '[argo] dynamic: desired canary 20 above actual 10, stable waits for traffic',
      {
        replicas: 10,
        steps: [{ setWeight: 20 }],
        canary: { dynamicStableScale: true },
        actual: { canary: 10, stable: 90 },
      },
      { canary: 2, stable: 9 },
    ],
    [
      '[argo] dynamic abort keeps canary pods while traffic still reaches them',
      {
        replicas: 10,
        steps: [{ setWeight: 20 }],
        canary: { dynamicStableScale: true },
        position: { aborted: true },
        actual: { canary: 20, stable: 80 },
      },
      { canary: 2, stable: 10 },
    ],
    [
      '[argo] dynamic abort shrinks canary with its traffic',
      {
        replicas: 10,
        steps: [{ setWeight: 20 }],
        canary: { dynamicStableScale: true },
        position: { aborted: true },
        actual: { canary: 10, stable: 90 },
      },
      { canary: 1, stable: 10 },
    ],
    [
      'dynamic without known weights uses the desired split, with the min pods floor',
      {
        replicas: 10,
        steps: [{ setWeight: 95 }],
        canary: { dynamicStableScale: true, minPodsPerReplicaSet: 2 },
      },
      { canary: 10, stable: 2 },
    ],
    [
      '[argo] setCanaryScale.replicas 9',
      { replicas: 1, steps: [{ setWeight: 100, ...scs(9) }] },
      { canary: 9, stable: 1 },
    ],
    [
      '[argo] setCanaryScale.weight 200',
      { replicas: 4, steps: [{ setWeight: 100, ...scs(undefined, 200) }] },
      { canary: 8, stable: 4 },
    ],
    [
      '[argo] setCanaryScale weight at a later step',
      { replicas: 10, steps: [{ setWeight: 10 }, scs(undefined, 20)], position: { stepIndex: 1 } },
      { canary: 2, stable: 10 },
    ],
    [
      '[argo] matchTrafficWeight ignores setCanaryScale',
      { replicas: 10, steps: [{ setWeight: 20, ...scs(9, 100, true) }] },
      { canary: 2, stable: 10 },
    ],
    [
      '[argo] aborted, abortScaleDownDelaySeconds 0: setCanaryScale keeps the canary',
      {
        replicas: 1,
        steps: [scs(1)],
        canary: { abortScaleDownDelaySeconds: 0 },
        position: { aborted: true },
      },
      { canary: 1, stable: 1 },
    ],
    [
      '[argo] aborted, abortScaleDownDelaySeconds 30: the canary goes',
      {
        replicas: 1,
        steps: [scs(1)],
        canary: { abortScaleDownDelaySeconds: 30 },
        position: { aborted: true },
      },
      { canary: 0, stable: 1 },
    ],
    [
      'aborted with the default delay: the canary goes',
      { replicas: 1, steps: [scs(1)], position: { aborted: true } },
      { canary: 0, stable: 1 },
    ],
  ])('%s', (_name, input, expected) => {
    expect(counts(input)).toEqual(expected);
  });
});

describe('trafficWeightStatus', () => {
  it('reports the weights and the TrafficWeightUpdated message when they change', () => {
    const ro = rollout({});
    const decision = { weight: 20, canaryHash: 'new', stableHash: 'old', additionalDestinations: [] };
    const first = trafficWeightStatus(ro, decision, undefined);
    expect(first).toEqual({
      weights: {
        canary: { weight: 20, podTemplateHash: 'new', serviceName: 'web-canary' },
        stable: { weight: 80, podTemplateHash: 'old', serviceName: 'web-stable' },
      },
      changed: true,
      message: 'Traffic weight updated to 20',
    });
    const withPrevious = rollout({ canary: { weights: first.weights } });
    expect(trafficWeightStatus(withPrevious, decision, undefined)).toMatchObject({
      changed: false,
      message: undefined,
    });
    expect(trafficWeightStatus(withPrevious, { ...decision, weight: 40 }, true)).toMatchObject({
      weights: { stable: { weight: 60 }, verified: true },
      message: 'Traffic weight updated from 20 to 40',
    });
  });
});

describe('routedServices', () => {
  it('without ping-pong preferred (Istio), named stable/canary Services win', () => {
    const pingPong = { pingService: 'web-ping', pongService: 'web-pong' };
    const both = rollout({}, { pingPong, stableService: 'web-stable', canaryService: 'web-canary' });
    expect(routedServices(both, false)).toEqual({ stable: 'web-stable', canary: 'web-canary' });
    expect(routedServices(both)).toEqual({ stable: 'web-pong', canary: 'web-ping' });
  });

  it('uses ping and pong by status.canary.stablePingPong (stable is ping only when it says so)', () => {
    const pingPong = { pingService: 'web-ping', pongService: 'web-pong' };
    expect(routedServices(rollout({}, { pingPong }))).toEqual({ stable: 'web-pong', canary: 'web-ping' });
    expect(routedServices(rollout({ canary: { stablePingPong: 'ping' } }, { pingPong }))).toEqual({
      stable: 'web-ping',
      canary: 'web-pong',
    });
    expect(routedServices(rollout({ canary: { stablePingPong: 'pong' } }, { pingPong }))).toEqual({
      stable: 'web-pong',
      canary: 'web-ping',
    });
  });
});
