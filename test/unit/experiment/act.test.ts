// The act side of an Experiment reconcile against a ReplicaSet store with the API server's
// write rules: the guarded ReplicaSet writes it sends, and what a failed guard leaves unwritten.
import { describe, expect, it } from 'vitest';
import { type ExperimentActContext, reconcileExperiment } from '../../../src/experiment/act.js';
import type { ExperimentObject, ObservedExperiment } from '../../../src/experiment/plan.js';
import { OwnedWrites } from '../../../src/kube/owned-writes.js';
import type { KubeRequest } from '../../../src/kube/rest.js';
import { StatusSubresources } from '../../../src/kube/status-subresource.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';
import { replicaSetStore } from '../support/replicaset-store.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const UID = 'ex-uid';
const podTemplate = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'web:1' }] },
};

function experiment(status: ExperimentObject['status'], spec: Partial<ExperimentObject['spec']> = {}) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Experiment',
    metadata: { name: 'exp', namespace: 'shop', uid: UID, resourceVersion: '50' },
    spec: {
      templates: [
        { name: 'baseline', replicas: 1, selector: { matchLabels: { app: 'web' } }, template: podTemplate },
      ],
      ...spec,
    },
    status,
  } as ExperimentObject;
}

/** The baseline template's ReplicaSet as the cache showed it to the plan (generation 3). */
function cachedSet(replicas: number, annotations: Record<string, string> = {}) {
  return {
    metadata: {
      name: 'exp-baseline',
      namespace: 'shop',
      generation: 3,
      resourceVersion: '7',
      labels: { app: 'web' },
      annotations: {
        'experiment.argoproj.io/name': 'exp',
        'experiment.argoproj.io/template-name': 'baseline',
        ...annotations,
      },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Experiment', name: 'exp', uid: UID, controller: true },
      ],
    },
    spec: { replicas, template: podTemplate },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  } as ReplicaSet;
}

/** The set stored with the API server's write rules (replicaSetStore), and the Events recorded. */
function server(initial: ReplicaSet) {
  const store = replicaSetStore(initial);
  const recorded: string[] = [];
  const ctx = {
    client: store.client,
    statusSubresources: new StatusSubresources(store.client),
    events: { record: async (_o: unknown, _t: string, reason: string) => void recorded.push(reason) },
    logger: { warn() {}, debug() {}, info() {}, error() {} },
  } as never;
  return { ctx, store, requests: store.requests, recorded };
}

const observe = (ex: ExperimentObject, rs: ReplicaSet): ObservedExperiment => ({
  experiment: ex,
  replicaSets: new Map([['baseline', rs]]),
  services: new Map(),
  analysisRuns: new Map(),
  templates: { analysisTemplates: [], clusterAnalysisTemplates: [] },
  now: NOW,
});

/** What each ReplicaSet patch tested metadata.generation against. */
const testedGenerations = (requests: KubeRequest[]) =>
  requests
    .filter((r) => r.method === 'PATCH')
    .map((r) => (r.body as { op: string; path: string; value?: unknown }[])[0]?.value);

describe('reconcileExperiment: ReplicaSet writes are guarded by the generation planned from', () => {
  /** The baseline template with `pods` replicas everywhere, in `status`. */
  const templateStatus = (pods: number, status: 'Progressing' | 'Running') => ({
    name: 'baseline',
    replicas: pods,
    updatedReplicas: pods,
    readyReplicas: pods,
    availableReplicas: pods,
    status,
    lastTransitionTime: '2026-11-21T11:59:00Z',
  });
  const pending = { phase: 'Pending' as const, templateStatuses: [templateStatus(0, 'Progressing')] };

  it('a plan made from an older generation of the set does not overwrite it, and writes no status or Events', async () => {
    const observed = cachedSet(0);
    const api = server(observed);
    // Someone scaled the set to 3 after the cache showed it at 0: generation 4.
    api.store.write((rs) => {
      rs.spec = { ...rs.spec, replicas: 3 };
    });
    const outcome = await reconcileExperiment(api.ctx, observe(experiment(pending), observed));
    expect(testedGenerations(api.requests)).toEqual([3]);
    expect(api.store.stored.spec?.replicas).toBe(3);
    expect(api.requests.some((r) => r.method === 'PUT')).toBe(false);
    expect(api.recorded).toEqual([]);
    expect(outcome.requeueAfterMs).toBeGreaterThan(0);
    expect(outcome.writtenResourceVersion).toBeUndefined();
  });

  it("planned from the current generation, the scale goes through despite the controller's status write", async () => {
    const observed = cachedSet(0);
    const api = server(observed);
    api.store.write((rs) => {
      rs.status = { replicas: 0, observedGeneration: 3 };
    });
    await reconcileExperiment(api.ctx, observe(experiment(pending), observed));
    expect(testedGenerations(api.requests)).toEqual([3]);
    expect(api.store.stored.spec?.replicas).toBe(1);
    expect(api.recorded).toContain('ScalingReplicaSet');
    expect(api.requests.some((r) => r.method === 'PUT')).toBe(true);
  });

  it('a later write to the same set is guarded by what our own write returned', async () => {
    // Terminated with scaleDownDelaySeconds 0: the old deadline is removed, then the set scaled to 0.
    const running = { phase: 'Running' as const, templateStatuses: [templateStatus(1, 'Running')] };
    const observed = cachedSet(1, { 'scale-down-deadline': '2026-11-21T11:59:30Z' });
    const api = server(observed);
    await reconcileExperiment(
      api.ctx,
      observe(experiment(running, { terminate: true, scaleDownDelaySeconds: 0 }), observed),
    );
    expect(testedGenerations(api.requests)).toEqual([3, 3]);
    expect(api.store.stored.spec?.replicas).toBe(0);
    expect(api.store.stored.metadata?.annotations?.['scale-down-deadline']).toBeUndefined();
  });
});

describe('reconcileExperiment: its ReplicaSet writes are remembered', () => {
  it('so a pass from a cache that has not seen them is skipped (OwnedWrites)', async () => {
    const observed = cachedSet(0);
    const api = server(observed);
    const ownWrites = new OwnedWrites();
    const pending = {
      phase: 'Pending' as const,
      templateStatuses: [
        {
          name: 'baseline',
          replicas: 0,
          updatedReplicas: 0,
          readyReplicas: 0,
          availableReplicas: 0,
          status: 'Progressing' as const,
          lastTransitionTime: '2026-11-21T11:59:00Z',
        },
      ],
    };
    await reconcileExperiment(
      { ...(api.ctx as ExperimentActContext), ownWrites },
      observe(experiment(pending), observed),
    );
    expect(api.store.stored.spec?.replicas).toBe(1);
    // The Experiment's own status event came first: the set's cached copy is the one planned from.
    expect(ownWrites.stale(UID, () => observed)).toBe(true);
    expect(ownWrites.stale(UID, () => api.store.stored)).toBe(false);
  });
});
