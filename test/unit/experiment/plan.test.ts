// Table-style tests of the Experiment plan: an Experiment, its ReplicaSets, Services and
// AnalysisRuns as plain objects and a fixed clock in; the actions, status and Events out, as
// Argo Rollouts' experiments/experiment.go produces them.
import { describe, expect, it } from 'vitest';
import type { AnalysisRun, AnalysisTemplate } from '../../../src/api/analysis.js';
import {
  type ExperimentAction,
  type ExperimentObject,
  invalidSpecMessage,
  type ObservedExperiment,
  planExperiment,
  resolveExperimentArg,
  type TemplateService,
} from '../../../src/experiment/plan.js';
import { podTemplateHash } from '../../../src/rollout/pod-template-hash.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const at = (secondsFromNow: number) =>
  new Date(NOW.getTime() + secondsFromNow * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const UID = 'ex-uid';
const podTemplate = (image: string) => ({
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }],
  },
});
const BASE_HASH = podTemplateHash(podTemplate('web:1'));
const CANARY_HASH = podTemplateHash(podTemplate('web:2'));

type Spec = ExperimentObject['spec'];
type Status = NonNullable<ExperimentObject['status']>;

function experiment(
  status?: Status,
  spec: Partial<Spec> = {},
  labels?: Record<string, string>,
): ExperimentObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Experiment',
    metadata: { name: 'exp', namespace: 'shop', uid: UID, ...(labels ? { labels } : {}) },
    spec: {
      templates: [
        {
          name: 'baseline',
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: podTemplate('web:1'),
        },
        {
          name: 'canary',
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: podTemplate('web:2'),
        },
      ],
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function rs(
  template: 'baseline' | 'canary',
  spec: number,
  available = spec,
  annotations: Record<string, string> = {},
): ReplicaSet {
  const hash = template === 'baseline' ? BASE_HASH : CANARY_HASH;
  return {
    metadata: {
      name: `exp-${template}`,
      namespace: 'shop',
      labels: { app: 'web', 'rollouts-pod-template-hash': hash },
      annotations: {
        'experiment.argoproj.io/name': 'exp',
        'experiment.argoproj.io/template-name': template,
        ...annotations,
      },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', name: 'exp', uid: UID, controller: true },
      ],
    },
    spec: {
      replicas: spec,
      template: {
        ...podTemplate(template === 'baseline' ? 'web:1' : 'web:2'),
        metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': hash } },
      },
    },
    status: { replicas: spec, readyReplicas: available, availableReplicas: available },
  };
}

function ts(name: string, status: string, replicas: number, extra: Record<string, unknown> = {}) {
  return {
    name,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    status,
    lastTransitionTime: at(-60),
    ...extra,
  };
}

/** Pending, both templates Progressing with no pods yet. */
const justCreated = (): Status => ({
  phase: 'Pending',
  templateStatuses: [ts('baseline', 'Progressing', 0), ts('canary', 'Progressing', 0)],
});

const template: AnalysisTemplate = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AnalysisTemplate',
  metadata: { name: 'compare', namespace: 'shop' },
  spec: {
    args: [{ name: 'canary-hash' }, { name: 'baseline-hash' }],
    metrics: [{ name: 'ok', provider: { job: { spec: { template: { spec: {} } } } } } as never],
  },
};

function observe(
  ex: ExperimentObject,
  replicaSets: ReplicaSet[] = [],
  extra: Partial<ObservedExperiment> = {},
): ObservedExperiment {
  return {
    experiment: ex,
    replicaSets: new Map(
      replicaSets.map((r) => [r.metadata?.annotations?.['experiment.argoproj.io/template-name'] ?? '', r]),
    ),
    services: new Map(),
    analysisRuns: new Map(),
    templates: { analysisTemplates: [template], clusterAnalysisTemplates: [] },
    now: NOW,
    ...extra,
  };
}

const kinds = (actions: ExperimentAction[]) => actions.map((a) => a.kind);
const reasons = (plan: ReturnType<typeof planExperiment>) => plan.events.map((e) => e.reason);
const running = (availableAt = at(-60)): Status => ({
  phase: 'Running',
  availableAt,
  templateStatuses: [ts('baseline', 'Running', 1), ts('canary', 'Running', 2)],
});

