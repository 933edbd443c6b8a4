// The controller runtime of src/kube against the real local kube-apiserver: informer caches,
// label-filtered caches, Lease leader election with hand-over, Event aggregation, and the
// write helpers (status subresource, optimistic concurrency, tolerant create/delete).
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/kube/api-error.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import { apiEventSink, type CoreEvent, EventRecorder } from '../../src/kube/events.js';
import { Informer } from '../../src/kube/informer.js';
import { apiLeaseStore, LeaderElector, type Lease } from '../../src/kube/leader-election.js';
import { apiListWatch } from '../../src/kube/list-watch.js';
import type { KubeObject } from '../../src/kube/object.js';
import {
  createJsonPatch,
  createObject,
  deleteObject,
  jsonPatch,
  mergePatch,
  patchStatus,
  strategicMergePatch,
  updateObject,
} from '../../src/kube/patch.js';
import { RequestCounter } from '../../src/kube/request-counter.js';
import { type ApiResource, coreResources } from '../../src/kube/resource.js';
import { RestClient } from '../../src/kube/rest.js';
import { canaryRollout } from './support/manifests.js';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

interface Rollout extends KubeObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const rollouts: ApiResource = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'rollouts',
  kind: 'Rollout',
  namespaced: true,
};
const configMaps = coreResources.configMaps;
const namespace = `kube-runtime-${Date.now().toString(36)}`;
const wait = { timeout: 15_000, interval: 50 };

let client: RestClient;
let counter: RequestCounter;
const stopInformers: (() => void)[] = [];

function configMap(name: string, labels?: Record<string, string>, extra: Partial<ConfigMap> = {}): ConfigMap {
  return { metadata: { name, namespace, labels }, data: { key: 'value' }, ...extra };
}

function startInformer<T extends KubeObject>(resource: ApiResource, labelSelector?: string): Informer<T> {
  const informer = new Informer<T>(apiListWatch<T>(client, resource, { namespace, labelSelector }), {
    onError: (error) => console.error(error),
  });
  stopInformers.push(() => informer.stop());
  informer.start();
  return informer;
}

beforeAll(async () => {
  const { kubeConfig } = loadKubeConfig({ path: inject('kubeconfig') });
  counter = new RequestCounter();
  client = new RestClient(kubeConfig, { requestCounter: counter });
  await createObject(client, coreResources.namespaces, { metadata: { name: namespace } });
});

afterAll(async () => {
  for (const stop of stopInformers) {
    stop();
  }
  if (client) {
    await deleteObject(
      client,
      { resource: coreResources.namespaces, name: namespace },
      { ifMissing: 'ignore' },
    );
  }
});

