// The act side of an Experiment reconcile against a ReplicaSet store with the API server's
// optimistic concurrency: the ReplicaSet writes it sends, and what a 409 leaves unwritten.
import { describe, expect, it } from 'vitest';
import { reconcileExperiment } from '../../../src/experiment/act.js';
import type { ExperimentObject, ObservedExperiment } from '../../../src/experiment/plan.js';
import { ConflictError } from '../../../src/kube/api-error.js';
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';

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

/** The baseline template's ReplicaSet as the cache showed it to the plan. */
function cachedSet(replicas: number, resourceVersion: string, annotations: Record<string, string> = {}) {
  return {
    metadata: {
      name: 'exp-baseline',
      namespace: 'shop',
      resourceVersion,
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

/**
 * One stored ReplicaSet: a merge patch naming a resourceVersion other than the stored one is
 * refused with 409, an accepted one bumps it. Status writes are answered as written.
 */
function server(stored: { resourceVersion: string; replicas: number }) {
  const requests: KubeRequest[] = [];
  const client = {
    async request(request: KubeRequest) {
      requests.push(request);
      if (request.method !== 'PATCH') return request.body;
      const body = request.body as { metadata?: { resourceVersion?: string }; spec?: { replicas?: number } };
      const wanted = body.metadata?.resourceVersion;
      if (wanted !== undefined && wanted !== stored.resourceVersion) {
        throw new ConflictError({ method: 'PATCH', path: request.path }, 409, {
          kind: 'Status',
          reason: 'Conflict',
          message:
            'Operation cannot be fulfilled on replicasets.apps "exp-baseline": the object has been modified',
        });
      }
      if (body.spec?.replicas !== undefined) stored.replicas = body.spec.replicas;
      stored.resourceVersion = String(Number(stored.resourceVersion) + 1);
      return { metadata: { name: 'exp-baseline', resourceVersion: stored.resourceVersion } };
    },
  } as unknown as RestClient;
  const recorded: string[] = [];
  const ctx = {
    client,
    events: { record: async (_o: unknown, _t: string, reason: string) => void recorded.push(reason) },
    logger: { warn() {}, debug() {}, info() {}, error() {} },
  } as never;
  return { ctx, requests, recorded, stored };
}

const observe = (ex: ExperimentObject, rs: ReplicaSet): ObservedExperiment => ({
  experiment: ex,
  replicaSets: new Map([['baseline', rs]]),
  services: new Map(),
  analysisRuns: new Map(),
  templates: { analysisTemplates: [], clusterAnalysisTemplates: [] },
  now: NOW,
});

const sentVersions = (requests: KubeRequest[]) =>
  requests
    .filter((r) => r.method === 'PATCH')
    .map((r) => (r.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion);

describe('reconcileExperiment: ReplicaSet writes are conditional on the version planned from', () => {
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

  it('a plan made from an older version of the set does not overwrite it, and writes no status or Events', async () => {
    // Someone scaled the set to 3 (version 8) after the cache showed it at 0 (version 7).
    const api = server({ resourceVersion: '8', replicas: 3 });
    const outcome = await reconcileExperiment(api.ctx, observe(experiment(pending), cachedSet(0, '7')));
    expect(sentVersions(api.requests)).toEqual(['7']);
    expect(api.stored.replicas).toBe(3);
    expect(api.requests.some((r) => r.method === 'PUT')).toBe(false);
    expect(api.recorded).toEqual([]);
    expect(outcome.requeueAfterMs).toBeGreaterThan(0);
    expect(outcome.writtenResourceVersion).toBeUndefined();
  });

  it('planned from the current version, the scale goes through and the status follows', async () => {
    const api = server({ resourceVersion: '7', replicas: 0 });
    await reconcileExperiment(api.ctx, observe(experiment(pending), cachedSet(0, '7')));
    expect(sentVersions(api.requests)).toEqual(['7']);
    expect(api.stored.replicas).toBe(1);
    expect(api.recorded).toContain('ScalingReplicaSet');
  });

  it('a later write to the same set is conditional on the version our own write returned', async () => {
    // Terminated with scaleDownDelaySeconds 0: the old deadline is removed, then the set scaled to 0.
    const running = { phase: 'Running' as const, templateStatuses: [templateStatus(1, 'Running')] };
    const api = server({ resourceVersion: '7', replicas: 1 });
    await reconcileExperiment(
      api.ctx,
      observe(
        experiment(running, { terminate: true, scaleDownDelaySeconds: 0 }),
        cachedSet(1, '7', { 'scale-down-deadline': '2026-11-21T11:59:30Z' }),
      ),
    );
    expect(sentVersions(api.requests)).toEqual(['7', '8']);
    expect(api.stored.replicas).toBe(0);
  });
});
