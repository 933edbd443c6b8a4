import { describe, expect, it } from 'vitest';
import { Informer, type ListWatchSource, type WatchEvent } from '../../../src/kube/informer.js';
import type { KubeObject } from '../../../src/kube/object.js';
import { FakeClock, settle } from './fake-clock.js';

interface ReplicaSet extends KubeObject {
  spec?: { replicas?: number };
}

function replicaSet(
  name: string,
  resourceVersion: string,
  ownerUid?: string,
  namespace = 'shop',
): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace,
      resourceVersion,
      uid: `uid-${name}`,
      ownerReferences: ownerUid
        ? [
            {
              apiVersion: 'argoproj.io/v1alpha1',
              kind: 'Rollout',
              name: 'web',
              uid: ownerUid,
              controller: true,
            },
          ]
        : undefined,
    },
  };
}

/** A scripted API server: lists return `items`, watches are driven by the test. */
class FakeSource implements ListWatchSource<ReplicaSet> {
  readonly description = 'replicasets.apps in all namespaces';
  items: ReplicaSet[] = [];
  resourceVersion = '1';
  listCalls = 0;
  listError: Error | undefined;
  watchFrom: string[] = [];
  private current: { onEvent(e: WatchEvent<ReplicaSet>): void; onClose(error?: unknown): void } | undefined;
  stopped = 0;

  async list() {
    this.listCalls += 1;
    if (this.listError) {
      throw this.listError;
    }
    return { items: [...this.items], resourceVersion: this.resourceVersion };
  }

  async watch(
    resourceVersion: string,
    onEvent: (e: WatchEvent<ReplicaSet>) => void,
    onClose: (error?: unknown) => void,
  ) {
    this.watchFrom.push(resourceVersion);
    const session = { onEvent, onClose };
    this.current = session;
    return {
      stop: () => {
        this.stopped += 1;
        if (this.current === session) {
          this.current = undefined;
        }
      },
    };
  }

  send(event: WatchEvent<ReplicaSet>): void {
    if (!this.current) {
      throw new Error('no watch is open');
    }
    this.current.onEvent(event);
  }

  close(error?: unknown): void {
    const session = this.current;
    this.current = undefined;
    session?.onClose(error);
  }

  get watching(): boolean {
    return this.current !== undefined;
  }
}