describe('informer', () => {
  it('sees ConfigMaps created, updated and deleted, and indexes them by owner', async () => {
    // Given an informer on ConfigMaps in the namespace
    const informer = startInformer<ConfigMap>(configMaps);
    const seen: string[] = [];
    informer.addHandlers({
      add: (o) => seen.push(`add ${o.metadata?.name}`),
      update: (a, b) => {
        if (a.metadata?.resourceVersion !== b.metadata?.resourceVersion) {
          seen.push(`update ${b.metadata?.name} ${b.data?.key}`);
        }
      },
      delete: (o) => seen.push(`delete ${o.metadata?.name}`),
    });
    await informer.waitForSync(10_000);

    // When a ConfigMap is created, changed and deleted
    const owner = await createObject(client, configMaps, configMap('owner'));
    await mergePatch(
      client,
      { resource: configMaps, namespace, name: 'owner' },
      { data: { key: 'changed' } },
    );
    await deleteObject(client, { resource: configMaps, namespace, name: 'owner' });

    // Then the handlers see each step (kube-root-ca.crt, which the controller-manager puts in
    // every namespace, aside) and the cache ends without it
    const ownerEvents = () => seen.filter((line) => line.includes(' owner'));
    await vi.waitFor(
      () => expect(ownerEvents()).toEqual(['add owner', 'update owner changed', 'delete owner']),
      wait,
    );
    expect(informer.get(namespace, 'owner')).toBeUndefined();

    // And objects owned by a UID are found through the owner index, without a live list
    const parent = await createObject(client, configMaps, configMap('parent'));
    const ownerRef = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'parent',
      uid: parent.metadata?.uid ?? '',
      controller: true,
    };
    await createObject(client, configMaps, {
      ...configMap('child'),
      metadata: { name: 'child', namespace, ownerReferences: [ownerRef] },
    });
    await vi.waitFor(
      () => expect(informer.byOwner(ownerRef.uid).map((o) => o.metadata?.name)).toEqual(['child']),
      wait,
    );
    expect(informer.byOwner(owner.metadata?.uid ?? '')).toEqual([]);
    // List items come back with apiVersion/kind filled in, like watch events.
    expect(informer.get(namespace, 'parent')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
  });

  it('holds only labeled objects when given a label selector', async () => {
    // Given a cache of objects carrying rollouts-pod-template-hash (as the ReplicaSet cache does)
    await createObject(
      client,
      configMaps,
      configMap('pre-existing', { 'rollouts-pod-template-hash': 'abc123' }),
    );
    const informer = startInformer<ConfigMap>(configMaps, 'rollouts-pod-template-hash');
    await informer.waitForSync(10_000);
    expect(informer.get(namespace, 'pre-existing')).toBeDefined();

    // When one labeled and one unlabeled object are created
    await createObject(client, configMaps, configMap('hashed', { 'rollouts-pod-template-hash': 'def456' }));
    await createObject(client, configMaps, configMap('plain'));

    // Then only the labeled one is cached
    await vi.waitFor(() => expect(informer.get(namespace, 'hashed')).toBeDefined(), wait);
    expect(informer.get(namespace, 'plain')).toBeUndefined();

    // And removing the label drops it from the cache (the server sends DELETED)
    await mergePatch(
      client,
      { resource: configMaps, namespace, name: 'hashed' },
      { metadata: { labels: { 'rollouts-pod-template-hash': null } } },
    );
    await vi.waitFor(() => expect(informer.get(namespace, 'hashed')).toBeUndefined(), wait);
    expect(informer.list(namespace).every((o) => o.metadata?.labels?.['rollouts-pod-template-hash'])).toBe(
      true,
    );
  });

  it("caches objects without managedFields, and an update from the cache keeps the server's", async () => {
    // Given an object created by us (the server records a managedFields entry for it), cached
    await createObject(client, configMaps, configMap('managed'));
    const informer = startInformer<ConfigMap>(configMaps);
    await informer.waitForSync(10_000);
    await vi.waitFor(() => expect(informer.get(namespace, 'managed')).toBeDefined(), wait);

    // Then the cached copy (from the list, then from a watch event) carries no managedFields
    expect(informer.get(namespace, 'managed')?.metadata).not.toHaveProperty('managedFields');
    await mergePatch(client, { resource: configMaps, namespace, name: 'managed' }, { data: { key: 'v2' } });
    await vi.waitFor(() => expect(informer.get(namespace, 'managed')?.data?.key).toBe('v2'), wait);
    expect(informer.get(namespace, 'managed')?.metadata).not.toHaveProperty('managedFields');

    // And a PUT of the cached object leaves the server's managedFields in place
    const cached = informer.get(namespace, 'managed') as ConfigMap;
    await updateObject(client, configMaps, { ...cached, data: { key: 'v3' } });
    const live = await client.get<ConfigMap & { metadata: { managedFields?: unknown[] } }>(
      configMaps,
      namespace,
      'managed',
    );
    expect(live.data?.key).toBe('v3');
    expect(live.metadata.managedFields?.length ?? 0).toBeGreaterThan(0);
  });
});

