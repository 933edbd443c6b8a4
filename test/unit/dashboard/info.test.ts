import { describe, expect, it } from 'vitest';
import type { AnalysisRun } from '../../../src/api/analysis.js';
import type { Rollout } from '../../../src/api/rollout.js';
import {
  compact,
  currentSetWeight,
  type Pod,
  podStatus,
  type ReplicaSet,
  replicaSetHealth,
  rolloutInfo,
  rolloutPhase,
} from '../../../src/dashboard/info.js';

const owner = (kind: string, name: string, uid: string) => [{ apiVersion: 'x', kind, name, uid }];

function canaryRollout(status: Rollout['status'] = {}): Rollout {
  return {
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'ro-uid',
      generation: 2,
      resourceVersion: '77',
      creationTimestamp: '2026-12-01T10:00:00Z',
      annotations: { 'rollout.argoproj.io/revision': '2' },
    },
    spec: {
      replicas: 5,
      template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
      strategy: {
        canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 40 }, { pause: { duration: 10 } }] },
      },
    },
    status: {
      observedGeneration: '2',
      phase: 'Paused',
      message: 'CanaryPauseStep',
      currentStepIndex: 1,
      stableRS: 'aaa',
      currentPodHash: 'bbb',
      availableReplicas: 5,
      readyReplicas: 5,
      replicas: 5,
      updatedReplicas: 1,
      ...status,
    },
  };
}

function replicaSet(hash: string, revision: number, replicas: number, image: string): ReplicaSet {
  return {
    metadata: {
      name: `web-${hash}`,
      namespace: 'shop',
      uid: `rs-${hash}`,
      labels: { 'rollouts-pod-template-hash': hash },
      annotations: { 'rollout.argoproj.io/revision': String(revision) },
      ownerReferences: owner('Rollout', 'web', 'ro-uid'),
      creationTimestamp: '2026-12-01T10:00:00Z',
      generation: 1,
    },
    spec: { replicas, template: { spec: { containers: [{ name: 'app', image }] } } },
    status: { replicas, availableReplicas: replicas, observedGeneration: 1 },
  };
}

function runningPod(name: string, rsHash: string): Pod {
  return {
    metadata: {
      name,
      namespace: 'shop',
      uid: `pod-${name}`,
      creationTimestamp: '2026-12-01T10:01:00Z',
      ownerReferences: owner('ReplicaSet', `web-${rsHash}`, `rs-${rsHash}`),
    },
    spec: { containers: [{ name: 'app' }] },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
    },
  };
}