function recordEvents(informer: Informer<ReplicaSet>): string[] {
  const log: string[] = [];
  informer.addHandlers({
    add: (o) => log.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    update: (a, b) =>
      log.push(`update ${a.metadata?.name}@${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
    delete: (o) => log.push(`delete ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
  });
  return log;
}

async function started(options: ConstructorParameters<typeof Informer<ReplicaSet>>[1] = {}) {
  const clock = new FakeClock();
  const source = new FakeSource();
  const errors: string[] = [];
  const informer = new Informer(source, { clock, onError: (e) => errors.push(e.message), ...options });
  return { clock, source, informer, errors };
}

describe('Informer', () => {
  it('lists, syncs, then applies watch events from the list resourceVersion', async () => {
    const { source, informer } = await started();
    source.items = [replicaSet('web-abc', '5')];
    source.resourceVersion = '7';
    const log = recordEvents(informer);
    informer.start();
    await informer.waitForSync();
    await settle();
    expect(informer.hasSynced()).toBe(true);
    expect(source.watchFrom).toEqual(['7']);

    source.send({ type: 'ADDED', object: replicaSet('web-def', '8') });
    source.send({ type: 'MODIFIED', object: replicaSet('web-abc', '9') });
    source.send({ type: 'DELETED', object: replicaSet('web-def', '10') });
    source.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } });

    expect(log).toEqual(['add web-abc@5', 'add web-def@8', 'update web-abc@5->9', 'delete web-def@10']);
    expect(informer.list().map((o) => o.metadata?.name)).toEqual(['web-abc']);
    expect(informer.get('shop', 'web-abc')?.metadata?.resourceVersion).toBe('9');
    expect(informer.lastSyncResourceVersion()).toBe('12');
  });

  it('relists on a 410 Expired watch event and emits only the differences', async () => {
    const { source, informer } = await started();
    source.items = [replicaSet('keep', '1'), replicaSet('change', '1'), replicaSet('gone', '1')];
    informer.start();
    await informer.waitForSync();
    await settle();
    const log = recordEvents(informer);
    log.length = 0; // drop the replayed adds

    source.items = [replicaSet('keep', '1'), replicaSet('change', '20'), replicaSet('new', '21')];
    source.resourceVersion = '22';
    source.send({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (15)' },
    });
    await settle();

    expect(source.listCalls).toBe(2);
    expect(source.watchFrom).toEqual(['1', '22']);
    expect(log.sort()).toEqual(['add new@21', 'delete gone@1', 'update change@1->20']);
  });

  it('relists when the watch request itself fails with HTTP 410', async () => {
    const { source, informer } = await started();
    informer.start();
    await informer.waitForSync();
    await settle();
    source.close(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await settle();
    expect(source.listCalls).toBe(2);
  });

  it('re-watches from the last resourceVersion with growing backoff after errors', async () => {
    const { source, informer, clock, errors } = await started({ backoff: { initialMs: 100, maxMs: 400 } });
    informer.start();
    await informer.waitForSync();
    await settle();
    source.send({ type: 'ADDED', object: replicaSet('web', '3') });

    const reconnectDelays: number[] = [];
    for (let i = 0; i < 4; i++) {
      source.close(new Error('socket hang up'));
      const closedAt = clock.now();
      await clock.advanceToNextTimer();
      reconnectDelays.push(clock.now() - closedAt);
    }
    expect(reconnectDelays).toEqual([100, 200, 400, 400]);
    expect(source.watchFrom.at(-1)).toBe('3');
    expect(source.listCalls).toBe(1);
    expect(errors[0]).toMatch(/replicasets.apps in all namespaces: watch failed: socket hang up/);

    // A delivered event resets the backoff.
    source.send({ type: 'MODIFIED', object: replicaSet('web', '4') });
    source.close(new Error('again'));
    const closedAt = clock.now();
    await clock.advanceToNextTimer();
    expect(clock.now() - closedAt).toBe(100);
  });

  it('retries a failing list and syncs once it succeeds', async () => {
    const { source, informer, clock } = await started({ backoff: { initialMs: 50 } });
    source.listError = new Error('connection refused');
    informer.start();
    await settle();
    expect(informer.hasSynced()).toBe(false);
    source.listError = undefined;
    await clock.advance(50);
    expect(informer.hasSynced()).toBe(true);
    expect(source.listCalls).toBe(2);
  });

  it('re-watches at once after a normal server-side close', async () => {
    const { source, informer, clock } = await started();
    informer.start();
    await informer.waitForSync();
    await settle();
    source.send({ type: 'ADDED', object: replicaSet('web', '2') });
    await clock.advance(300_000);
    source.close();
    await settle();
    expect(source.watching).toBe(true);
    expect(source.watchFrom).toEqual(['1', '2']);
  });

  it('indexes objects by owner UID and by namespace', async () => {
    const { source, informer } = await started();
    source.items = [
      replicaSet('web-1', '1', 'rollout-web'),
      replicaSet('web-2', '1', 'rollout-web'),
      replicaSet('api-1', '1', 'rollout-api'),
      replicaSet('other', '1', undefined, 'other-ns'),
    ];
    informer.start();
    await informer.waitForSync();
    await settle();
    const names = (objects: ReplicaSet[]) => objects.map((o) => o.metadata?.name).sort();
    expect(names(informer.byOwner('rollout-web'))).toEqual(['web-1', 'web-2']);
    expect(names(informer.list('other-ns'))).toEqual(['other']);

    // Adoption changes the owner; deletion leaves the index.
    source.send({ type: 'MODIFIED', object: replicaSet('api-1', '2', 'rollout-web') });
    source.send({ type: 'DELETED', object: replicaSet('web-1', '3', 'rollout-web') });
    expect(names(informer.byOwner('rollout-web'))).toEqual(['api-1', 'web-2']);
    expect(informer.byOwner('rollout-api')).toEqual([]);
    expect(() => informer.byIndex('nope', 'x')).toThrow(/no index "nope"; known: namespace, ownerUid/);
  });

  it('supports extra indexers', async () => {
    const { source, informer } = await started({
      indexers: { replicas: (o: ReplicaSet) => [String(o.spec?.replicas ?? 0)] },
    });
    source.items = [{ ...replicaSet('a', '1'), spec: { replicas: 3 } }, replicaSet('b', '1')];
    informer.start();
    await informer.waitForSync();
    expect(informer.byIndex('replicas', '3').map((o) => o.metadata?.name)).toEqual(['a']);
  });

  it('re-emits every object as an update on each resync period', async () => {
    const { source, informer, clock } = await started({ resyncPeriodMs: 60_000 });
    source.items = [replicaSet('a', '1'), replicaSet('b', '2')];
    informer.start();
    await informer.waitForSync();
    await settle();
    const log = recordEvents(informer);
    log.length = 0;
    await clock.advance(59_999);
    expect(log).toEqual([]);
    await clock.advance(1);
    expect(log).toEqual(['update a@1->1', 'update b@2->2']);
    await clock.advance(60_000);
    expect(log).toHaveLength(4);
  });

  it('replays the cache to handlers added after sync and survives a throwing handler', async () => {
    const { source, informer, errors } = await started();
    source.items = [replicaSet('a', '1')];
    informer.start();
    await informer.waitForSync();
    await settle();
    informer.addHandlers({
      add: () => {
        throw new Error('handler bug');
      },
    });
    const log = recordEvents(informer);
    expect(log).toEqual(['add a@1']);
    source.send({ type: 'ADDED', object: replicaSet('b', '2') });
    expect(log).toEqual(['add a@1', 'add b@2']);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/add handler failed: handler bug/);
  });

  it('stop() closes the watch, ignores late events and rejects sync waiters', async () => {
    const { source, informer, clock } = await started();
    source.listError = new Error('forbidden');
    informer.start();
    const waiting = informer.waitForSync();
    informer.stop();
    await expect(waiting).rejects.toThrow(/stopped before the cache synced/);
    expect(clock.pendingTimers()).toBe(0);

    const second = await started();
    second.informer.start();
    await second.informer.waitForSync();
    await settle();
    second.informer.stop();
    expect(second.source.stopped).toBe(1);
  });

  it('waitForSync times out naming the last error', async () => {
    const { source, informer, clock } = await started();
    source.listError = new Error('replicasets.apps is forbidden');
    informer.start();
    const waiting = informer.waitForSync(5_000);
    const assertion = expect(waiting).rejects.toThrow(
      /cache not synced after 5000 ms; last error: .*list failed: replicasets.apps is forbidden/,
    );
    await clock.advance(5_000);
    await assertion;
    informer.stop();
  });
});
