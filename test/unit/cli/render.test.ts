// Golden tests: `get rollout`, `get experiment` and `list` output from fixture objects, in
// the layout of Argo's plugin (its cmd/get and cmd/list tests show the same scenarios).
import { describe, expect, it } from 'vitest';
import {
  type AnalysisRunObject,
  type ExperimentObject,
  experimentInfo,
  type PodObject,
  podInfo,
  type Related,
  type ReplicaSetObject,
  type RolloutObject,
  rolloutInfo,
} from '../../../src/cli/info.js';
import {
  renderExperiment,
  renderExperimentList,
  renderRollout,
  renderRolloutList,
  statusLine,
} from '../../../src/cli/render.js';
import { itMaps } from '../support/each.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const WEEK_AGO = '2026-11-14T12:00:00Z';
const NS = 'jesse-test';

const strip = (text: string) =>
  text
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');

/** Replica counts of a ReplicaSet: desired, current (default: desired) and available (default: current). */
const replicas = (spec: number, status = spec, available = status) => ({ spec, status, available });

function rs(
  name: string,
  owner: string,
  revision: number,
  image: string,
  replicas: { spec: number; status: number; available: number },
  extra: Record<string, string> = {},
): ReplicaSetObject {
  const hash = name.slice(name.lastIndexOf('-') + 1);
  return {
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      generation: 1,
      creationTimestamp: WEEK_AGO,
      labels: { 'rollouts-pod-template-hash': hash },
      annotations: { 'rollout.argoproj.io/revision': String(revision), ...extra },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'x', uid: owner }],
    },
    spec: { replicas: replicas.spec, template: { spec: { containers: [{ name: 'main', image }] } } },
    status: { replicas: replicas.status, availableReplicas: replicas.available, observedGeneration: 1 },
  };
}

function pod(name: string, owner: string, state: 'running' | 'pull' | 'crash'): PodObject {
  const container =
    state === 'running'
      ? { name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: WEEK_AGO } } }
      : state === 'pull'
        ? { name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }
        : { name: 'main', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } };
  return {
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      creationTimestamp: WEEK_AGO,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: `uid-${owner}` }],
    },
    spec: { containers: [{ name: 'main' }] },
    status: { phase: state === 'running' ? 'Running' : 'Pending', containerStatuses: [container] },
  };
}

function canaryScenario(): { rollout: RolloutObject; related: Related } {
  const uid = 'uid-canary-demo';
  const rollout: RolloutObject = {
    metadata: { name: 'canary-demo', namespace: NS, uid, generation: 3, creationTimestamp: WEEK_AGO },
    spec: {
      replicas: 5,
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, {}, { setWeight: 40 }, {}, { setWeight: 60 }, {}, { setWeight: 80 }, {}],
        },
      },
    },
    status: {
      phase: 'Degraded',
      message: 'ProgressDeadlineExceeded: ReplicaSet "canary-demo-65fb5ffc84" has timed out progressing.',
      observedGeneration: '3',
      currentStepIndex: 0,
      stableRS: '877894d5b',
      currentPodHash: '65fb5ffc84',
      replicas: 6,
      updatedReplicas: 1,
      readyReplicas: 5,
      availableReplicas: 5,
    },
  };
  const stablePods = ['6jfpt', '7jmqw', 'j8g2b', 'jw5qm', 'kh7x4'].map((s) =>
    pod(`canary-demo-877894d5b-${s}`, 'canary-demo-877894d5b', 'running'),
  );
  return {
    rollout,
    related: {
      replicaSets: [
        rs('canary-demo-877894d5b', uid, 30, 'argoproj/rollouts-demo:green', replicas(5)),
        rs('canary-demo-65fb5ffc84', uid, 31, 'argoproj/rollouts-demo:does-not-exist', replicas(1, 1, 0)),
        rs('canary-demo-859c99b45c', uid, 29, 'argoproj/rollouts-demo:blue', replicas(0)),
      ],
      pods: [...stablePods.reverse(), pod('canary-demo-65fb5ffc84-9wf5r', 'canary-demo-65fb5ffc84', 'pull')],
      analysisRuns: [],
      experiments: [],
    },
  };
}