describe('planExperiment: templates', () => {
  it('a new Experiment creates each ReplicaSet at 0, named, labelled and selected as Argo does', () => {
    const plan = planExperiment(observe(experiment()));
    expect(kinds(plan.actions)).toEqual(['createReplicaSet', 'createReplicaSet']);
    const created = plan.actions[1] as Extract<ExperimentAction, { kind: 'createReplicaSet' }>;
    expect(created.replicaSet.metadata).toMatchObject({
      name: 'exp-canary',
      labels: { app: 'web', 'rollouts-pod-template-hash': CANARY_HASH },
      annotations: { 'experiment.argoproj.io/name': 'exp', 'experiment.argoproj.io/template-name': 'canary' },
      ownerReferences: [
        { kind: 'Experiment', name: 'exp', uid: UID, controller: true, blockOwnerDeletion: true },
      ],
    });
    expect(created.replicaSet.spec?.replicas).toBe(0);
    expect(created.replicaSet.spec?.selector).toEqual({
      matchLabels: { app: 'web', 'rollouts-pod-template-hash': CANARY_HASH },
    });
    expect(plan.status.phase).toBe('Pending');
    expect(plan.status.templateStatuses?.map((t) => [t.name, t.status])).toEqual([
      ['baseline', 'Progressing'],
      ['canary', 'Progressing'],
    ]);
    expect(plan.events.map((e) => e.message)).toContain(
      "Template 'canary' transitioned from  -> Progressing",
    );
    expect(plan.events.at(-1)).toMatchObject({
      reason: 'ExperimentPending',
      message: 'Experiment transitioned from  -> Pending',
    });
  });

  it.each([
    {
      name: 'Pending with ReplicaSets at 0: scales each to its replicas',
      status: justCreated(),
      sets: [rs('baseline', 0), rs('canary', 0)],
      actions: ['scaleReplicaSet', 'scaleReplicaSet'],
      phase: 'Pending',
      templates: ['Progressing', 'Progressing'],
    },
    {
      name: 'every template available: Running, availableAt set',
      status: justCreated(),
      sets: [rs('baseline', 1), rs('canary', 2)],
      actions: [],
      phase: 'Running',
      templates: ['Running', 'Running'],
    },
    {
      name: 'one template still progressing: Pending',
      status: justCreated(),
      sets: [rs('baseline', 1), rs('canary', 2, 1)],
      actions: [],
      phase: 'Pending',
      templates: ['Running', 'Progressing'],
    },
  ])('$name', ({ status, sets, actions, phase, templates }) => {
    const plan = planExperiment(observe(experiment(status), sets));
    expect(kinds(plan.actions)).toEqual(actions);
    expect(plan.status.phase).toBe(phase);
    expect(plan.status.templateStatuses?.map((t) => t.status)).toEqual(templates);
  });

  it('Running records availableAt and the running condition', () => {
    const status = justCreated();
    const plan = planExperiment(
      observe(experiment(status, { duration: '1m' }), [rs('baseline', 1), rs('canary', 2)]),
    );
    expect(plan.status.availableAt).toBe(at(0));
    expect(plan.status.conditions).toEqual([
      expect.objectContaining({
        type: 'Progressing',
        status: 'True',
        reason: 'ReplicaSetUpdated',
        message: 'Experiment "exp" is progressing.',
      }),
    ]);
    expect(reasons(plan)).toEqual(['TemplateRunning', 'TemplateRunning', 'ExperimentRunning']);
  });

  it('a running experiment requeues when its duration ends', () => {
    const plan = planExperiment(
      observe(experiment(running(at(-20)), { duration: '1m' }), [rs('baseline', 1), rs('canary', 2)]),
    );
    expect(plan.status.phase).toBe('Running');
    expect(plan.requeueAfterMs).toBe(40_000);
    expect(plan.status.conditions?.[0]).toMatchObject({
      reason: 'NewReplicaSetAvailable',
      message: 'Experiment "exp" is running.',
    });
  });

  it('duration passed: templates and the Experiment are Successful', () => {
    const plan = planExperiment(
      observe(experiment(running(at(-61)), { duration: '1m' }), [rs('baseline', 1), rs('canary', 2)]),
    );
    expect(plan.status.templateStatuses?.map((t) => t.status)).toEqual(['Successful', 'Successful']);
    expect(plan.status.phase).toBe('Successful');
    expect(plan.status.conditions?.[0]).toMatchObject({
      type: 'Progressing',
      status: 'False',
      reason: 'ExperimentCompleted',
      message: 'Experiment "exp" has successfully ran and completed.',
    });
    expect(plan.actions).toEqual([]);
  });

  it('terminate: running templates end Successful, and so does the Experiment', () => {
    const plan = planExperiment(
      observe(experiment(running(), { terminate: true }), [rs('baseline', 1), rs('canary', 2)]),
    );
    expect(plan.status.phase).toBe('Successful');
    // Scale-down waits scaleDownDelaySeconds (30 by default): the deadline is set first.
    expect(plan.actions.filter((a) => a.kind === 'annotateReplicaSet')).toEqual([
      { kind: 'annotateReplicaSet', name: 'exp-baseline', annotations: { 'scale-down-deadline': at(30) } },
      { kind: 'annotateReplicaSet', name: 'exp-canary', annotations: { 'scale-down-deadline': at(30) } },
    ]);
    expect(kinds(plan.actions)).not.toContain('scaleReplicaSet');
    expect(plan.requeueAfterMs).toBe(30_000);
  });

  it.each([
    { name: 'before the scale-down deadline: waits', deadline: at(10), scaled: false, requeue: 10_000 },
    { name: 'past the scale-down deadline: scales to 0', deadline: at(-1), scaled: true, requeue: undefined },
  ])('a finished experiment $name', ({ deadline, scaled, requeue }) => {
    const finished: Status = {
      ...running(),
      phase: 'Successful',
      templateStatuses: [ts('baseline', 'Successful', 1), ts('canary', 'Successful', 2)],
    };
    const sets = [
      rs('baseline', 1, 1, { 'scale-down-deadline': deadline }),
      rs('canary', 2, 2, { 'scale-down-deadline': deadline }),
    ];
    const plan = planExperiment(observe(experiment(finished), sets));
    expect(plan.actions.some((a) => a.kind === 'scaleReplicaSet' && a.to === 0)).toBe(scaled);
    expect(plan.requeueAfterMs).toBe(requeue);
    expect(plan.status.phase).toBe('Successful');
  });

  it('scaleDownDelaySeconds 0 scales down at once', () => {
    const plan = planExperiment(
      observe(experiment(running(), { terminate: true, scaleDownDelaySeconds: 0 }), [
        rs('baseline', 1),
        rs('canary', 2),
      ]),
    );
    expect(plan.actions).toContainEqual({
      kind: 'scaleReplicaSet',
      template: 'canary',
      name: 'exp-canary',
      from: 2,
      to: 0,
    });
  });

  it('ReplicaSet writes carry the generation of the set they were planned from', () => {
    const at7 = rs('baseline', 1, 1, { 'scale-down-deadline': at(-5) });
    const at9 = rs('canary', 2);
    at7.metadata = { ...at7.metadata, generation: 7 };
    at9.metadata = { ...at9.metadata, generation: 9 };
    const plan = planExperiment(
      observe(experiment(running(), { terminate: true, scaleDownDelaySeconds: 0 }), [at7, at9]),
    );
    expect(
      plan.actions.flatMap((a) =>
        a.kind === 'annotateReplicaSet' || a.kind === 'scaleReplicaSet'
          ? [[a.kind, a.name, a.planned?.generation]]
          : [],
      ),
    ).toEqual([
      ['annotateReplicaSet', 'exp-baseline', 7],
      ['scaleReplicaSet', 'exp-baseline', 7],
      ['scaleReplicaSet', 'exp-canary', 9],
    ]);
  });

  it('progressDeadlineSeconds passed without progress: the template and the Experiment fail', () => {
    const status: Status = {
      phase: 'Pending',
      templateStatuses: [
        ts('baseline', 'Running', 1),
        ts('canary', 'Progressing', 2, {
          readyReplicas: 1,
          availableReplicas: 1,
          lastTransitionTime: at(-31),
        }),
      ],
    };
    const plan = planExperiment(
      observe(experiment(status, { progressDeadlineSeconds: 30 }), [rs('baseline', 1), rs('canary', 2, 1)]),
    );
    const canary = plan.status.templateStatuses?.[1];
    expect(canary).toMatchObject({
      status: 'Failed',
      message: "Template 'canary' exceeded its progressDeadlineSeconds (30)",
    });
    expect(plan.status).toMatchObject({
      phase: 'Failed',
      message: "Template 'canary' exceeded its progressDeadlineSeconds (30)",
    });
    expect(plan.events.find((e) => e.reason === 'TemplateFailed')?.type).toBe('Warning');
    expect(plan.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'ExperimentFailed' });
  });
});

