// The act steps' ReplicaSet writes (Rollouts' and Experiments') against the real
// kube-apiserver: each is a JSON patch whose `test` ops guard the generation (and annotations)
// the plan was made from, so a plan made from a stale cache is refused (422, a TestFailedError:
// the controller requeues and plans again) instead of overwriting a newer spec, while a /status
// write by the ReplicaSet controller in between does not refuse it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXPERIMENTS, reconcileExperiment } from '../../src/experiment/act.js';
import type { ExperimentObject } from '../../src/experiment/plan.js';
import { ConflictError, TestFailedError } from '../../src/kube/api-error.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import type { EventRecorder } from '../../src/kube/events.js';
import { createObject, deleteObject, mergePatch, patchStatus } from '../../src/kube/patch.js';
import { coreResources } from '../../src/kube/resource.js';
import { RestClient } from '../../src/kube/rest.js';
import { StatusSubresources } from '../../src/kube/status-subresource.js';
import type { Logger } from '../../src/process/logger.js';
import { applyRolloutPlan } from '../../src/rollout/act.js';
import type { ObservedRolloutObject, RolloutPlan } from '../../src/rollout/plan.js';
import { versionOf } from '../../src/rollout/replicasets.js';
import type { ReplicaSet } from '../../src/rollout/workload-types.js';

const namespace = `rs-writes-${Date.now().toString(36)}`;
let client: RestClient;

beforeAll(async () => {
  const { kubeConfig } = loadKubeConfig({ path: inject('kubeconfig') });
  client = new RestClient(kubeConfig);
  await createObject(client, coreResources.namespaces, { metadata: { name: namespace } });
});

afterAll(async () => {
  if (client) {
    await deleteObject(
      client,
      { resource: coreResources.namespaces, name: namespace },
      { ifMissing: 'ignore' },
    );
  }
});

const rollout = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace, uid: 'not-written' },
  spec: { replicas: 3 },
  status: {},
} as unknown as ObservedRolloutObject;

/** Scales the set from `from` to `to`, planned from the copy `observed`; no status write. */
const scalePlan = (observed: ReplicaSet, from: number, to: number): RolloutPlan => ({
  actions: [
    {
      kind: 'scaleReplicaSet',
      name: observed.metadata?.name ?? '',
      from,
      to,
      revision: 1,
      ...versionOf(observed),
    },
  ],
  events: [],
  status: {},
});

/**
 * Runs a pass planned from the cluster as it is now until it writes (true). The ReplicaSet
 * controller may write the set's status between our read and our write (a newer version
 * again): the controller then plans once more, and so does this, a bounded number of times.
 */
async function planAgainUntilWritten(pass: () => Promise<boolean>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (await pass()) return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    if (attempt >= 20) throw new Error(`no pass wrote in ${attempt} attempts`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const podTemplate = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image: `${app}:1` }] },
});

/**
 * Creates a ReplicaSet at 0 replicas, selecting app=`app`, and returns that copy (the one a
 * cache read); then someone else (a person, or our own earlier pass) scales the set to 1.
 */
async function staleCopy(name: string, app: string): Promise<ReplicaSet> {
  const created = await createObject<ReplicaSet>(client, coreResources.replicaSets, {
    metadata: { name, namespace },
    spec: { replicas: 0, selector: { matchLabels: { app } }, template: podTemplate(app) },
  } as ReplicaSet);
  await mergePatch(
    client,
    { resource: coreResources.replicaSets, namespace, name },
    { spec: { replicas: 1 } },
  );
  return created;
}

const replicasOf = async (name: string) =>
  (await client.get<ReplicaSet>(coreResources.replicaSets, namespace, name)).spec?.replicas;