describe('leader election', () => {
  it('lets one of two electors lead and hands over at once on release', async () => {
    // Given two electors on one Lease (fast retries; the lease itself lasts 15 s)
    const store = apiLeaseStore(client, { namespace, name: 'slipway-controller' });
    const log: string[] = [];
    const elector = (identity: string) =>
      new LeaderElector({
        store,
        identity,
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 0.5,
        onStartedLeading: () => log.push(`${identity} started`),
        onStoppedLeading: () => log.push(`${identity} stopped`),
        onError: (error) => log.push(`${identity} error: ${error.message}`),
      });
    const a = elector('e2e-a');
    const b = elector('e2e-b');
    const aRun = a.run();
    await vi.waitFor(() => expect(a.isLeader()).toBe(true), wait);
    const bRun = b.run();

    // When a few renewals pass, then only a leads
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(b.isLeader()).toBe(false);
    const held = await client.get<Lease>(coreResources.leases, namespace, 'slipway-controller');
    expect(held.spec).toMatchObject({
      holderIdentity: 'e2e-a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });

    // When a releases, b takes over well before the 15 s lease would have expired
    const releasedAt = Date.now();
    await a.release();
    await aRun;
    await vi.waitFor(() => expect(b.isLeader()).toBe(true), wait);
    expect(Date.now() - releasedAt).toBeLessThan(5_000);
    const taken = await client.get<Lease>(coreResources.leases, namespace, 'slipway-controller');
    expect(taken.spec).toMatchObject({ holderIdentity: 'e2e-b', leaseTransitions: 1 });

    await b.release();
    await bRun;
    const released = await client.get<Lease>(coreResources.leases, namespace, 'slipway-controller');
    expect(released.spec?.holderIdentity ?? '').toBe('');
    expect(log.filter((line) => !line.includes('error'))).toEqual([
      'e2e-a started',
      'e2e-a stopped',
      'e2e-b started',
      'e2e-b stopped',
    ]);
  });
});

describe('events', () => {
  it('aggregates repeated events on an object into one core/v1 Event with a count', async () => {
    // Given a recorder writing to the API server and an object to report on
    const subject = await createObject(client, configMaps, configMap('event-subject'));
    const errors: string[] = [];
    const recorder = new EventRecorder({
      sink: apiEventSink(client),
      onError: (e) => errors.push(e.message),
    });
    const object = { ...subject, apiVersion: 'v1', kind: 'ConfigMap' };

    // When the same warning is recorded three times and a different one once
    for (let i = 0; i < 3; i++) {
      await recorder.warning(object, 'RolloutAborted', 'Rollout aborted update to revision 2');
    }
    await recorder.normal(object, 'RolloutResumed', 'Rollout is resumed');

    // Then there are two Events, the repeated one with count 3
    expect(errors).toEqual([]);
    const { items } = await client.list<CoreEvent>(coreResources.events, {
      namespace,
      fieldSelector: 'involvedObject.name=event-subject',
    });
    const byReason = Object.fromEntries(items.map((e) => [e.reason, e]));
    expect(items).toHaveLength(2);
    expect(byReason.RolloutAborted).toMatchObject({
      type: 'Warning',
      count: 3,
      reportingComponent: 'slipway-controller',
      involvedObject: { kind: 'ConfigMap', name: 'event-subject', uid: subject.metadata?.uid },
    });
    expect(byReason.RolloutResumed?.count).toBe(1);
  });
});

describe('writes', () => {
  it('patches status through the subresource and surfaces stale writes as ConflictError', async () => {
    // Given a Rollout (a custom resource with the status subresource)
    const created = await createObject<Rollout>(
      client,
      rollouts,
      canaryRollout(
        namespace,
        'web',
        { steps: [{ setWeight: 20 }, { pause: {} }] },
        { replicas: 1, image: 'nginx:1.27' },
      ),
    );
    const target = { resource: rollouts, namespace, name: 'web' };

    // When status is patched through /status
    const patched = await patchStatus<Rollout>(client, target, {
      phase: 'Paused',
      message: 'CanaryPauseStep',
    });

    // Then status changed and spec did not
    expect(patched.status).toMatchObject({ phase: 'Paused', message: 'CanaryPauseStep' });
    expect(patched.spec?.replicas).toBe(1);
    // And status sent to the main resource is ignored
    const mainWrite = await mergePatch<Rollout>(client, target, {
      status: { phase: 'Healthy' },
      spec: { replicas: 2 },
    });
    expect(mainWrite.status?.phase).toBe('Paused');
    expect(mainWrite.spec?.replicas).toBe(2);

    // And writes based on the stale first read are rejected as conflicts
    await expect(
      patchStatus(
        client,
        target,
        { phase: 'Degraded' },
        { resourceVersion: created.metadata?.resourceVersion },
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      updateObject(client, rollouts, { ...created, spec: { ...created.spec, replicas: 5 } }),
    ).rejects.toThrow(/the object changed since it was read; re-read it and retry/);
    await expect(
      updateObject(client, rollouts, { ...created, spec: { ...created.spec, replicas: 5 } }),
    ).rejects.toBeInstanceOf(ConflictError);
    // While an update from the current version goes through
    const current = await client.get<Rollout>(rollouts, namespace, 'web');
    const updated = await updateObject(client, rollouts, {
      ...current,
      spec: { ...current.spec, replicas: 3 },
    });
    expect(updated.spec?.replicas).toBe(3);
  });

  it('applies JSON and strategic merge patches, and tolerates AlreadyExists/NotFound when asked', async () => {
    const before = await createObject(
      client,
      configMaps,
      configMap('patched', undefined, { data: { a: '1', b: '2' } }),
    );
    const target = { resource: configMaps, namespace, name: 'patched' };

    const after = { ...before, data: { a: '1', c: '3' } };
    const jsonPatched = await jsonPatch<ConfigMap>(client, target, createJsonPatch(before, after));
    expect(jsonPatched.data).toEqual({ a: '1', c: '3' });

    const strategic = await strategicMergePatch<ConfigMap>(client, target, {
      metadata: { labels: { team: 'shop' } },
    });
    expect(strategic.metadata?.labels).toEqual({ team: 'shop' });

    await expect(
      createObject(client, configMaps, configMap('patched'), { ifExists: 'ignore' }),
    ).resolves.toBeUndefined();
    await expect(createObject(client, configMaps, configMap('patched'))).rejects.toThrow(/already exists/);
    expect(await deleteObject(client, target)).toBe(true);
    expect(await deleteObject(client, target, { ifMissing: 'ignore' })).toBe(false);
    await expect(deleteObject(client, target)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('counts every request by verb, resource and status code', () => {
    const snapshot = counter.snapshot();
    const count = (verb: string, resource: string, statusCode: number) =>
      snapshot
        .filter((c) => c.verb === verb && c.resource === resource && c.statusCode === statusCode)
        .reduce((sum, c) => sum + c.count, 0);
    expect(count('create', 'configmaps', 201)).toBeGreaterThan(3);
    expect(count('patch', 'rollouts', 200)).toBeGreaterThan(0);
    expect(count('patch', 'rollouts', 409)).toBe(1);
    expect(count('update', 'rollouts', 409)).toBe(2);
    expect(count('delete', 'configmaps', 404)).toBe(2);
    expect(count('watch', 'configmaps', 200)).toBeGreaterThan(1);
    expect(count('list', 'configmaps', 200)).toBeGreaterThan(1);
  });
});