describe('planExperiment: services', () => {
  it('a template with a service gets one named after its ReplicaSet, selecting its labels', () => {
    const ex = experiment(running(), {});
    ex.spec.templates[1]!.service = {};
    const plan = planExperiment(observe(ex, [rs('baseline', 1), rs('canary', 2)]));
    const create = plan.actions.find((a) => a.kind === 'createService') as Extract<
      ExperimentAction,
      { kind: 'createService' }
    >;
    expect(create.service.metadata).toMatchObject({
      name: 'exp-canary',
      annotations: { 'experiment.argoproj.io/name': 'exp', 'experiment.argoproj.io/template-name': 'canary' },
    });
    expect(create.service.spec).toEqual({
      selector: { app: 'web', 'rollouts-pod-template-hash': CANARY_HASH },
      ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080 }],
    });
    expect(plan.status.templateStatuses?.[1]).toMatchObject({
      serviceName: 'exp-canary',
      podTemplateHash: CANARY_HASH,
    });
  });

  it('a named service keeps its name; once scaled down it is deleted', () => {
    const ex = experiment(
      {
        ...running(),
        phase: 'Successful',
        templateStatuses: [
          ts('baseline', 'Successful', 1),
          ts('canary', 'Successful', 0, { serviceName: 'cmp', podTemplateHash: CANARY_HASH }),
        ],
      },
      {},
    );
    ex.spec.templates[1]!.service = { name: 'cmp' };
    const svc: TemplateService = { metadata: { name: 'cmp', namespace: 'shop' } };
    const plan = planExperiment(
      observe(ex, [rs('baseline', 0, 0), rs('canary', 0, 0)], { services: new Map([['canary', svc]]) }),
    );
    expect(plan.actions).toContainEqual({ kind: 'deleteService', template: 'canary', name: 'cmp' });
    expect(plan.status.templateStatuses?.[1]?.serviceName).toBeUndefined();
  });
});

