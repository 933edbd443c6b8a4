import { describe, expect, it } from 'vitest';
import {
  approximateWeightedCounts,
  basicCanaryReplicaCounts,
  drainOlderReplicaSets,
  type IntOrPercent,
  type ObservedReplicaSet,
  resolveMaxSurgeAndUnavailable,
} from '../../../src/rollout/replica-math.js';

// Cases marked [argo] restate, as facts, the cases of argo-rollouts utils/replicaset/canary_test.go
// and replicaset_test.go; [contract] are the examples of docs/COMPAT-CONTRACT.md "Replica math";
// [doc] the examples in the comment on Argo's CalculateReplicaCountsForBasicCanary.

const rs = (
  name: string,
  specReplicas: number,
  availableReplicas: number,
  revision?: number,
): ObservedReplicaSet => ({
  name,
  specReplicas,
  availableReplicas,
  ...(revision === undefined ? {} : { revision }),
});

describe('resolveMaxSurgeAndUnavailable', () => {
  it.each<[string, number, IntOrPercent | undefined, IntOrPercent | undefined, number, number]>([
    // name, replicas, maxSurge, maxUnavailable, → maxSurge, maxUnavailable
    ['defaults are 25%: surge rounds up, unavailable down', 10, undefined, undefined, 3, 2],
    ['defaults with one replica', 1, undefined, undefined, 1, 0],
    ['[argo] 39% of 10', 10, '39%', '39%', 4, 3],
    ['[argo] surge 0, unavailable 39%', 10, 0, '39%', 0, 3],
    ['[argo] surge 39%, unavailable 0', 10, '39%', 0, 4, 0],
    ['[argo] both 0 → unavailable 1', 10, 0, 0, 0, 1],
    ['[argo] both 0% of 10 → unavailable 1', 10, '0%', '0%', 0, 1],
    ['[argo] both 0% of 0 replicas → unavailable 0', 0, '0%', '0%', 0, 0],
    ['[argo] maxSurge int', 10, 5, 1, 5, 1],
    ['[argo] maxSurge 50%', 10, '50%', 1, 5, 1],
    ['[argo] maxUnavailable below replicas', 10, 1, 5, 1, 5],
    ['[argo] maxUnavailable equal to replicas', 10, 1, 10, 1, 10],
    ['[argo] maxUnavailable above replicas is capped', 5, 1, 10, 1, 5],
    ['[argo] maxUnavailable with 0 replicas', 0, 1, 10, 1, 0],
    ['[argo] maxUnavailable 50%', 10, 1, '50%', 1, 5],
    ['[argo] maxUnavailable 100%', 10, 1, '100%', 1, 10],
    ['[argo] maxUnavailable 100% of 5', 5, 1, '100%', 1, 5],
    ['a string without % is still a percentage (deprecated intstr helper)', 10, '3', '3', 1, 0],
  ])('%s', (_name, replicas, maxSurge, maxUnavailable, surge, unavailable) => {
    expect(resolveMaxSurgeAndUnavailable(replicas, maxSurge, maxUnavailable)).toEqual({
      maxSurge: surge,
      maxUnavailable: unavailable,
    });
  });

  it.each([['oops'], ['urg'], ['2.5%']])('[argo] rejects %j', (value) => {
    expect(() => resolveMaxSurgeAndUnavailable(10, value, 1)).toThrow(
      /maxSurge must be an integer or a percentage/,
    );
  });
});

describe('approximateWeightedCounts', () => {
  // [argo] TestApproximateWeightedNewStableReplicaCounts, comments give the resulting canary share.
  it.each([
    // replicas, weight, maxSurge, → canary, stable
    [0, 0, 0, 0, 0],
    [0, 50, 0, 0, 0],
    [0, 100, 0, 0, 0],
    [0, 0, 1, 0, 0],
    [0, 50, 1, 0, 0],
    [0, 100, 1, 0, 0],
    [1, 0, 0, 0, 1], // 0%
    [1, 1, 0, 0, 1], // 0%
    [1, 49, 0, 0, 1], // 0%
    [1, 50, 0, 1, 0], // 100%
    [1, 99, 0, 1, 0], // 100%
    [1, 100, 0, 1, 0], // 100%
    [1, 0, 1, 0, 1], // 0%
    [1, 1, 1, 1, 1], // 50%
    [1, 49, 1, 1, 1], // 50%
    [1, 50, 1, 1, 1], // 50%
    [1, 99, 1, 1, 1], // 50%
    [1, 100, 1, 1, 0], // 100%
    [2, 0, 0, 0, 2], // 0%
    [2, 1, 0, 1, 1], // 50%
    [2, 50, 0, 1, 1], // 50%
    [2, 99, 0, 1, 1], // 50%
    [2, 100, 0, 2, 0], // 100%
    [2, 0, 1, 0, 2], // 0%
    [2, 1, 1, 1, 2], // 33.3%
    [2, 50, 1, 1, 1], // 50%
    [2, 99, 1, 2, 1], // 66.6%
    [2, 100, 1, 2, 0], // 100%
    [3, 10, 0, 1, 2], // 33.3%
    [3, 25, 0, 1, 2], // 33.3%
    [3, 33, 0, 1, 2], // 33.3%
    [3, 34, 0, 1, 2], // 33.3%
    [3, 49, 0, 1, 2], // 33.3%
    [3, 50, 0, 2, 1], // 66.6%
    [3, 10, 1, 1, 3], // 25%
    [3, 25, 1, 1, 3], // 25%
    [3, 33, 1, 1, 2], // 33.3%
    [3, 34, 1, 1, 2], // 33.3%
    [3, 49, 1, 2, 2], // 50%
    [3, 50, 1, 2, 2], // 50%
    [10, 0, 1, 0, 10], // 0%
    [10, 1, 0, 1, 9], // 10%
    [10, 14, 0, 1, 9], // 10%
    [10, 15, 0, 2, 8], // 20%
    [10, 16, 0, 2, 8], // 20%
    [10, 99, 0, 9, 1], // 90%
    [10, 100, 1, 10, 0], // 100%
    [10, 1, 1, 1, 10], // 9.1%
    [10, 18, 1, 2, 9], // 18.1%
    [10, 19, 1, 2, 9], // 18.1%
    [10, 20, 1, 2, 8], // 20%
    [10, 23, 1, 2, 8], // 20%
    [10, 24, 1, 3, 8], // 27.2%
    [10, 25, 1, 3, 8], // 27.2%
    [10, 99, 1, 10, 1], // 90.9%
    [10, 100, 1, 10, 0], // 100%
  ])(
    '[argo] %i replicas, weight %i, surge %i → canary %i, stable %i',
    (replicas, weight, surge, canary, stable) => {
      expect(approximateWeightedCounts(replicas, weight, surge)).toEqual({ canary, stable });
    },
  );
});