describe('RolloutInfo as Argo builds it (pkg/kubectl-argo-rollouts/info)', () => {
  const replicaSets = [replicaSet('aaa', 1, 4, 'nginx:1.26'), replicaSet('bbb', 2, 1, 'nginx:1.27')];
  const pods = [
    runningPod('web-bbb-1', 'bbb'),
    ...[1, 2, 3, 4].map((i) => runningPod(`web-aaa-${i}`, 'aaa')),
  ];

  it('summarises a canary paused at its second step', () => {
    const info = rolloutInfo(canaryRollout(), { replicaSets, pods });
    expect(info).toMatchObject({
      objectMeta: { name: 'web', namespace: 'shop', uid: 'ro-uid', generation: 2, resourceVersion: '77' },
      status: 'Paused',
      message: 'CanaryPauseStep',
      icon: '॥',
      strategy: 'Canary',
      step: '1/4',
      setWeight: '20',
      actualWeight: '20',
      ready: 5,
      current: 5,
      desired: 5,
      updated: 1,
      available: 5,
      restartedAt: 'Never',
      generation: '2',
      containers: [{ name: 'app', image: 'nginx:1.27' }],
    });
    expect(info.steps).toHaveLength(4);
  });

  it('lists ReplicaSets newest revision first with their role, images and pods', () => {
    const info = rolloutInfo(canaryRollout(), { replicaSets, pods });
    const sets = info.replicaSets as Record<string, unknown>[];
    expect(sets.map((rs) => [rs.revision, rs.canary, rs.stable])).toEqual([
      [2, true, undefined],
      [1, undefined, true],
    ]);
    expect(sets[0]).toMatchObject({
      status: 'Healthy',
      icon: '✔',
      replicas: 1,
      available: 1,
      images: ['nginx:1.27'],
    });
    expect(sets[0]?.pods).toEqual([
      {
        objectMeta: {
          name: 'web-bbb-1',
          namespace: 'shop',
          uid: 'pod-web-bbb-1',
          creationTimestamp: '2026-12-01T10:01:00Z',
        },
        status: 'Running',
        icon: '✔',
        ready: '1/1',
      },
    ]);
    expect(sets[1]?.pods).toHaveLength(4);
  });

  it("leaves out zero values as Go's omitempty does", () => {
    const info = rolloutInfo(canaryRollout({ updatedReplicas: 0 }), { replicaSets: [], pods: [] });
    expect(info).not.toHaveProperty('updated');
    expect(info).not.toHaveProperty('replicaSets');
    expect(info).not.toHaveProperty('analysisRuns');
    expect(compact({ a: 0, b: false, c: '', d: [], e: null, f: 1, g: ['x'] })).toEqual({ f: 1, g: ['x'] });
  });

  it('shows the full weight once every step is done, and zero after an abort', () => {
    const done = canaryRollout({ currentStepIndex: 4, phase: 'Healthy' });
    expect(currentSetWeight(done)).toBe(100);
    expect(rolloutInfo(done, { replicaSets, pods }).actualWeight).toBe('100');
    expect(currentSetWeight(canaryRollout({ abort: true }))).toBe(0);
    expect(currentSetWeight(canaryRollout({ currentStepIndex: 3 }))).toBe(40);
  });

  it('takes the actual weight from the traffic router status when there is one', () => {
    const ro = canaryRollout({
      canary: { weights: { canary: { weight: 17 }, stable: { weight: 83 } } },
    });
    ro.spec.strategy.canary = {
      ...ro.spec.strategy.canary,
      trafficRouting: { nginx: { stableIngress: 'x' } },
    };
    expect(rolloutInfo(ro, { replicaSets, pods }).actualWeight).toBe('17');
  });

  it('reports Progressing while a new spec or an unpause is not yet observed', () => {
    expect(rolloutPhase(canaryRollout({ observedGeneration: '1' }))).toEqual({
      phase: 'Progressing',
      message: 'waiting for rollout spec update to be observed',
    });
    expect(rolloutPhase(canaryRollout({ controllerPause: true, pauseConditions: [] }))).toEqual({
      phase: 'Progressing',
      message: 'waiting for rollout to unpause',
    });
  });

  it('marks blue-green active and preview sets', () => {
    const ro = canaryRollout({ blueGreen: { activeSelector: 'aaa', previewSelector: 'bbb' } });
    ro.spec.strategy = { blueGreen: { activeService: 'a', previewService: 'p' } };
    const info = rolloutInfo(ro, { replicaSets, pods });
    expect(info.strategy).toBe('BlueGreen');
    expect(info).not.toHaveProperty('step');
    const sets = info.replicaSets as Record<string, unknown>[];
    expect(sets.map((rs) => [rs.preview, rs.active, rs.stable])).toEqual([
      [true, undefined, undefined],
      [undefined, true, true],
    ]);
  });

  it('includes owned AnalysisRuns with their counts and measurements', () => {
    const run: AnalysisRun = {
      metadata: {
        name: 'web-2-1',
        namespace: 'shop',
        uid: 'ar',
        annotations: { 'rollout.argoproj.io/revision': '2' },
        ownerReferences: owner('Rollout', 'web', 'ro-uid'),
      },
      spec: {
        metrics: [{ name: 'success-rate', successCondition: 'result[0] > 0.9', count: 3, provider: {} }],
      },
      status: {
        phase: 'Running',
        metricResults: [
          {
            name: 'success-rate',
            phase: 'Running',
            successful: 2,
            measurements: [
              { phase: 'Successful', value: '[0.97]', startedAt: 't1' },
              { phase: 'Successful', value: '[0.95]', startedAt: 't2' },
              { phase: 'Successful', metadata: { 'job-name': 'web-job' }, startedAt: 't3' },
            ],
          },
        ],
      },
    };
    const info = rolloutInfo(canaryRollout(), { replicaSets, pods, analysisRuns: [run] });
    const [ar] = info.analysisRuns as Record<string, unknown>[];
    expect(ar).toMatchObject({
      icon: '◌',
      revision: 2,
      status: 'Running',
      successful: 2,
      metrics: [{ name: 'success-rate', successCondition: 'result[0] > 0.9', count: 3 }],
      nonJobInfo: [
        { value: '[0.97]', status: 'Successful', metricName: 'success-rate', startedAt: 't1' },
        { value: '[0.95]', status: 'Successful', metricName: 'success-rate', startedAt: 't2' },
      ],
      jobs: [
        {
          objectMeta: { name: 'web-job', namespace: 'shop' },
          status: 'Successful',
          metricName: 'success-rate',
        },
      ],
    });
    expect(ar).not.toHaveProperty('failed');
    expect((ar?.specAndStatus as { status: unknown } | undefined)?.status).toBe(run.status);
  });
});