describe('planExperiment: analyses', () => {
  const analyses = (required = false) => ({
    analyses: [
      {
        name: 'cmp',
        templateName: 'compare',
        requiredForCompletion: required,
        args: [
          { name: 'canary-hash', value: '{{templates.canary.podTemplateHash}}' },
          { name: 'baseline-hash', value: '{{templates.baseline.podTemplateHash}}' },
        ],
      },
    ],
    dryRun: [{ metricName: 'ok' }],
  });
  const run = (phase: string, message?: string): AnalysisRun =>
    ({
      metadata: { name: 'exp-cmp', namespace: 'shop' },
      spec: { metrics: [] },
      status: { phase, ...(message ? { message } : {}) },
    }) as AnalysisRun;

  it('before the templates are available no run starts; a missing template is an Error', () => {
    const plan = planExperiment(
      observe(experiment({ phase: 'Pending' }, { analyses: [{ name: 'cmp', templateName: 'nope' }] }), [
        rs('baseline', 1, 0),
        rs('canary', 2, 0),
      ]),
    );
    expect(kinds(plan.actions)).not.toContain('createAnalysisRun');
    expect(plan.status.analysisRuns).toEqual([
      {
        name: 'cmp',
        analysisRun: '',
        phase: 'Error',
        message: `AnalysisTemplate verification failed for analysis 'cmp': analysistemplate.argoproj.io "nope" not found`,
      },
    ]);
    expect(plan.status.phase).toBe('Error');
  });

  it('once available, creates the run with args from the template pod hashes', () => {
    const plan = planExperiment(
      observe(
        experiment(running(), analyses(), { 'argo-rollouts.argoproj.io/controller-instance-id': 'a' }),
        [rs('baseline', 1), rs('canary', 2)],
      ),
    );
    const create = plan.actions.find((a) => a.kind === 'createAnalysisRun') as Extract<
      ExperimentAction,
      { kind: 'createAnalysisRun' }
    >;
    expect(create.run.metadata).toMatchObject({
      name: 'exp-cmp',
      labels: { 'argo-rollouts.argoproj.io/controller-instance-id': 'a' },
      ownerReferences: [{ kind: 'Experiment', name: 'exp', uid: UID, controller: true }],
    });
    expect(create.run.spec.args).toEqual([
      { name: 'canary-hash', value: CANARY_HASH },
      { name: 'baseline-hash', value: BASE_HASH },
    ]);
    expect(create.run.spec.dryRun).toEqual([{ metricName: 'ok' }]);
    expect(plan.status.analysisRuns).toEqual([{ name: 'cmp', analysisRun: 'exp-cmp', phase: 'Pending' }]);
    expect(plan.status.phase).toBe('Running');
  });

  it.each([
    {
      name: 'a Failed run fails the Experiment',
      phase: 'Failed',
      required: false,
      expected: 'Failed',
      message: 'metric failed',
    },
    {
      name: 'an Inconclusive run ends it Inconclusive',
      phase: 'Inconclusive',
      required: false,
      expected: 'Inconclusive',
      message: 'x',
    },
    {
      name: 'a Running run keeps it Running',
      phase: 'Running',
      required: false,
      expected: 'Running',
      message: undefined,
    },
    {
      name: 'a Successful run not required: still Running',
      phase: 'Successful',
      required: false,
      expected: 'Running',
      message: undefined,
    },
    {
      name: 'a Successful required run ends it',
      phase: 'Successful',
      required: true,
      expected: 'Successful',
      message: 'Required AnalysisRuns completed',
    },
  ])('$name', ({ phase, required, expected, message }) => {
    const status: Status = {
      ...running(),
      analysisRuns: [{ name: 'cmp', analysisRun: 'exp-cmp', phase: 'Running' }],
    };
    const plan = planExperiment(
      observe(experiment(status, analyses(required)), [rs('baseline', 1), rs('canary', 2)], {
        analysisRuns: new Map([['exp-cmp', run(phase, message)]]),
      }),
    );
    expect(plan.status.phase).toBe(expected);
    expect(plan.status.message).toBe(message);
    if (phase !== 'Running') expect(reasons(plan)).toContain(`AnalysisRun${phase}`);
  });

  it('templates done with a required run still running: the Experiment waits for it', () => {
    const status: Status = {
      ...running(at(-61)),
      analysisRuns: [{ name: 'cmp', analysisRun: 'exp-cmp', phase: 'Running' }],
    };
    const plan = planExperiment(
      observe(
        experiment(status, { ...analyses(true), duration: '1m' }),
        [rs('baseline', 1), rs('canary', 2)],
        {
          analysisRuns: new Map([['exp-cmp', run('Running')]]),
        },
      ),
    );
    expect(plan.status.templateStatuses?.map((t) => t.status)).toEqual(['Successful', 'Successful']);
    expect(plan.status.phase).toBe('Running');
  });

  it('terminating stops a running run and forwards phase changes to the owning Rollout', () => {
    const status: Status = {
      ...running(),
      analysisRuns: [{ name: 'cmp', analysisRun: 'exp-cmp', phase: 'Running' }],
    };
    const ex = experiment(status, { ...analyses(), terminate: true });
    ex.metadata.ownerReferences = [
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: 'ro', controller: true },
    ];
    const plan = planExperiment(
      observe(ex, [rs('baseline', 1), rs('canary', 2)], {
        analysisRuns: new Map([['exp-cmp', run('Running')]]),
      }),
    );
    expect(plan.actions).toContainEqual({ kind: 'terminateAnalysisRun', analysis: 'cmp', name: 'exp-cmp' });
    expect(plan.events).toContainEqual(
      expect.objectContaining({ reason: 'AnalysisRunTerminating', message: 'Terminating cmp (exp-cmp)' }),
    );
  });
});