describe('basicCanaryReplicaCounts', () => {
  type Row = [
    name: string,
    replicas: number,
    weight: number,
    maxSurge: IntOrPercent,
    maxUnavailable: IntOrPercent,
    canary: [spec: number, available: number] | undefined,
    stable: [spec: number, available: number] | undefined,
    expected: [canary: number, stable: number],
    older?: [spec: number, available: number],
  ];
  it.each<Row>([
    ['[contract] weight 30, surge 3, unavailable 0', 10, 30, 3, 0, [0, 0], [10, 10], [3, 10]],
    ['[contract] weight 30, surge 0, unavailable 5 (at first)', 10, 30, 0, 5, [0, 0], [10, 10], [0, 7]],
    ['[doc] weight 10, surge 1, unavailable 1', 10, 10, 1, 1, [0, 0], [10, 10], [1, 9]],
    // Argo's comment says 1 / 9 here; that predates approximateWeightedCanaryStableReplicaCounts,
    // which prefers 1 of 11 pods (9.1%) over 1 of 10 (10%) for a 5% weight.
    ['[doc] weight 5, surge 1, unavailable 1 (comment is stale)', 10, 5, 1, 1, [0, 0], [10, 10], [1, 10]],
    ['[doc] 1 replica, weight 5, surge 1', 1, 5, 1, 0, [0, 0], [1, 1], [1, 1]],
    ['[doc] 1 replica, weight 95, surge 1', 1, 95, 1, 0, [0, 0], [1, 1], [1, 1]],
    ['[argo] spec below available is not counted twice', 10, 100, 3, 0, [6, 3], [7, 8], [6, 7]],
    ['[argo] max surge int scales up canary', 10, 20, 2, 0, [0, 0], [10, 10], [2, 10]],
    ['[argo] max surge percentage scales up canary', 10, 20, '20%', 0, [0, 0], [10, 10], [2, 10]],
    ['[argo] scale down extra stable replicas', 10, 20, '20%', 0, [2, 2], [10, 10], [2, 8]],
    ['[argo] do not go past max surge', 10, 30, 2, 0, [0, 0], [10, 10], [2, 10]],
    ['[argo] max unavailable int scales down stable', 10, 20, 0, 2, [0, 0], [10, 10], [0, 8]],
    ['[argo] max unavailable % scales down stable', 10, 20, 0, '20%', [0, 0], [10, 10], [0, 8]],
    ['[argo] do not go past max unavailable', 10, 30, 0, 2, [0, 0], [10, 10], [0, 8]],
    ['[argo] max surge and max unavailable together', 10, 50, 2, 1, [0, 0], [10, 10], [2, 9]],
    ['[argo] weight 0 scales canary to zero', 10, 0, 1, 1, [1, 1], [10, 10], [0, 10]],
    ['[argo] weight 100 scales stable to zero', 10, 100, 1, 1, [10, 10], [1, 1], [10, 0]],
    ['[argo] non-zero weight never leaves canary at 0', 1, 20, 1, 0, [0, 0], [1, 1], [1, 1]],
    ['[argo] weight below 100 keeps the stable pod', 1, 90, 1, 0, [0, 0], [1, 1], [1, 1]],
    ['[argo] stable scales up before canary', 10, 30, 1, 0, [0, 0], [1, 1], [1, 7], [3, 3]],
    ['[argo] scale down canary and stable', 10, 30, 0, 3, [4, 4], [8, 5], [3, 7]],
    ['[argo] scale down with unavailable stable', 10, 100, 1, 0, [10, 8], [10, 2], [9, 2]],
    ['[argo] older pods drain before canary or stable shrink', 10, 30, 0, 1, [4, 2], [8, 6], [4, 8], [3, 3]],
    ['[argo] uneven weight does not round past surge 0', 10, 5, 0, 1, [0, 0], [10, 10], [0, 9]],
    ['[argo] uneven weight, surge 0 (part 2)', 10, 5, 0, 1, [0, 0], [9, 9], [1, 9]],
    ['[argo] 0% and 0% behave as unavailable 1', 10, 10, '0%', '0%', [0, 0], [10, 10], [0, 9]],
    ['[argo] surge only by maxSurge while stable is unavailable', 4, 100, 1, 0, [0, 0], [4, 1], [1, 4]],
    ['[argo] scale down to maxUnavailable within surge 0', 3, 99, 0, 2, [0, 0], [3, 3], [0, 1]],
    ['[argo] scale down to maxUnavailable within surge 0 (part 2)', 3, 99, 0, 2, [0, 0], [1, 1], [2, 1]],
    ['[argo] unavailable stable shrinks one at a time', 4, 100, 1, 0, [1, 1], [4, 1], [1, 3]],
    ['[argo] lowering weight: surge stable first', 4, 0, 1, 0, [4, 4], [0, 0], [4, 1]],
    ['[argo] lowering weight: wait for stable availability', 4, 0, 1, 0, [4, 4], [1, 0], [4, 1]],
    ['[argo] lowering weight: then canary gives one back', 4, 0, 1, 0, [4, 4], [1, 1], [3, 1]],
    ['[argo] promote full (weight 100) ignores the step weight', 4, 100, 4, 4, [0, 0], [4, 4], [4, 0]],
    ['[argo] promote full still honours surge', 4, 100, 3, 0, [0, 0], [4, 4], [3, 4]],
    ['no canary ReplicaSet yet: stable keeps its pods', 10, 30, 3, 0, undefined, [10, 10], [0, 10]],
  ])('%s', (_name, replicas, weight, maxSurge, maxUnavailable, canary, stable, expected, older) => {
    const counts = basicCanaryReplicaCounts({
      replicas,
      weight,
      maxSurge,
      maxUnavailable,
      ...(canary ? { canary: rs('canary', ...canary) } : {}),
      ...(stable ? { stable: rs('stable', ...stable) } : {}),
      others: older ? [rs('older', ...older)] : [],
    });
    expect(counts).toEqual({ canary: expected[0], stable: expected[1] });
  });

  it.each([
    ['[argo] no stable: canary goes to 100%', undefined],
    ['[argo] stable is the canary itself: canary goes to 100%', rs('stable', 9, 9)],
  ])('%s', (_name, stable) => {
    const counts = basicCanaryReplicaCounts({
      replicas: 10,
      weight: 10,
      maxSurge: 0,
      maxUnavailable: 1,
      canary: rs('stable', 9, 9),
      ...(stable ? { stable } : {}),
    });
    expect(counts).toEqual({ canary: 10, stable: 0 });
  });

  it('[argo] new deployment: the first ReplicaSet is both, and gets every replica', () => {
    const first = rs('stable', 10, 0);
    expect(
      basicCanaryReplicaCounts({
        replicas: 10,
        weight: 10,
        maxSurge: 0,
        maxUnavailable: 1,
        canary: first,
        stable: first,
      }),
    ).toEqual({ canary: 10, stable: 0 });
  });
});

