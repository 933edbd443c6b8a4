// apiNotifierIO against a stand-in API server on loopback (which counts the LISTs) and a real
// Informer fed by a scripted source: the controller's caches answer fetch() and extraVars()
// unless the cached copy is older than what is known to exist.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANALYSIS_RUN_KIND, apiResourceOf, ROLLOUT_KIND } from '../../../src/api/kinds.js';
import { IMAGE_WATCHES } from '../../../src/gitsync/imagewatch/reconciler.js';
import { PROMOTION_PIPELINES } from '../../../src/gitsync/promotion/controller.js';
import { Informer, type ListWatchSource, type WatchEvent } from '../../../src/kube/informer.js';
import { InformerCache } from '../../../src/kube/informer-cache.js';
import type { KubeObject } from '../../../src/kube/object.js';
import { RestClient } from '../../../src/kube/rest.js';
import { apiNotifierIO, notifiedObjectCaches } from '../../../src/notifications/controller.js';
import type { NotifiedObject, NotifierIO } from '../../../src/notifications/notifier.js';
import { json, type LoopbackApi, loopbackApi } from '../kube/loopback-api.js';

/** A list of `items`, then watch events sent by the test. */
class ScriptedSource implements ListWatchSource<KubeObject> {
  readonly description = 'scripted';
  private onEvent: ((event: WatchEvent<KubeObject>) => void) | undefined;
  constructor(private readonly items: KubeObject[]) {}
  async list() {
    return { items: this.items, resourceVersion: '1' };
  }
  async watch(_rv: string, onEvent: (event: WatchEvent<KubeObject>) => void) {
    this.onEvent = onEvent;
    return { stop: () => undefined };
  }
  send(object: KubeObject): void {
    this.onEvent?.({ type: 'MODIFIED', object });
  }
}

const rollout = (resourceVersion: string, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'shop', uid: 'u1', resourceVersion, annotations },
});

const run = (name: string, hash: string, revision: string, created: string): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AnalysisRun',
  metadata: {
    name,
    namespace: 'shop',
    resourceVersion: '3',
    creationTimestamp: created,
    labels: { 'rollouts-pod-template-hash': hash },
    annotations: { 'rollout.argoproj.io/revision': revision },
  },
});

let api: LoopbackApi;
let requests: string[];
/** What the API server holds: the Rollout at its newest version. */
let live: KubeObject;

beforeEach(async () => {
  requests = [];
  live = rollout('30', { live: 'yes' });
  api = await loopbackApi((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
      if (req.method === 'PATCH') {
        const patch = JSON.parse(body) as { metadata: { annotations: Record<string, string> } };
        live = rollout('31', { ...live.metadata?.annotations, ...patch.metadata.annotations });
        return json(res, live);
      }
      if (req.url?.includes('/analysisruns'))
        return json(res, { metadata: { resourceVersion: '40' }, items: [] });
      json(res, { metadata: { resourceVersion: '40' }, items: [live] });
    });
  });
});
afterEach(() => api.close());

async function synced(items: KubeObject[]) {
  const source = new ScriptedSource(items);
  const informer = new Informer(source);
  informer.start();
  await informer.waitForSync();
  return { source, informer };
}

function io(caches?: { rollouts?: Informer<KubeObject>; runs?: Informer<KubeObject> }): NotifierIO {
  return apiNotifierIO({
    client: new RestClient(api.kubeConfig),
    config: { configs: async () => [] },
    ...(caches && {
      caches: {
        ...(caches.rollouts && { objects: { Rollout: caches.rollouts } }),
        ...(caches.runs && { analysisRuns: caches.runs }),
      },
    }),
    warn: () => undefined,
  });
}

const lists = () => requests.filter((r) => r.startsWith('GET'));

