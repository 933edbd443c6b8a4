// What a repository sync costs on the Kubernetes side: ImageWatch writes are read from the
// informer's copy and patched on its resourceVersion (a GET only after a conflict), together with
// the conditions they imply; a sync that changes nothing writes nothing; an Event is said once.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { GitTarget, ImageWatch } from '../../../../src/api/gitsync.js';
import { type GitTargetDeps, syncGitTarget } from '../../../../src/gitsync/gittarget/reconciler.js';
import { KeyedMutex } from '../../../../src/gitsync/gittarget/workspace/keyed-mutex.js';
import { conditionsAfterWrites } from '../../../../src/gitsync/imagewatch/reconciler.js';
import { createGitSyncMetrics } from '../../../../src/gitsync/metrics.js';
import { ConflictError } from '../../../../src/kube/api-error.js';
import type { EventRecorder } from '../../../../src/kube/events.js';
import type { RestClient } from '../../../../src/kube/rest.js';
import type { Logger } from '../../../../src/process/logger.js';

const NOW = Date.parse('2026-12-07T01:00:00Z');

function target(status?: GitTarget['status']): GitTarget {
  return {
    metadata: { name: 'platform', namespace: 'shop', generation: 1, resourceVersion: '5' },
    // An invalid URL: the sync reports without touching Git.
    spec: { url: 'ftp://git.example/platform.git', branch: 'main' },
    ...(status !== undefined && { status }),
  } as GitTarget;
}

function watch(resourceVersion: string, writes?: NonNullable<ImageWatch['status']>['writes']): ImageWatch {
  return {
    metadata: { name: 'web', namespace: 'shop', generation: 1, resourceVersion },
    spec: {
      image: 'ghcr.io/acme/web',
      interval: '10m',
      policy: { strategy: 'semver', semver: { constraint: '^1' } },
      targets: [{ gitTarget: 'platform', path: 'apps/web/k.yaml', kustomize: {} }],
    },
    status: {
      observedGeneration: 1,
      latest: { tag: '1.1.0', digest: `sha256:${'a'.repeat(64)}`, image: 'ghcr.io/acme/web:1.1.0' },
      ...(writes !== undefined && { writes }),
    },
  };
}

function harness(conflicts: number, fresh: ImageWatch) {
  const requests: { method: string; path: string; body?: unknown }[] = [];
  const events: string[] = [];
  let left = conflicts;
  const client = {
    request: async (r: { method: string; path: string; body?: unknown }) => {
      requests.push(r);
      if (r.method === 'PATCH' && r.path.includes('imagewatches') && left-- > 0)
        throw new ConflictError({ method: r.method, path: r.path }, 409, undefined);
      return {};
    },
    get: async (_resource: unknown, _ns: string, _name: string) => {
      requests.push({ method: 'GET', path: 'imagewatches/web' });
      return fresh;
    },
  } as unknown as RestClient;
  const deps: GitTargetDeps = {
    client,
    events: {
      normal: async (_: unknown, reason: string) => void events.push(reason),
      warning: async (_: unknown, reason: string) => void events.push(reason),
    } as unknown as EventRecorder,
    logger: { info: () => undefined, warn: () => undefined } as unknown as Logger,
    metrics: createGitSyncMetrics(new Registry()),
    repositories: new KeyedMutex(),
    watchStatus: new KeyedMutex(),
    workDir: '/nonexistent',
    now: () => NOW,
    watchConditions: (w, writes, now) => conditionsAfterWrites(w, writes, now, () => true),
  };
  return { deps, requests, events };
}

describe('repository sync status writes', () => {
  it('patches the informer copy on its resourceVersion with the conditions, and reads only after a conflict', async () => {
    const { deps, requests, events } = harness(1, watch('8'));
    await syncGitTarget({ ...deps, currentWatch: () => watch('7') }, target(), [watch('6')]);
    const patches = requests.filter((r) => r.method === 'PATCH' && r.path.includes('imagewatches'));
    expect(
      patches.map((p) => (p.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion),
    ).toEqual(['7', '8']);
    expect(requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    const status = (
      patches[1]!.body as { status: { writes: { state: string }[]; conditions: { reason: string }[] } }
    ).status;
    expect(status.writes.map((w) => w.state)).toEqual(['Failed']);
    expect(status.conditions.find((c) => c.reason === 'WriteFailed')).toBeDefined();
    // The GitTarget reports InvalidSpec once; nothing else is said twice.
    expect(events).toEqual([]);
  });

  it('writes nothing when the writes and the GitTarget status are as they were', async () => {
    const { deps, requests } = harness(0, watch('1'));
    const first = harness(0, watch('1'));
    await syncGitTarget(first.deps, target(), [watch('1')]);
    const written = first.requests.find((r) => r.method === 'PATCH' && r.path.includes('imagewatches'))!;
    const writes = (written.body as { status: { writes: NonNullable<ImageWatch['status']>['writes'] } })
      .status.writes;
    const targetPatch = first.requests.find((r) => r.method === 'PATCH' && r.path.includes('gittargets'))!;
    const targetStatus = (targetPatch.body as { status: GitTarget['status'] }).status;

    await syncGitTarget(deps, target(targetStatus), [watch('2', writes)]);
    expect(requests).toEqual([]);
    // An hour later the GitTarget's lastSyncedAt is refreshed, still without a watch write.
    await syncGitTarget({ ...deps, now: () => NOW + 3_600_000 }, target(targetStatus), [watch('2', writes)]);
    expect(
      requests.map((r) => `${r.method} ${r.path.includes('gittargets') ? 'gittarget' : 'other'}`),
    ).toEqual(['PATCH gittarget']);
  });
});
