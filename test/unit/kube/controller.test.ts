// The controller runtime: one shared cache per resource and scope, and the builder that wakes
// a controller's keys from its primary kind, the objects it owns and the ones it watches.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ControllerBuilder, controllerOwnerKey, WrittenOver } from '../../../src/kube/controller.js';
import type { ListWatchSource, WatchEvent } from '../../../src/kube/informer.js';
import { InformerCache } from '../../../src/kube/informer-cache.js';
import type { KubeObject } from '../../../src/kube/object.js';
import { type ApiResource, coreResources } from '../../../src/kube/resource.js';
import { specChanged } from '../../../src/rollout/controller.js';
import { deferred, FakeClock, settle } from './fake-clock.js';

const ROLLOUTS: ApiResource = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'rollouts',
  kind: 'Rollout',
  namespaced: true,
};

function object(kind: string, name: string, rv = '1', owner?: { kind: string; name: string }): KubeObject {
  return {
    kind,
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      resourceVersion: rv,
      ...(owner && {
        ownerReferences: [
          { apiVersion: 'v1', kind: owner.kind, name: owner.name, uid: 'x', controller: true },
        ],
      }),
    },
  };
}

/** A scripted API server per resource: lists return `items`, watch events are sent by the test. */
class FakeApi {
  readonly items = new Map<string, KubeObject[]>();
  readonly listCalls: string[] = [];
  private readonly watchers = new Map<string, (event: WatchEvent<KubeObject>) => void>();
  /** Lists of these plurals never answer (an API server that is down). */
  readonly hanging = new Set<string>();

  source = (resource: ApiResource, scope: { labelSelector?: string }): ListWatchSource<KubeObject> => {
    const key = `${resource.plural}${scope.labelSelector ? `?${scope.labelSelector}` : ''}`;
    return {
      description: key,
      list: async () => {
        this.listCalls.push(key);
        if (this.hanging.has(resource.plural)) await new Promise(() => {});
        return { items: [...(this.items.get(resource.plural) ?? [])], resourceVersion: '1' };
      },
      watch: async (_rv, onEvent) => {
        this.watchers.set(key, onEvent);
        return { stop: () => this.watchers.delete(key) };
      },
    };
  };

  send(key: string, event: WatchEvent<KubeObject>): void {
    const watcher = this.watchers.get(key);
    if (!watcher) throw new Error(`no watch on ${key}`);
    watcher(event);
  }
}

const logger = pino({ level: 'silent' });

function setUp() {
  const api = new FakeApi();
  const caches = new InformerCache(undefined, { onError: () => {}, listWatch: api.source });
  return { api, caches };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i += 1) await settle();
  expect(check()).toBe(true);
}

describe('InformerCache', () => {
  it('gives every user of one resource and scope the same informer, listed once', async () => {
    const { api, caches } = setUp();
    const a = caches.informer(ROLLOUTS, { labelSelector: '!instance' });
    const b = caches.informer(ROLLOUTS, { labelSelector: '!instance' });
    const other = caches.informer(ROLLOUTS, { labelSelector: 'instance=a' });
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    a.start();
    b.start();
    await a.waitForSync();
    expect(api.listCalls).toEqual(['rollouts?!instance']);
    expect(caches.size()).toBe(2);
    caches.stop();
    expect(() => caches.informer(ROLLOUTS)).toThrow(/after stop/);
  });

  it('adds a second user’s index over what is already cached, and refuses a clashing one', async () => {
    const { api, caches } = setUp();
    api.items.set('replicasets', [object('ReplicaSet', 'web-1'), object('ReplicaSet', 'api-1')]);
    const first = caches.informer(coreResources.replicaSets);
    first.start();
    await first.waitForSync();
    const byApp = (o: KubeObject) => [o.metadata?.name?.split('-')[0] ?? ''];
    const shared = caches.informer(coreResources.replicaSets, {}, { app: byApp });
    expect(shared.byIndex('app', 'web').map((o) => o.metadata?.name)).toEqual(['web-1']);
    caches.informer(coreResources.replicaSets, {}, { app: byApp });
    expect(() => caches.informer(coreResources.replicaSets, {}, { app: () => [] })).toThrow(
      /already defined/,
    );
    caches.stop();
  });
});