describe('apiNotifierIO with the controller caches', () => {
  it('reads the cached Rollout when it is at least as new as the Event object', async () => {
    const { informer } = await synced([rollout('30', { cached: 'yes' })]);
    const object = await io({ rollouts: informer }).fetch('Rollout', 'shop', 'web', '30');
    expect(object?.metadata?.annotations).toEqual({ cached: 'yes' });
    expect(object?.kind).toBe('Rollout');
    expect(requests).toEqual([]);
  });

  it('LISTs when the Event object is newer than the cache (a write not yet seen)', async () => {
    const { informer } = await synced([rollout('29', { cached: 'yes' })]);
    const object = await io({ rollouts: informer }).fetch('Rollout', 'shop', 'web', '30');
    expect(object?.metadata?.annotations).toEqual({ live: 'yes' });
    expect(lists()).toEqual([
      'GET /apis/argoproj.io/v1alpha1/namespaces/shop/rollouts?fieldSelector=metadata.name=web&limit=500',
    ]);
  });

  it('after its own state write, LISTs until the cache has that write', async () => {
    const { source, informer } = await synced([rollout('30')]);
    const notifier = io({ rollouts: informer });
    await notifier.writeState(rollout('30') as NotifiedObject, '{"k":1}');
    expect((await notifier.fetch('Rollout', 'shop', 'web', '30'))?.metadata?.annotations).toEqual({
      live: 'yes',
      'notified.notifications.argoproj.io': '{"k":1}',
    });
    expect(lists()).toHaveLength(1);
    source.send(rollout('31', { cached: 'caught up' }));
    expect((await notifier.fetch('Rollout', 'shop', 'web', '30'))?.metadata?.annotations).toEqual({
      cached: 'caught up',
    });
    expect(lists()).toHaveLength(1);
  });

  it('LISTs without a cache, or before the cache synced, or when the object is not cached', async () => {
    await io().fetch('Rollout', 'shop', 'web', '30');
    const unsynced = new Informer(new ScriptedSource([rollout('30')]));
    await io({ rollouts: unsynced }).fetch('Rollout', 'shop', 'web', '30');
    const { informer } = await synced([]);
    await io({ rollouts: informer }).fetch('Rollout', 'shop', 'web', '30');
    expect(lists()).toHaveLength(3);
  });

  it("extraVars: the current revision's AnalysisRuns from the cache, newest first", async () => {
    const { informer } = await synced([
      run('old', 'abc', '2', '2026-01-01T00:00:00Z'),
      run('new', 'abc', '2', '2026-01-02T00:00:00Z'),
      run('other-hash', 'def', '2', '2026-01-03T00:00:00Z'),
      run('other-revision', 'abc', '1', '2026-01-03T00:00:00Z'),
    ]);
    const object = {
      ...rollout('30', { 'rollout.argoproj.io/revision': '2' }),
      status: { currentPodHash: 'abc' },
    };
    const vars = await io({ runs: informer }).extraVars(object);
    expect((vars.analysisRuns as KubeObject[]).map((r) => r.metadata?.name)).toEqual(['new', 'old']);
    expect(requests).toEqual([]);
    await io().extraVars(object);
    expect(lists()).toEqual([
      'GET /apis/argoproj.io/v1alpha1/namespaces/shop/analysisruns?labelSelector=rollouts-pod-template-hash=abc&limit=500',
    ]);
  });
});

describe('notifiedObjectCaches: the process caches fetch() reads', () => {
  /** Informers as the process makes them (one per resource and scope), fed by scripted sources. */
  const processCaches = (items: Record<string, KubeObject[]>) =>
    new InformerCache(undefined, {
      onError: () => undefined,
      listWatch: (resource) => new ScriptedSource(items[resource.plural] ?? []),
    });
  const imageWatch: KubeObject = {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'ImageWatch',
    metadata: { name: 'web', namespace: 'shop', uid: 'w1', resourceVersion: '30' },
  };

  it("git-sync's ImageWatches and PromotionPipelines: the informers its controllers read, so no LIST", async () => {
    for (const namespace of [undefined, 'shop']) {
      const caches = processCaches({ imagewatches: [imageWatch] });
      const ctx = { caches, namespace, instanceId: undefined };
      const notified = notifiedObjectCaches(ctx, ['ImageWatch', 'PromotionPipeline']);
      // The scope git-sync's controllers use (src/gitsync/controller.ts, promotion/controller.ts).
      const scope = namespace === undefined ? {} : { namespace };
      const watches = caches.informer(IMAGE_WATCHES, scope);
      expect(notified?.objects?.ImageWatch).toBe(watches);
      expect(notified?.objects?.PromotionPipeline).toBe(caches.informer(PROMOTION_PIPELINES, scope));
      expect(notified?.analysisRuns).toBeUndefined();
      // Started and synced by git-sync's controller: fetch() reads it.
      watches.start();
      await watches.waitForSync();
      const object = await apiNotifierIO({
        client: new RestClient(api.kubeConfig),
        config: { configs: async () => [] },
        ...(notified && { caches: notified }),
        warn: () => undefined,
      }).fetch('ImageWatch', 'shop', 'web', '30');
      expect(object?.metadata?.uid).toBe('w1');
      expect(requests).toEqual([]);
      caches.stop();
    }
  });

  it("the Rollout controller's Rollouts and AnalysisRuns, per instance id", () => {
    const caches = processCaches({});
    const notified = notifiedObjectCaches({ caches, namespace: undefined, instanceId: 'a' }, ['Rollout']);
    const ours = { labelSelector: 'argo-rollouts.argoproj.io/controller-instance-id=a' };
    expect(notified?.objects?.Rollout).toBe(caches.informer(apiResourceOf(ROLLOUT_KIND), ours));
    expect(notified?.analysisRuns).toBe(caches.informer(apiResourceOf(ANALYSIS_RUN_KIND), ours));
    caches.stop();
  });
});