describe('spec checks and args', () => {
  it.each([
    {
      name: 'an empty selector',
      change: (s: Spec) => {
        s.templates[0]!.selector = {};
      },
      message: 'This experiment is selecting all pods at index 0. A non-empty selector is required.',
    },
    {
      name: 'a repeated template name',
      change: (s: Spec) => {
        s.templates[1]!.name = 'baseline';
      },
      message: "Experiment exp has repeated template name 'baseline' in templates",
    },
    {
      name: 'minReadySeconds over the deadline',
      change: (s: Spec) => {
        s.templates[1]!.minReadySeconds = 700;
      },
      message: 'MinReadySeconds cannot be longer than ProgressDeadlineSeconds. Check template index 1',
    },
    { name: 'a valid spec', change: () => {}, message: undefined },
  ])('$name', ({ change, message }) => {
    const ex = experiment();
    change(ex.spec);
    expect(invalidSpecMessage(ex)).toBe(message);
  });

  it('an unknown placeholder fails as Argo does', () => {
    expect(() =>
      resolveExperimentArg('{{templates.other.podTemplateHash}}', experiment(), new Map()),
    ).toThrow('failed to resolve {{templates.other.podTemplateHash}}');
    expect(resolveExperimentArg('{{ experiment.availableAt }}', experiment(running(at(-5))), new Map())).toBe(
      at(-5),
    );
  });
});

describe('planExperiment: requeue', () => {
  it('exactly at the end of its duration the experiment still looks again', () => {
    const status: Status = {
      phase: 'Running',
      availableAt: '2026-11-21T11:59:00Z',
      templateStatuses: [
        {
          name: 'baseline',
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
          status: 'Running',
        },
        {
          name: 'canary',
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
          status: 'Running',
        },
      ],
    };
    const plan = planExperiment(
      observe(experiment(status, { duration: '1m' }), [rs('baseline', 1), rs('canary', 2)]),
    );
    expect(plan.status.phase).toBe('Running');
    expect(plan.requeueAfterMs).toBeGreaterThan(0);
  });
});
