// Experiments on the local cluster, Given/When/Then: the controller (all of `slipway
// controller`'s controllers) runs in this process for one namespace; kwok makes template pods
// Ready and completes (or fails) the Jobs of Job metrics. Standalone Experiments run for their
// duration, end on their analyses or on terminate; a canary Rollout runs its experiment step.
import { afterAll, describe, expect, it } from 'vitest';
import { retryExperimentPatch, terminateExperimentPatch } from '../../src/experiment/operations.js';
import { useControllerNamespace } from './support/controller.js';
import { captureExperimentFixture } from './support/experiment-fixtures.js';
import { getJson, getJsonAsync, kubectl, patch, tryKubectl, tryKubectlAsync } from './support/kubectl.js';
import { canaryRollout as canaryRolloutManifest, jobProvider } from './support/manifests.js';
import { getRollout, setImage, waitForPhase, waitForRollout } from './support/rollouts.js';
import { eventually, statusPoller } from './support/wait.js';

const namespace = useControllerNamespace('experiment', (ns) => {
  kubectl(['apply', '-n', ns, '-f', '-'], template('job-pass', jobMetric()));
  kubectl(['apply', '-n', ns, '-f', '-'], template('job-fail', jobMetric(1)));
});

interface TemplateStatus {
  name: string;
  status?: string;
  replicas: number;
  availableReplicas: number;
  serviceName?: string;
  podTemplateHash?: string;
  message?: string;
}
interface ExperimentObject {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    message?: string;
    availableAt?: string;
    templateStatuses?: TemplateStatus[];
    analysisRuns?: { name: string; analysisRun: string; phase: string; message?: string }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}
interface ReplicaSetObject {
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { replicas: number; selector: { matchLabels: Record<string, string> } };
  status: { availableReplicas?: number };
}

function template(name: string, metric: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name },
    spec: { args: [{ name: 'hash', value: 'none' }], metrics: [{ name: 'check', ...metric }] },
  });
}

function jobMetric(exitCode?: number): Record<string, unknown> {
  return { provider: jobProvider(exitCode, 'check', ['echo', '{{args.hash}}']) };
}

const podTemplate = (app: string, image: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
});

function experiment(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Experiment',
    metadata: { name, namespace },
    spec: {
      templates: [
        {
          name: 'baseline',
          replicas: 1,
          selector: { matchLabels: { app: `${name}-b` } },
          template: podTemplate(`${name}-b`, 'web:1'),
        },
        {
          name: 'canary',
          replicas: 2,
          selector: { matchLabels: { app: `${name}-c` } },
          template: podTemplate(`${name}-c`, 'web:2'),
          service: {},
        },
      ],
      ...spec,
    },
  });
}

const getExperiment = (name: string) => getJsonAsync<ExperimentObject>(['experiment', name, '-n', namespace]);
const getReplicaSet = (name: string) => getJsonAsync<ReplicaSetObject>(['replicaset', name, '-n', namespace]);

const waitForExperiment = statusPoller(getExperiment, 90_000);

async function eventsOf(
  kind: string,
  name: string,
): Promise<{ type: string; reason: string; message: string }[]> {
  const events = await getJsonAsync<{
    items: {
      type: string;
      reason: string;
      message: string;
      involvedObject: { kind: string; name: string };
    }[];
  }>(['events', '-n', namespace]);
  return events.items.filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name);
}