describe('get rollout', () => {
  it('draws a degraded canary as Argo does (revisions newest first, pod icons, tags)', () => {
    const { rollout, related } = canaryScenario();
    const text = renderRollout(rolloutInfo(rollout, related), { noColor: true, now: NOW });
    expect(strip(text)).toBe(
      strip(`Name:            canary-demo
Namespace:       jesse-test
Status:          ✖ Degraded
Message:         ProgressDeadlineExceeded: ReplicaSet "canary-demo-65fb5ffc84" has timed out progressing.
Strategy:        Canary
  Step:          0/8
  SetWeight:     20
  ActualWeight:  0
Images:          argoproj/rollouts-demo:does-not-exist (canary)
                 argoproj/rollouts-demo:green (stable)
Replicas:
  Desired:       5
  Current:       6
  Updated:       1
  Ready:         5
  Available:     5

NAME                                     KIND        STATUS              AGE  INFO
⟳ canary-demo                            Rollout     ✖ Degraded          7d
├──# revision:31
│  └──⧉ canary-demo-65fb5ffc84           ReplicaSet  ◌ Progressing       7d   canary
│     └──□ canary-demo-65fb5ffc84-9wf5r  Pod         ⚠ ImagePullBackOff  7d   ready:0/1
├──# revision:30
│  └──⧉ canary-demo-877894d5b            ReplicaSet  ✔ Healthy           7d   stable
│     ├──□ canary-demo-877894d5b-6jfpt   Pod         ✔ Running           7d   ready:1/1
│     ├──□ canary-demo-877894d5b-7jmqw   Pod         ✔ Running           7d   ready:1/1
│     ├──□ canary-demo-877894d5b-j8g2b   Pod         ✔ Running           7d   ready:1/1
│     ├──□ canary-demo-877894d5b-jw5qm   Pod         ✔ Running           7d   ready:1/1
│     └──□ canary-demo-877894d5b-kh7x4   Pod         ✔ Running           7d   ready:1/1
└──# revision:29
   └──⧉ canary-demo-859c99b45c           ReplicaSet  • ScaledDown        7d
`),
    );
  });

  it('colours icons and tags unless --no-color, keeping the columns aligned', () => {
    const { rollout, related } = canaryScenario();
    const text = renderRollout(rolloutInfo(rollout, related), { noColor: false, now: NOW });
    expect(text).toContain('Status:          \x1b[31m✖\x1b[0m Degraded\n');
    expect(text).toContain('\x1b[33mcanary\x1b[0m');
    const plain = renderRollout(rolloutInfo(rollout, related), { noColor: true, now: NOW });
    expect(
      strip(
        text
          .split('\x1b[')
          .map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, '')))
          .join(''),
      ),
    ).toBe(strip(plain));
  });

  it('shows an experiment with its ReplicaSets and an AnalysisRun with Job measurements', () => {
    const uid = 'uid-canary-demo';
    const rollout: RolloutObject = {
      metadata: { name: 'canary-demo', namespace: NS, uid, generation: 2, creationTimestamp: WEEK_AGO },
      spec: { replicas: 5, strategy: { canary: { steps: [{}] } } },
      status: {
        phase: 'Progressing',
        message: 'more replicas need to be updated',
        observedGeneration: '2',
        currentStepIndex: 0,
        stableRS: '877894d5b',
        currentPodHash: '645d5dbc4c',
        replicas: 5,
        updatedReplicas: 0,
        readyReplicas: 5,
        availableReplicas: 5,
      },
    };
    const experiment: ExperimentObject = {
      metadata: {
        name: 'canary-demo-645d5dbc4c-2-0',
        namespace: NS,
        uid: 'uid-exp',
        creationTimestamp: WEEK_AGO,
        annotations: { 'rollout.argoproj.io/revision': '2' },
        ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'canary-demo', uid }],
      },
      status: { phase: 'Running' },
    };
    const expRs = rs(
      'canary-demo-645d5dbc4c-2-0-canary-preview',
      'uid-exp',
      0,
      'argoproj/rollouts-demo:blue',
      replicas(1),
      { 'experiment.argoproj.io/template-name': 'canary-preview' },
    );
    const run: AnalysisRunObject = {
      metadata: {
        name: 'canary-demo-645d5dbc4c-2-0-stress-test',
        namespace: NS,
        uid: 'uid-run',
        creationTimestamp: WEEK_AGO,
        ownerReferences: [
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', name: 'e', uid: 'uid-exp' },
        ],
      },
      status: {
        phase: 'Running',
        metricResults: [
          {
            name: 'stress',
            measurements: [
              {
                phase: 'Running',
                startedAt: WEEK_AGO,
                metadata: { 'job-name': '4e2d824d-01af-11ea-b38c-42010aa80083.stress.1' },
              },
            ],
          },
        ],
      },
    };
    const stablePods = ['n6xqz', 'nlmj9', 'txgs5', 'wfqqr', 'zhh6x'].map((s) =>
      pod(`canary-demo-877894d5b-${s}`, 'canary-demo-877894d5b', 'running'),
    );
    const related: Related = {
      replicaSets: [
        rs('canary-demo-877894d5b', uid, 1, 'argoproj/rollouts-demo:green', replicas(5)),
        rs('canary-demo-645d5dbc4c', uid, 2, 'argoproj/rollouts-demo:blue', replicas(0)),
        expRs,
      ],
      pods: [
        ...stablePods,
        pod('canary-demo-645d5dbc4c-2-0-canary-preview-zmmvz', expRs.metadata?.name ?? '', 'running'),
      ],
      analysisRuns: [run],
      experiments: [experiment],
    };
    const text = renderRollout(rolloutInfo(rollout, related), { noColor: true, now: NOW });
    expect(strip(text)).toBe(
      strip(`Name:            canary-demo
Namespace:       jesse-test
Status:          ◌ Progressing
Message:         more replicas need to be updated
Strategy:        Canary
  Step:          0/1
  SetWeight:     0
  ActualWeight:  0
Images:          argoproj/rollouts-demo:blue (Σ:canary-preview)
                 argoproj/rollouts-demo:green (stable)
Replicas:
  Desired:       5
  Current:       5
  Updated:       0
  Ready:         5
  Available:     5

NAME                                                           KIND         STATUS         AGE  INFO
⟳ canary-demo                                                  Rollout      ◌ Progressing  7d
├──# revision:2
│  ├──⧉ canary-demo-645d5dbc4c                                 ReplicaSet   • ScaledDown   7d   canary
│  └──Σ canary-demo-645d5dbc4c-2-0                             Experiment   ◌ Running      7d
│     ├──⧉ canary-demo-645d5dbc4c-2-0-canary-preview           ReplicaSet   ✔ Healthy      7d
│     │  └──□ canary-demo-645d5dbc4c-2-0-canary-preview-zmmvz  Pod          ✔ Running      7d   ready:1/1
│     └──α canary-demo-645d5dbc4c-2-0-stress-test              AnalysisRun  ◌ Running      7d
│        └──⊞ 4e2d824d-01af-11ea-b38c-42010aa80083.stress.1    Job          ◌ Running      7d
└──# revision:1
   └──⧉ canary-demo-877894d5b                                  ReplicaSet   ✔ Healthy      7d   stable
      ├──□ canary-demo-877894d5b-n6xqz                         Pod          ✔ Running      7d   ready:1/1
      ├──□ canary-demo-877894d5b-nlmj9                         Pod          ✔ Running      7d   ready:1/1
      ├──□ canary-demo-877894d5b-txgs5                         Pod          ✔ Running      7d   ready:1/1
      ├──□ canary-demo-877894d5b-wfqqr                         Pod          ✔ Running      7d   ready:1/1
      └──□ canary-demo-877894d5b-zhh6x                         Pod          ✔ Running      7d   ready:1/1
`),
    );
    const expText = renderExperiment(experimentInfo(experiment, related), { noColor: true, now: NOW });
    expect(strip(expText)).toBe(
      strip(`Name:            canary-demo-645d5dbc4c-2-0
Namespace:       jesse-test
Status:          ◌ Running
Images:          argoproj/rollouts-demo:blue (Σ:canary-preview)

NAME                                                     KIND         STATUS     AGE  INFO
Σ canary-demo-645d5dbc4c-2-0                             Experiment   ◌ Running  7d
├──⧉ canary-demo-645d5dbc4c-2-0-canary-preview           ReplicaSet   ✔ Healthy  7d
│  └──□ canary-demo-645d5dbc4c-2-0-canary-preview-zmmvz  Pod          ✔ Running  7d   ready:1/1
└──α canary-demo-645d5dbc4c-2-0-stress-test              AnalysisRun  ◌ Running  7d
   └──⊞ 4e2d824d-01af-11ea-b38c-42010aa80083.stress.1    Job          ◌ Running  7d
`),
    );
  });
});

