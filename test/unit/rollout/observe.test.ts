// Observe: what one pass plans from, read from the caches; live reads only where no cache holds it.
import { describe, expect, it } from 'vitest';
import type { RestClient } from '../../../src/kube/rest.js';
import { observeRollout, type RolloutCaches } from '../../../src/rollout/observe.js';
import type { ObservedRolloutObject } from '../../../src/rollout/plan.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';
import { recordingClient } from '../support/rest.js';

const rollout = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'shop', uid: 'u1' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    strategy: { canary: { canaryService: 'web-canary', stableService: 'web-stable' } },
  },
} as unknown as ObservedRolloutObject;

const owner = (controller: boolean) => ({
  metadata: {
    ownerReferences: [
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: 'u1', controller },
    ],
  },
});
const rs = (name: string, controller: boolean): ReplicaSet => ({
  metadata: { name, ...owner(controller).metadata },
});
const svc = (name: string, annotations?: Record<string, string>): Service => ({
  metadata: { name, namespace: 'shop', ...(annotations ? { annotations } : {}) },
});

function caches(): RolloutCaches {
  return {
    replicaSets: { byOwner: () => [rs('web-a', true), rs('web-b', false)] },
    services: {
      list: () => [
        svc('web-canary'),
        svc('web-old', { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' }),
        svc('other'),
      ],
    },
    deployments: { get: () => undefined },
    analysisRuns: { byOwner: () => [] },
    templates: { available: () => ({ analysisTemplates: [], clusterAnalysisTemplates: [] }) },
    experiments: { byOwner: () => [] },
  };
}

describe('observeRollout', () => {
  it('takes controlled ReplicaSets and the named or managed Services from the caches, with no live read', async () => {
    const { client, requests } = recordingClient(() => ({ items: [] }));
    const now = new Date('2026-01-01T00:00:00Z');
    const observed = await observeRollout(client, caches(), rollout, { now });
    expect(observed.replicaSets.map((r) => r.metadata?.name)).toEqual(['web-a']);
    expect([...observed.services.keys()]).toEqual(['web-canary', 'web-old']);
    expect(observed.now).toBe(now);
    expect(observed.pods).toBeUndefined();
    expect(observed.analysis?.templates.clusterAnalysisTemplates).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('lists the pods live only while a restart is pending', async () => {
    const listed: string[] = [];
    const client = {
      async list(resource: { plural: string }, options: { labelSelector?: string }) {
        listed.push(`${resource.plural}?${options.labelSelector}`);
        return { items: [{ metadata: { name: 'web-a-1' } }] };
      },
    } as unknown as RestClient;
    const restarting = {
      ...rollout,
      spec: { ...rollout.spec, restartAt: '2025-12-31T23:00:00Z' },
    } as ObservedRolloutObject;
    const observed = await observeRollout(client, caches(), restarting, {
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(observed.pods?.map((p) => p.metadata?.name)).toEqual(['web-a-1']);
    expect(listed).toEqual(['pods?app=web']);
  });
});