describe('Experiments of a rollout', () => {
  it('carry their ReplicaSets, pods and AnalysisRuns, as Argo nests them', () => {
    const experiment = {
      metadata: {
        name: 'web-2-exp',
        namespace: 'shop',
        uid: 'exp-uid',
        annotations: { 'rollout.argoproj.io/revision': '2' },
        ownerReferences: owner('Rollout', 'web', 'ro-uid'),
      },
      spec: { templates: [] },
      status: { phase: 'Running', message: 'waiting' },
    } as never;
    const rs: ReplicaSet = {
      ...replicaSet('ccc', 0, 1, 'nginx:1.27'),
      metadata: {
        name: 'web-2-exp-baseline',
        uid: 'rs-exp',
        annotations: { 'experiment.argoproj.io/template-name': 'baseline' },
        ownerReferences: owner('Experiment', 'web-2-exp', 'exp-uid'),
      },
    };
    const pod = {
      ...runningPod('exp-pod', 'x'),
      metadata: { name: 'exp-pod', ownerReferences: owner('ReplicaSet', 'x', 'rs-exp') },
    };
    const run = {
      metadata: { name: 'exp-run', ownerReferences: owner('Experiment', 'web-2-exp', 'exp-uid') },
      spec: { metrics: [] },
      status: { phase: 'Successful' },
    } as unknown as AnalysisRun;
    const info = rolloutInfo(canaryRollout(), {
      replicaSets: [rs],
      pods: [pod],
      experiments: [experiment],
      analysisRuns: [run],
    });
    expect(info).not.toHaveProperty('replicaSets');
    expect(info).not.toHaveProperty('analysisRuns');
    expect(info.experiments).toEqual([
      expect.objectContaining({
        icon: '◌',
        revision: 2,
        status: 'Running',
        message: 'waiting',
        replicaSets: [
          expect.objectContaining({
            template: 'baseline',
            pods: [expect.objectContaining({ status: 'Running' })],
          }),
        ],
        analysisRuns: [expect.objectContaining({ status: 'Successful', icon: '✔' })],
      }),
    ]);
  });
});

describe('pod status as kubectl and Argo print it', () => {
  const pod = (status: Pod['status'], extra: Partial<Pod> = {}): Pod => ({
    metadata: { name: 'p', ...extra.metadata },
    spec: { containers: [{ name: 'app' }], ...extra.spec },
    status,
  });
  it.each([
    [
      'running and ready',
      pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }] }),
      'Running',
      '1/1',
    ],
    [
      'crash looping',
      pod({
        phase: 'Running',
        containerStatuses: [
          { name: 'app', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      }),
      'CrashLoopBackOff',
      '0/1',
    ],
    ['pending', pod({ phase: 'Pending' }), 'Pending', '0/1'],
    [
      'in its init container',
      pod(
        { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { running: {} } }] },
        { spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'init' }] } },
      ),
      'Init:0/1',
      '0/1',
    ],
    [
      'terminating',
      pod({ phase: 'Running' }, { metadata: { name: 'p', deletionTimestamp: '2026-12-01T00:00:00Z' } }),
      'Terminating',
      '0/1',
    ],
    [
      'exited without reason',
      pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 3 } } }] }),
      'ExitCode:3',
      '0/1',
    ],
  ])('%s', (_, p, status, ready) => {
    expect(podStatus(p)).toMatchObject({ status, ready });
  });
});

describe('ReplicaSet health', () => {
  it.each([
    ['all available', { spec: { replicas: 2 }, status: { availableReplicas: 2 } }, 'Healthy'],
    ['scaling up', { spec: { replicas: 2 }, status: { availableReplicas: 1 } }, 'Progressing'],
    ['scaled down', { spec: { replicas: 0 }, status: {} }, 'ScaledDown'],
    [
      'replica failure',
      { spec: { replicas: 2 }, status: { conditions: [{ type: 'ReplicaFailure', status: 'True' }] } },
      'ReplicaFailure',
    ],
    [
      'spec not observed',
      { metadata: { generation: 3 }, spec: { replicas: 2 }, status: { observedGeneration: 2 } },
      'Progressing',
    ],
  ])('%s', (_, rs, health) => {
    expect(replicaSetHealth(rs as ReplicaSet)).toBe(health);
  });
});
