// Table-style tests of the canary `experiment` step in the Rollout plan: the Experiment the
// Rollout creates (name, owner, templates from the canary and stable ReplicaSets), what its
// phase does to the step, and which experiments are terminated or deleted.
import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../../src/api/experiment.js';
import type { CanaryStep, RolloutStatus } from '../../../src/api/rollout.js';
import { type ObservedRolloutObject, planRollout, type RolloutAction } from '../../../src/rollout/plan.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';
import {
  canaryUpdateAt,
  hashSelector,
  observedRollout,
  ownedReplicaSet,
  templateFor,
  UID,
  V1,
  V2,
} from '../rollout/fixtures.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const experimentStep: NonNullable<CanaryStep['experiment']> = {
  duration: '1m',
  templates: [
    { name: 'canary', specRef: 'canary', replicas: 1, weight: 10 },
    { name: 'baseline', specRef: 'stable', metadata: { labels: { role: 'baseline' } } },
  ],
  analyses: [
    {
      name: 'cmp',
      templateName: 'compare',
      requiredForCompletion: true,
      args: [{ name: 'stable', valueFrom: { podTemplateHashValue: 'Stable' } }],
    },
  ],
};
const steps: CanaryStep[] = [{ setWeight: 20 }, { experiment: experimentStep }, { setWeight: 60 }];
const EX = `web-${V2}-2-1`;

const rollout = (status: RolloutStatus, extra: Record<string, unknown> = {}): ObservedRolloutObject =>
  observedRollout({ replicas: 5, labels: { team: 'a' }, strategy: { canary: { steps, ...extra } } }, status);

const rs = (hash: string, image: string, revision: number, replicas: number): ReplicaSet =>
  ownedReplicaSet(hash, revision, {
    replicas,
    spec: {
      selector: hashSelector(hash),
      template: {
        ...templateFor(image),
        metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': hash } },
      },
    },
  });

const sets = () => [rs(V1, 'web:1', 1, 4), rs(V2, 'web:2', 2, 1)];

const atStep = (index: number, extra: RolloutStatus = {}) => canaryUpdateAt(steps, index, extra);

function experiment(name: string, phase: string | undefined, extra: Partial<Experiment> = {}): Experiment {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Experiment',
    metadata: {
      name,
      namespace: 'shop',
      creationTimestamp: '2026-11-21T11:00:00Z',
      labels: { 'rollouts-pod-template-hash': V2 },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: UID, controller: true },
      ],
    },
    spec: { templates: [] },
    ...(phase
      ? { status: { phase: phase as never, message: phase === 'Failed' ? 'metric failed' : undefined } }
      : {}),
    ...extra,
  } as Experiment;
}

function plan(status: RolloutStatus, experiments: Experiment[], extra: Record<string, unknown> = {}) {
  return planRollout({
    rollout: rollout(status, extra),
    replicaSets: sets(),
    services: new Map(),
    experiments,
    now: NOW,
  });
}

const ofKind = <K extends RolloutAction['kind']>(actions: RolloutAction[], kind: K) =>
  actions.filter((a): a is Extract<RolloutAction, { kind: K }> => a.kind === kind);