describe('ReplicaSet scale writes', () => {
  it('a plan made from an older version of the set does not overwrite a newer scale', async () => {
    const observed = await staleCopy('web-abc', 'web');

    const stale = applyRolloutPlan({ client, recordEvent: () => {} }, rollout, scalePlan(observed, 0, 2));
    await expect(stale).rejects.toBeInstanceOf(TestFailedError);
    expect(await replicasOf('web-abc')).toBe(1);

    // Planned again from the set as it is now, the write goes through.
    await planAgainUntilWritten(async () => {
      const current = await client.get<ReplicaSet>(coreResources.replicaSets, namespace, 'web-abc');
      await applyRolloutPlan({ client, recordEvent: () => {} }, rollout, scalePlan(current, 1, 2));
      return true;
    });
    expect(await replicasOf('web-abc')).toBe(2);
  });

  it("a status write by someone else between plan and act does not refuse the plan's write", async () => {
    const observed = await client.get<ReplicaSet>(
      coreResources.replicaSets,
      namespace,
      (await staleCopy('web-def', 'web-def')).metadata?.name ?? '',
    );
    // The ReplicaSet controller's kind of write: /status only (a new resourceVersion, same generation).
    const afterStatus = await patchStatus<ReplicaSet>(
      client,
      { resource: coreResources.replicaSets, namespace, name: 'web-def' },
      {
        conditions: [
          { type: 'ReplicaFailure', status: 'False', reason: 'E2E', message: `written at ${Date.now()}` },
        ],
      },
    );
    expect(afterStatus.metadata?.resourceVersion).not.toBe(observed.metadata?.resourceVersion);
    expect(afterStatus.metadata?.generation).toBe(observed.metadata?.generation);

    await applyRolloutPlan({ client, recordEvent: () => {} }, rollout, scalePlan(observed, 1, 3));
    const written = await client.get<ReplicaSet>(coreResources.replicaSets, namespace, 'web-def');
    expect(written.spec?.replicas).toBe(3);
    expect(written.metadata?.annotations?.['rollout.argoproj.io/desired-replicas']).toBe('3');
  });
});

describe('Experiment ReplicaSet writes', () => {
  const actContext = {
    client: undefined as unknown as RestClient,
    events: { record: async () => {} } as unknown as EventRecorder,
    logger: { warn() {}, debug() {}, info() {}, error() {} } as unknown as Logger,
  };
  const pass = async (ex: ExperimentObject, rs: ReplicaSet) =>
    reconcileExperiment(
      { ...actContext, client, statusSubresources: new StatusSubresources(client) },
      {
        experiment: ex,
        replicaSets: new Map([['baseline', rs]]),
        services: new Map(),
        analysisRuns: new Map(),
        templates: { analysisTemplates: [], clusterAnalysisTemplates: [] },
        now: new Date(),
      },
    );
  const getExperiment = () => client.get<ExperimentObject>(EXPERIMENTS, namespace, 'exp');

  it('a pass planned from an older version of a template set writes nothing; the next pass converges', async () => {
    const ex = await createObject<ExperimentObject>(client, EXPERIMENTS, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Experiment',
      metadata: { name: 'exp', namespace },
      spec: {
        templates: [
          {
            name: 'baseline',
            replicas: 2,
            selector: { matchLabels: { app: 'exp-b' } },
            template: podTemplate('exp-b'),
          },
        ],
      },
    } as unknown as ExperimentObject);
    const observed = await staleCopy('exp-baseline', 'exp-b');

    const stale = await pass(ex, observed);
    expect(stale.requeueAfterMs).toBeGreaterThan(0);
    expect(stale.writtenResourceVersion).toBeUndefined();
    expect(await replicasOf('exp-baseline')).toBe(1);
    expect((await getExperiment()).status?.templateStatuses).toBeUndefined();

    // Planned again from the Experiment and its set as they are now: scale and status go through.
    await planAgainUntilWritten(async () => {
      const current = await client.get<ReplicaSet>(coreResources.replicaSets, namespace, 'exp-baseline');
      return (await pass(await getExperiment(), current)).writtenResourceVersion !== undefined;
    });
    expect(await replicasOf('exp-baseline')).toBe(2);
    expect((await getExperiment()).status?.templateStatuses?.map((t) => t.name)).toEqual(['baseline']);
  });
});