describe('ControllerBuilder', () => {
  it('wakes the primary key, the owner of owned objects and the keys a watch maps to', async () => {
    const { api, caches } = setUp();
    api.items.set('rollouts', [object('Rollout', 'web')]);
    const rollouts = caches.informer(ROLLOUTS);
    const replicaSets = caches.informer(coreResources.replicaSets);
    const services = caches.informer(coreResources.services);
    const seen: string[] = [];
    const running = await new ControllerBuilder({ name: 'rollouts', logger, keyField: 'rollout' })
      .for(rollouts)
      .owns(replicaSets, 'Rollout', {
        update: (old, rs) => old.metadata?.resourceVersion !== rs.metadata?.resourceVersion,
      })
      .watches(services, (svc) => [`shop/${svc.metadata?.annotations?.for}`], { delete: false })
      .start((key) => {
        seen.push(key);
      });
    await until(() => seen.length === 1);
    expect(seen).toEqual(['shop/web']);

    const rs = object('ReplicaSet', 'web-1', '2', { kind: 'Rollout', name: 'api' });
    api.send('replicasets', { type: 'ADDED', object: rs });
    await until(() => seen.length === 2);
    // Same resourceVersion: the filter lets it pass by; a Deployment-owned one wakes nobody.
    api.send('replicasets', { type: 'MODIFIED', object: rs });
    api.send('replicasets', {
      type: 'ADDED',
      object: object('ReplicaSet', 'x-1', '3', { kind: 'Deployment', name: 'x' }),
    });
    const svc = {
      ...object('Service', 'web-svc'),
      metadata: { ...object('Service', 'web-svc').metadata, annotations: { for: 'db' } },
    };
    api.send('services', { type: 'ADDED', object: svc });
    api.send('services', { type: 'DELETED', object: svc });
    await until(() => seen.length === 3);
    await settle();
    expect(seen).toEqual(['shop/web', 'shop/api', 'shop/db']);

    await running.stop();
    api.send('rollouts', { type: 'ADDED', object: object('Rollout', 'late') });
    await settle();
    expect(seen).not.toContain('shop/late');
    caches.stop();
  });

  it('puts a primary update the urgent predicate picks (a new spec) ahead of queued keys', async () => {
    const { api, caches } = setUp();
    const withGeneration = (name: string, generation: number, rv: string): KubeObject => {
      const o = object('Rollout', name, rv);
      return { ...o, metadata: { ...o.metadata, generation } };
    };
    api.items.set(
      'rollouts',
      ['a', 'b', 'c', 'd'].map((name) => withGeneration(name, 1, '1')),
    );
    const gate = deferred();
    const seen: string[] = [];
    const running = await new ControllerBuilder({ name: 'r', logger, keyField: 'rollout', workers: 1 })
      .for(caches.informer(ROLLOUTS), { urgent: specChanged })
      .start(async (key) => {
        seen.push(key);
        if (seen.length === 1) await gate.promise;
      });
    await until(() => seen.length === 1); // 'a' holds the only worker; b, c, d wait
    api.send('rollouts', { type: 'MODIFIED', object: withGeneration('c', 1, '2') }); // status only
    api.send('rollouts', { type: 'MODIFIED', object: withGeneration('d', 2, '3') }); // new spec
    gate.resolve();
    await until(() => seen.length === 4);
    expect(seen).toEqual(['shop/a', 'shop/d', 'shop/b', 'shop/c']);
    await running.stop();
    caches.stop();
  });

  it('resyncs every primary object on its period', async () => {
    const { api, caches } = setUp();
    api.items.set('rollouts', [object('Rollout', 'a'), object('Rollout', 'b')]);
    const clock = new FakeClock();
    const seen: string[] = [];
    const running = await new ControllerBuilder({ name: 'r', logger, keyField: 'rollout', clock })
      .for(caches.informer(ROLLOUTS), { resyncMs: 60_000 })
      .start((key) => {
        seen.push(key);
      });
    await until(() => seen.length === 2);
    await clock.advance(60_000);
    await until(() => seen.length === 4);
    expect(seen.sort()).toEqual(['shop/a', 'shop/a', 'shop/b', 'shop/b']);
    await running.stop();
    expect(clock.pendingTimers()).toBe(0);
    caches.stop();
  });

  it('gives up waiting for caches when leadership ends', async () => {
    const { api, caches } = setUp();
    api.hanging.add('rollouts');
    const leadership = new AbortController();
    const starting = new ControllerBuilder({
      name: 'r',
      logger,
      keyField: 'rollout',
      signal: leadership.signal,
    })
      .for(caches.informer(ROLLOUTS))
      .start(() => {});
    leadership.abort();
    await expect(starting).rejects.toThrow(/stopped leading/);
    caches.stop();
  });

  it('finds the controller owner of a given kind only', () => {
    const rs = object('ReplicaSet', 'web-1', '1', { kind: 'Rollout', name: 'web' });
    expect(controllerOwnerKey(rs, 'Rollout')).toBe('shop/web');
    expect(controllerOwnerKey(rs, 'Experiment')).toBeUndefined();
  });
});

describe('WrittenOver', () => {
  it('skips the cached copy our write replaced until the cache moves on', () => {
    const written = new WrittenOver();
    const run = object('AnalysisRun', 'web-1', '7');
    expect(written.isStale('shop/web-1', run)).toBe(false);
    written.wrote('shop/web-1', run);
    expect(written.isStale('shop/web-1', run)).toBe(true);
    expect(written.isStale('shop/web-1', object('AnalysisRun', 'web-1', '8'))).toBe(false);
    // Forgotten once the cache moved on: the old version is not stale any more.
    expect(written.isStale('shop/web-1', run)).toBe(false);
    const unversioned: KubeObject = { metadata: { name: 'x', namespace: 'shop' } };
    expect(written.isStale('shop/x', unversioned)).toBe(false);
  });
});