describe('canary experiment step', () => {
  it('creates the Experiment Argo would: name, owner, labels, templates and args', () => {
    const result = plan(atStep(1), []);
    const [create] = ofKind(result.actions, 'createExperiment');
    const ex = create?.experiment;
    expect(ex?.metadata).toMatchObject({
      name: EX,
      labels: { team: 'a', 'rollouts-pod-template-hash': V2 },
      annotations: { 'rollout.argoproj.io/revision': '2' },
      ownerReferences: [
        { kind: 'Rollout', name: 'web', uid: UID, controller: true, blockOwnerDeletion: true },
      ],
    });
    expect(ex?.spec.duration).toBe('1m');
    expect(ex?.spec.templates.map((t) => [t.name, t.replicas, t.service])).toEqual([
      ['canary', 1, {}],
      ['baseline', undefined, undefined],
    ]);
    const baseline = ex?.spec.templates[1];
    expect(baseline?.template.metadata?.labels).toEqual({
      app: 'web',
      'rollouts-pod-template-hash': V1,
      role: 'baseline',
    });
    expect(baseline?.selector.matchLabels).toEqual({
      app: 'web',
      'rollouts-pod-template-hash': V1,
      role: 'baseline',
    });
    expect(ex?.spec.analyses).toEqual([
      {
        name: 'cmp',
        templateName: 'compare',
        requiredForCompletion: true,
        args: [{ name: 'stable', value: V1 }],
      },
    ]);
    expect(result.status.canary?.currentExperiment).toBe(EX);
    expect(result.status.currentStepIndex).toBe(1);
    expect(result.events.map((e) => e.reason)).toContain('ExperimentCreated');
  });

  it.each([
    { phase: 'Running', index: 1, current: EX, abort: undefined, pause: [] as string[] },
    { phase: 'Successful', index: 2, current: undefined, abort: undefined, pause: [] },
    { phase: 'Failed', index: 0, current: undefined, abort: true, pause: [] },
    {
      phase: 'Inconclusive',
      index: 1,
      current: undefined,
      abort: undefined,
      pause: ['InconclusiveExperiment'],
    },
  ])('a $phase experiment: step $index', ({ phase, index, current, abort, pause }) => {
    const result = plan(atStep(1, { canary: { currentExperiment: EX } }), [experiment(EX, phase)]);
    expect(ofKind(result.actions, 'createExperiment')).toEqual([]);
    expect(result.status.currentStepIndex).toBe(index);
    expect(result.status.canary?.currentExperiment).toBe(current);
    expect(result.status.abort).toBe(abort);
    expect((result.status.pauseConditions ?? []).map((p) => p.reason)).toEqual(pause);
    if (abort) {
      expect(result.events.find((e) => e.reason === 'RolloutAborted')?.message).toBe(
        'Rollout aborted update to revision 2: Experiment analysis phase is error/failed: metric failed',
      );
    }
  });

  it('our running experiment, as the API server wrote it back, is reused while the status lags', () => {
    const [create] = ofKind(plan(atStep(1), []).actions, 'createExperiment');
    const stored = structuredClone(create!.experiment);
    stored.spec.analysisRunMetadata = {};
    stored.spec.templates[0]!.service = {};
    const result = plan(atStep(1), [stored]);
    expect(ofKind(result.actions, 'createExperiment')).toEqual([]);
    expect(result.status.canary?.currentExperiment).toBe(EX);
  });

  it('a finished experiment of that name gets a -1 name for the new one', () => {
    const result = plan(atStep(1), [experiment(EX, 'Successful')]);
    expect(ofKind(result.actions, 'createExperiment')[0]?.experiment.metadata?.name).toBe(`${EX}-1`);
  });

  it('past the step the running experiment is terminated', () => {
    const result = plan(atStep(2, { canary: { currentExperiment: EX } }), [experiment(EX, 'Running')]);
    expect(ofKind(result.actions, 'terminateExperiment')).toEqual([
      { kind: 'terminateExperiment', name: EX },
    ]);
    expect(result.status.canary?.currentExperiment).toBeUndefined();
  });

  it('an abort terminates the current experiment', () => {
    const result = plan(atStep(1, { abort: true, canary: { currentExperiment: EX } }), [
      experiment(EX, 'Running'),
    ]);
    expect(ofKind(result.actions, 'terminateExperiment')).toEqual([
      { kind: 'terminateExperiment', name: EX },
    ]);
  });

  it('experiments of templates no ReplicaSet runs any more, and old ones beyond the limits, are deleted', () => {
    const gone = experiment('web-old-1-1', 'Successful', {});
    gone.metadata!.labels = { 'rollouts-pod-template-hash': 'gone' };
    const old = [1, 2, 3].map((n) => {
      const ex = experiment(`web-x-${n}`, 'Successful');
      ex.metadata!.creationTimestamp = `2026-11-21T10:0${n}:00Z`;
      return ex;
    });
    const ro = rollout(atStep(2));
    ro.spec.analysis = { successfulRunHistoryLimit: 2 };
    const result = planRollout({
      rollout: ro,
      replicaSets: sets(),
      services: new Map(),
      experiments: [gone, ...old],
      now: NOW,
    });
    expect(ofKind(result.actions, 'deleteExperiment').map((a) => a.name)).toEqual(['web-old-1-1', 'web-x-1']);
  });

  it('with traffic routing a running experiment gives its weighted templates their weight', () => {
    const running = experiment(EX, 'Running', {});
    running.status = {
      phase: 'Running',
      templateStatuses: [
        {
          name: 'canary',
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
          serviceName: 'exp-svc',
          podTemplateHash: 'abc',
        },
        { name: 'baseline', replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
      ],
    };
    const routed = {
      canaryService: 'web-canary',
      stableService: 'web-stable',
      trafficRouting: { smi: { trafficSplitName: 'web' } },
    };
    const services = new Map(
      ['web-canary', 'web-stable'].map((name) => [
        name,
        { metadata: { name, namespace: 'shop' }, spec: { selector: { app: 'web' } } },
      ]),
    );
    const result = planRollout({
      rollout: rollout(atStep(1, { canary: { currentExperiment: EX } }), routed),
      replicaSets: sets(),
      services,
      experiments: [running],
      now: NOW,
    });
    const write = result.actions.find((a) => a.kind === 'trafficWrite');
    expect(JSON.stringify(write)).toContain('exp-svc');
    expect(result.status.canary?.weights?.additional).toEqual([
      expect.objectContaining({ serviceName: 'exp-svc', podTemplateHash: 'abc', weight: 10 }),
    ]);
  });
});