describe('drainOlderReplicaSets', () => {
  it.each<
    [
      string,
      ObservedReplicaSet,
      ObservedReplicaSet,
      ObservedReplicaSet[],
      { name: string; replicas: number }[],
    ]
  >([
    // name, canary, stable, older, → older replicas (replicas 10, maxSurge 1, maxUnavailable 1)
    [
      'room for all: scaled to 0',
      rs('c', 3, 3),
      rs('s', 7, 7),
      [rs('v1', 2, 2)],
      [{ name: 'v1', replicas: 0 }],
    ],
    [
      'unavailable pods go at once, available ones wait',
      rs('c', 0, 0),
      rs('s', 8, 8),
      [rs('v1', 3, 1)],
      [{ name: 'v1', replicas: 1 }],
    ],
    [
      'available pods only down to replicas − maxUnavailable, newest revision first',
      rs('c', 0, 0),
      rs('s', 5, 5),
      [rs('v1', 2, 2, 1), rs('v2', 3, 3, 2)],
      [
        { name: 'v2', replicas: 2 },
        { name: 'v1', replicas: 2 },
      ],
    ],
    [
      'nothing while a scale-down is in flight',
      rs('c', 2, 2),
      rs('s', 8, 8),
      [rs('v1', 1, 2)],
      [{ name: 'v1', replicas: 1 }],
    ],
  ])('%s', (_name, canary, stable, others, expected) => {
    expect(
      drainOlderReplicaSets({ replicas: 10, maxSurge: 1, maxUnavailable: 1, canary, stable, others }),
    ).toEqual(expected);
  });
});