async function expectExperimentEvents(name: string, reasons: string[]): Promise<void> {
  let seen: string[] = [];
  await eventually(`events ${reasons.join(', ')} on ${name}`, async () => {
    seen = (await eventsOf('Experiment', name)).map((e) => e.reason);
    return reasons.every((r) => seen.includes(r)) ? true : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message} (seen: ${[...new Set(seen)].join(', ')})`);
  });
}

const scaledDown = (rsName: string) => async () => {
  const rs = await getReplicaSet(rsName);
  return rs.spec.replicas === 0 && (rs.status.availableReplicas ?? 0) === 0 ? rs : undefined;
};

/** Both template ReplicaSets of an Experiment scaled to 0, for eventually(). */
const bothScaledDown = (experiment: string) => async () =>
  ((await scaledDown(`${experiment}-baseline`)()) && (await scaledDown(`${experiment}-canary`)())) ||
  undefined;

describe('a standalone Experiment', () => {
  it('runs its templates as ReplicaSets with a Service, ends Successful after its duration and scales down', async () => {
    kubectl(['apply', '-f', '-'], experiment('timed', { duration: '5s', scaleDownDelaySeconds: 2 }));
    const running = await waitForExperiment('timed', 'Running', (ex) => ex.status?.phase === 'Running');
    expect(running.status?.availableAt).toBeDefined();
    expect(running.status?.templateStatuses?.map((t) => [t.name, t.status, t.availableReplicas])).toEqual([
      ['baseline', 'Running', 1],
      ['canary', 'Running', 2],
    ]);
    expect(running.status?.conditions?.find((c) => c.type === 'Progressing')?.status).toBe('True');

    const rs = await getReplicaSet('timed-canary');
    const hash = rs.metadata.labels['rollouts-pod-template-hash'];
    expect(rs.metadata.annotations).toMatchObject({
      'experiment.argoproj.io/name': 'timed',
      'experiment.argoproj.io/template-name': 'canary',
    });
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'timed-c', 'rollouts-pod-template-hash': hash });
    const canary = running.status?.templateStatuses?.find((t) => t.name === 'canary');
    expect(canary).toMatchObject({ serviceName: 'timed-canary', podTemplateHash: hash });
    const svc = getJson<{
      spec: { selector: Record<string, string>; ports: { port: number; targetPort: number; name: string }[] };
    }>(['service', 'timed-canary', '-n', namespace]);
    expect(svc.spec.selector).toEqual({ app: 'timed-c', 'rollouts-pod-template-hash': hash });
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 8080, targetPort: 8080 })]);

    const done = await waitForExperiment('timed', 'Successful', (ex) => ex.status?.phase === 'Successful');
    expect(done.status?.templateStatuses?.map((t) => t.status)).toEqual(['Successful', 'Successful']);
    expect(done.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ExperimentCompleted',
      message: 'Experiment "timed" has successfully ran and completed.',
    });
    await eventually('timed ReplicaSets scaled down', bothScaledDown('timed'));
    await eventually('timed-canary Service deleted', async () =>
      (await tryKubectlAsync(['get', 'service', 'timed-canary', '-n', namespace])).ok ? undefined : true,
    );
    await expectExperimentEvents('timed', [
      'ExperimentPending',
      'ExperimentRunning',
      'ExperimentSuccessful',
      'TemplateProgressing',
      'TemplateRunning',
      'TemplateSuccessful',
      'ScalingReplicaSet',
    ]);
    captureExperimentFixture(await getExperiment('timed'), 'successful');
  });

  it('ends Successful once a required analysis passes, with args from the template pod hashes', async () => {
    kubectl(
      ['apply', '-f', '-'],
      experiment('required', {
        analyses: [
          {
            name: 'check',
            templateName: 'job-pass',
            requiredForCompletion: true,
            args: [{ name: 'hash', value: '{{templates.canary.podTemplateHash}}' }],
          },
        ],
      }),
    );
    const done = await waitForExperiment('required', 'Successful', (ex) => ex.status?.phase === 'Successful');
    expect(done.status?.message).toBe('Required AnalysisRuns completed');
    expect(done.status?.analysisRuns).toEqual([
      { name: 'check', analysisRun: 'required-check', phase: 'Successful' },
    ]);
    const hash = (await getReplicaSet('required-canary')).metadata.labels['rollouts-pod-template-hash'];
    const run = getJson<{
      spec: { args: { name: string; value: string }[] };
      metadata: { ownerReferences: { kind: string; name: string }[] };
    }>(['analysisrun', 'required-check', '-n', namespace]);
    expect(run.spec.args).toEqual([{ name: 'hash', value: hash }]);
    expect(run.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Experiment', name: 'required' }),
    ]);
    await eventually('required ReplicaSets scaled down', () => scaledDown('required-canary')(), 120_000);
  });

  it('fails when its analysis fails, and stops its templates', async () => {
    kubectl(
      ['apply', '-f', '-'],
      experiment('failing', {
        analyses: [{ name: 'check', templateName: 'job-fail' }],
        scaleDownDelaySeconds: 0,
      }),
    );
    const failed = await waitForExperiment('failing', 'Failed', (ex) => ex.status?.phase === 'Failed');
    expect(failed.status?.analysisRuns?.[0]).toMatchObject({
      name: 'check',
      analysisRun: 'failing-check',
      phase: 'Failed',
    });
    await eventually('failing ReplicaSets scaled down', bothScaledDown('failing'));
    await expectExperimentEvents('failing', ['AnalysisRunPending', 'AnalysisRunFailed', 'ExperimentFailed']);
    expect((await eventsOf('Experiment', 'failing')).find((e) => e.reason === 'ExperimentFailed')?.type).toBe(
      'Warning',
    );
    captureExperimentFixture(await getExperiment('failing'), 'failed');

    // Retry as Argo's plugin sends it (`retry experiment`: {"status":null} to the object, which
    // our CRD, as Argo's, has no /status for): it runs again, with a new AnalysisRun beside the
    // failed one.
    patch('experiment', 'failing', namespace, retryExperimentPatch());
    const again = await waitForExperiment(
      'failing',
      'Failed again after the retry',
      (ex) => ex.status?.phase === 'Failed' && ex.status.analysisRuns?.[0]?.analysisRun === 'failing-check.1',
    );
    expect(again.status?.analysisRuns?.[0]?.phase).toBe('Failed');
  });

  it('terminate (the patch Argo CD and the plugin send) ends a running experiment Successful', async () => {
    kubectl(
      ['apply', '-f', '-'],
      experiment('endless', { analyses: [{ name: 'check', templateName: 'job-pass' }] }),
    );
    await waitForExperiment('endless', 'Running', (ex) => ex.status?.phase === 'Running');
    captureExperimentFixture(await getExperiment('endless'), 'running');
    captureExperimentFixture(await getExperiment('endless'), 'running', 'action');
    patch('experiment', 'endless', namespace, terminateExperimentPatch());
    const done = await waitForExperiment('endless', 'Successful', (ex) => ex.status?.phase === 'Successful');
    expect(done.status?.templateStatuses?.map((t) => t.status)).toEqual(['Successful', 'Successful']);
  });

  it('an invalid spec gets the InvalidSpec condition and nothing is created', async () => {
    const bad = JSON.parse(experiment('invalid', {}));
    bad.spec.templates[1].name = 'baseline';
    kubectl(['apply', '-f', '-'], JSON.stringify(bad));
    const ex = await waitForExperiment('invalid', 'InvalidSpec', (e) =>
      (e.status?.conditions ?? []).some((c) => c.type === 'InvalidSpec'),
    );
    expect(ex.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.message).toBe(
      "Experiment invalid has repeated template name 'baseline' in templates",
    );
    expect(tryKubectl(['get', 'replicaset', 'invalid-baseline', '-n', namespace]).ok).toBe(false);
  });
});

function canaryRollout(name: string, experimentStep: Record<string, unknown>): string {
  return JSON.stringify(
    canaryRolloutManifest(
      namespace,
      name,
      { steps: [{ setWeight: 50 }, { experiment: experimentStep }, { setWeight: 100 }] },
      { podSpec: podTemplate(name, 'web:1').spec },
    ),
  );
}

const atExperimentStep = (rollout: string) =>
  waitForRollout(namespace, rollout, 'at the experiment step', (r) => !!r.status?.canary?.currentExperiment);

describe('a canary experiment step', () => {
  const cleanups: string[] = [];
  afterAll(() => {
    for (const name of cleanups) tryKubectl(['delete', 'rollout', name, '-n', namespace, '--wait=false']);
  });

  it('creates the Experiment owned by the Rollout, waits for it, and goes on when it succeeds', async () => {
    cleanups.push('exstep');
    kubectl(
      ['apply', '-f', '-'],
      canaryRollout('exstep', {
        duration: '3s',
        templates: [
          { name: 'canary', specRef: 'canary', replicas: 1 },
          { name: 'baseline', specRef: 'stable', replicas: 1, metadata: { labels: { role: 'baseline' } } },
        ],
        analyses: [
          {
            name: 'check',
            templateName: 'job-pass',
            args: [{ name: 'hash', valueFrom: { podTemplateHashValue: 'Latest' } }],
          },
        ],
      }),
    );
    await waitForPhase(namespace, 'exstep', 'Healthy');
    setImage(namespace, 'exstep', 'web:2');
    const atStep = await atExperimentStep('exstep');
    const hash = atStep.status?.currentPodHash ?? '';
    const name = `exstep-${hash}-2-1`;
    expect(atStep.status?.canary?.currentExperiment).toBe(name);
    const ex = await getExperiment(name);
    expect(ex.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Rollout', name: 'exstep' }),
    ]);
    expect(ex.metadata.labels?.['rollouts-pod-template-hash']).toBe(hash);
    expect((ex.spec.analyses as { args: unknown }[])[0]?.args).toEqual([{ name: 'hash', value: hash }]);

    const done = await waitForRollout(
      namespace,
      'exstep',
      'Healthy on the new template',
      (r) => r.status?.phase === 'Healthy' && r.status?.stableRS === hash,
      180_000,
    );
    expect(done.status?.canary?.currentExperiment).toBeUndefined();
    expect((await getExperiment(name)).status?.phase).toBe('Successful');
    const reasons = getJson<{ items: { reason: string; involvedObject: { kind: string; name: string } }[] }>([
      'events',
      '-n',
      namespace,
    ])
      .items.filter((e) => e.involvedObject.kind === 'Rollout' && e.involvedObject.name === 'exstep')
      .map((e) => e.reason);
    expect(reasons).toContain('ExperimentCreated');
  });

  it('aborts the Rollout when its experiment fails', async () => {
    cleanups.push('exfail');
    kubectl(
      ['apply', '-f', '-'],
      canaryRollout('exfail', {
        templates: [{ name: 'canary', specRef: 'canary' }],
        analyses: [{ name: 'check', templateName: 'job-fail' }],
      }),
    );
    await waitForPhase(namespace, 'exfail', 'Healthy');
    setImage(namespace, 'exfail', 'web:2');
    const aborted = await waitForRollout(
      namespace,
      'exfail',
      'aborted',
      (r) => r.status?.abort === true,
      180_000,
    );
    expect(aborted.status?.phase).toBe('Degraded');
    const hash = aborted.status?.currentPodHash ?? '';
    expect((await getExperiment(`exfail-${hash}-2-1`)).status?.phase).toBe('Failed');
    expect(getRollout(namespace, 'exfail').status?.stableRS).not.toBe(hash);
  });

  it('terminates the running experiment when the Rollout is promoted past it', async () => {
    cleanups.push('exskip');
    kubectl(
      ['apply', '-f', '-'],
      canaryRollout('exskip', { templates: [{ name: 'canary', specRef: 'canary' }] }),
    );
    await waitForPhase(namespace, 'exskip', 'Healthy');
    setImage(namespace, 'exskip', 'web:2');
    const atStep = await atExperimentStep('exskip');
    const name = atStep.status?.canary?.currentExperiment ?? '';
    await waitForExperiment(name, 'Running', (ex) => ex.status?.phase === 'Running');
    patch('rollout', 'exskip', namespace, { status: { promoteFull: true } }, { subresource: 'status' });
    const stopped = await waitForExperiment(
      name,
      'terminated',
      (ex) => ex.spec.terminate === true && ex.status?.phase === 'Successful',
    );
    expect(stopped.status?.phase).toBe('Successful');
    await waitForRollout(namespace, 'exskip', 'Healthy', (r) => r.status?.phase === 'Healthy', 180_000);
  });
});

describe('an experiment step with Istio traffic routing', () => {
  interface Route {
    name?: string;
    route: { destination: { host: string }; weight?: number }[];
  }
  const weights = () =>
    Object.fromEntries(
      getJson<{ spec: { http: Route[] } }>([
        'virtualservices.networking.istio.io',
        'exweight-vsvc',
        '-n',
        namespace,
      ]).spec.http[0]!.route.map((r) => [r.destination.host, r.weight ?? 0]),
    );

  it('gives the weighted template its share while the experiment runs, and takes it back after', async () => {
    for (const svc of ['exweight-canary', 'exweight-stable']) {
      kubectl(
        ['apply', '-n', namespace, '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: svc },
          spec: { selector: { app: 'exweight' }, ports: [{ port: 8080, targetPort: 8080 }] },
        }),
      );
    }
    kubectl(
      ['apply', '-n', namespace, '-f', '-'],
      JSON.stringify({
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'VirtualService',
        metadata: { name: 'exweight-vsvc' },
        spec: {
          hosts: ['exweight'],
          http: [
            {
              name: 'primary',
              route: [
                { destination: { host: 'exweight-stable' }, weight: 100 },
                { destination: { host: 'exweight-canary' }, weight: 0 },
              ],
            },
          ],
        },
      }),
    );
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify(
        canaryRolloutManifest(
          namespace,
          'exweight',
          {
            canaryService: 'exweight-canary',
            stableService: 'exweight-stable',
            trafficRouting: { istio: { virtualService: { name: 'exweight-vsvc', routes: ['primary'] } } },
            steps: [
              { setWeight: 10 },
              {
                experiment: {
                  duration: '10s',
                  templates: [{ name: 'preview', specRef: 'canary', weight: 20 }],
                },
              },
              { setWeight: 50 },
            ],
          },
          { podSpec: podTemplate('exweight', 'web:1').spec },
        ),
      ),
    );
    await waitForPhase(namespace, 'exweight', 'Healthy');
    setImage(namespace, 'exweight', 'web:2');
    const atStep = await atExperimentStep('exweight');
    const name = atStep.status?.canary?.currentExperiment ?? '';
    const running = await waitForExperiment(
      name,
      'Running with its Service',
      (ex) => ex.status?.phase === 'Running' && !!ex.status.templateStatuses?.[0]?.serviceName,
    );
    const service = running.status?.templateStatuses?.[0]?.serviceName ?? '';
    expect(service).toBe(`${name}-preview`);
    await eventually('the experiment Service gets 20 in the VirtualService', () => {
      const w = weights();
      return w[service] === 20 && w['exweight-canary'] === 10 && w['exweight-stable'] === 70 ? w : undefined;
    });
    await waitForRollout(
      namespace,
      'exweight',
      'past the experiment',
      (r) => (r.status?.currentStepIndex ?? 0) >= 2,
      120_000,
    );
    let last: Record<string, number> = {};
    await eventually('the experiment Service has no traffic any more', () => {
      last = weights();
      // The Rollout may already be past setWeight 50 and fully promoted (stable 100).
      return (last[service] ?? 0) === 0 &&
        (last['exweight-canary'] ?? 0) + (last['exweight-stable'] ?? 0) === 100
        ? last
        : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message} (weights: ${JSON.stringify(last)})`);
    });
    await waitForRollout(namespace, 'exweight', 'Healthy', (r) => r.status?.phase === 'Healthy', 120_000);
    expect(weights()).toEqual({ 'exweight-stable': 100, 'exweight-canary': 0 });
  });
});