describe('pod status column', () => {
  it.each([
    ['running', 'Running', '✔', '1/1', 0],
    ['pull', 'ImagePullBackOff', '⚠', '0/1', 0],
    ['crash', 'CrashLoopBackOff', '✖', '0/1', 4],
  ] as const)('%s', (state, status, icon, ready, restarts) => {
    const info = podInfo(pod('p', 'r', state));
    expect(info).toMatchObject({ status, icon, ready, restarts });
  });
  it('a deleting pod is Terminating', () => {
    const p = pod('p', 'r', 'running');
    p.metadata = { ...p.metadata, deletionTimestamp: WEEK_AGO };
    expect(podInfo(p).status).toBe('Terminating');
  });
});

describe('list', () => {
  it('rollouts, as Argo prints them', () => {
    // Both strategies in the same state, so only the strategy columns differ.
    const status = {
      phase: 'Progressing',
      currentStepIndex: 1,
      replicas: 4,
      readyReplicas: 1,
      updatedReplicas: 3,
      availableReplicas: 2,
    };
    const canary: RolloutObject = {
      metadata: { name: 'can-guestbook', namespace: 'test' },
      spec: { replicas: 5, strategy: { canary: { steps: [{ setWeight: 10 }, {}, { setWeight: 20 }] } } },
      status,
    };
    const blueGreen: RolloutObject = {
      metadata: { name: 'bg-guestbook', namespace: 'test' },
      spec: { replicas: 5, strategy: { blueGreen: {} } },
      status,
    };
    expect(renderRolloutList([canary], { allNamespaces: false, timestamps: false }, NOW)).toBe(
      `NAME           STRATEGY   STATUS        STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE
can-guestbook  Canary     Progressing   1/3   10          1/4    5        3           2        
`,
    );
    expect(renderRolloutList([blueGreen], { allNamespaces: false, timestamps: false }, NOW)).toBe(
      `NAME          STRATEGY   STATUS        STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE
bg-guestbook  BlueGreen  Progressing   -     -           1/4    5        3           2        
`,
    );
    expect(renderRolloutList([canary], { allNamespaces: true, timestamps: true }, NOW)).toContain(
      'TIMESTAMP             NAMESPACE  NAME           STRATEGY   STATUS        STEP  SET-WEIGHT  READY  DESIRED  UP-TO-DATE  AVAILABLE\n2026-11-21T12:00:00Z  test       can-guestbook  Canary     Progressing   1/3   10',
    );
  });

  it('experiments with duration and time remaining', () => {
    const running: ExperimentObject = {
      metadata: { name: 'my-experiment', namespace: 'test', creationTimestamp: WEEK_AGO },
      spec: { duration: '3h' },
      status: { phase: 'Running', availableAt: new Date(NOW - 3_600_000).toISOString() },
    };
    const open: ExperimentObject = {
      metadata: { name: 'my-experiment2', namespace: 'my-other-namespace', creationTimestamp: WEEK_AGO },
      spec: {},
      status: { phase: 'Running' },
    };
    expect(renderExperimentList([open, running], true, NOW)).toBe(
      `NAMESPACE           NAME            STATUS   DURATION  REMAINING  AGE
my-other-namespace  my-experiment2  Running  -         -          7d 
test                my-experiment   Running  3h        120m       7d 
`,
    );
  });
});

describe('status', () => {
  itMaps('%o', statusLine, [
    [{ status: 'Healthy', message: '' }, 'Healthy'],
    [{ status: 'Degraded', message: 'RolloutAborted: x' }, 'Degraded'],
    [{ status: 'Paused', message: 'CanaryPauseStep' }, 'Paused - CanaryPauseStep'],
  ]);
});
