// The notification configuration kept from informers: real ConfigMap and Secret objects through
// a scripted ListWatchSource (lists and watch events as the API server sends them).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../../src/kube/api-error.js';
import type { ListWatchSource, WatchEvent } from '../../../src/kube/informer.js';
import type { ApiListWatchOptions } from '../../../src/kube/list-watch.js';
import type { KubeObject } from '../../../src/kube/object.js';
import type { ApiResource } from '../../../src/kube/resource.js';
import {
  FORBIDDEN_RETRY_INITIAL_MS,
  FORBIDDEN_RETRY_MAX_MS,
  NotificationConfigSource,
} from '../../../src/notifications/config-source.js';
import { createLogger } from '../../../src/process/logger.js';
import { FakeClock, settle } from '../kube/fake-clock.js';

type DataObject = KubeObject & { data?: Record<string, string> };

/** One resource's API: lists answer `items` (or `listError`), watches are driven by the test. */
class FakeSource implements ListWatchSource<DataObject> {
  readonly description: string;
  items: DataObject[] = [];
  listError: Error | undefined;
  listCalls = 0;
  private current: ((event: WatchEvent<DataObject>) => void) | undefined;
  private closeWatch: ((error?: unknown) => void) | undefined;
  private version = 10;

  constructor(readonly scope: ApiListWatchOptions & { resource: string }) {
    this.description = `${scope.resource} ${JSON.stringify(scope)}`;
  }

  async list() {
    this.listCalls += 1;
    if (this.listError) throw this.listError;
    return { items: [...this.items], resourceVersion: String(this.version) };
  }

  async watch(
    _rv: string,
    onEvent: (event: WatchEvent<DataObject>) => void,
    onClose: (error?: unknown) => void,
  ) {
    this.current = onEvent;
    this.closeWatch = onClose;
    return { stop: () => (this.current = undefined) };
  }

  /** Ends the open watch with `error`, as a dropped connection does. */
  close(error: unknown): void {
    const close = this.closeWatch;
    this.current = undefined;
    this.closeWatch = undefined;
    close?.(error);
  }

  send(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: DataObject): void {
    if (!this.current) throw new Error(`${this.description}: no watch is open`);
    this.version += 1;
    this.current({
      type,
      object: { ...object, metadata: { ...object.metadata, resourceVersion: String(this.version) } },
    });
  }
}

const configMap = (namespace: string, data: Record<string, string>): DataObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'argo-rollouts-notification-configmap', namespace, resourceVersion: '1' },
  data,
});
const secret = (namespace: string, values: Record<string, string>): DataObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'argo-rollouts-notification-secret', namespace, resourceVersion: '1' },
  data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const forbidden = (resource: string) =>
  new KubeApiError({ method: 'GET', path: `/api/v1/${resource}` }, 403, {
    kind: 'Status',
    reason: 'Forbidden',
    message: `${resource} is forbidden`,
  });

function setup(options: { selfService?: boolean; watchedNamespace?: string } = {}) {
  const sources = new Map<string, FakeSource>();
  const clock = new FakeClock();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'test',
    'debug',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  const source = new NotificationConfigSource({
    listWatch: (resource: ApiResource, scope: ApiListWatchOptions) => {
      const fake = new FakeSource({ resource: resource.plural, ...scope });
      sources.set(`${resource.plural}@${scope.namespace ?? '*'}`, fake);
      return fake;
    },
    controllerNamespace: 'argo-rollouts',
    selfService: options.selfService ?? false,
    ...(options.watchedNamespace !== undefined && { watchedNamespace: options.watchedNamespace }),
    logger,
    clock,
  });
  const get = (plural: string, namespace = 'argo-rollouts') => {
    const fake = sources.get(`${plural}@${namespace}`);
    if (!fake) throw new Error(`no source for ${plural} in ${namespace}`);
    return fake;
  };
  const warnings = () => lines.filter((l) => l.level === 'warn').map((l) => String(l.msg));
  const infos = () => lines.filter((l) => l.level === 'info').map((l) => String(l.msg));
  return {
    source,
    configMaps: get('configmaps'),
    secrets: get('secrets'),
    /** The watches across namespaces (self-service). */
    everywhere: () => ({ configMaps: get('configmaps', '*'), secrets: get('secrets', '*') }),
    count: () => sources.size,
    clock,
    warnings,
    infos,
  };
}

const webhookUrl = (source: NotificationConfigSource, namespace = 'argo-rollouts') =>
  source.config(namespace)?.services.get('hook')?.options.url;

describe('NotificationConfigSource', () => {
  it('watches only the two objects by name in the controller namespace', () => {
    const { configMaps, secrets } = setup();
    expect(configMaps.scope).toEqual({
      resource: 'configmaps',
      namespace: 'argo-rollouts',
      fieldSelector: 'metadata.name=argo-rollouts-notification-configmap',
    });
    expect(secrets.scope).toEqual({
      resource: 'secrets',
      namespace: 'argo-rollouts',
      fieldSelector: 'metadata.name=argo-rollouts-notification-secret',
    });
  });

  it('follows the ConfigMap and Secret created, changed and deleted while running, parsing once per change', async () => {
    const { source, configMaps, secrets, warnings } = setup();
    source.start();
    expect(await source.configs('shop')).toEqual([]);

    // Created
    configMaps.send(
      'ADDED',
      configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://a.example/$path\n' }),
    );
    const first = await source.configs('shop');
    expect(first).toHaveLength(1);
    expect(webhookUrl(source)).toBe('http://a.example/$path');
    // Asked again without a change: the same parsed object, not a new parse.
    expect((await source.configs('shop'))[0]).toBe(first[0]);

    // The Secret arrives: its values fill the service's $references.
    secrets.send('ADDED', secret('argo-rollouts', { path: 'hooks/1' }));
    expect(webhookUrl(source)).toBe('http://a.example/hooks/1');

    // Changed
    configMaps.send(
      'MODIFIED',
      configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://b.example/\n' }),
    );
    const changed = await source.configs('shop');
    expect(changed[0]).not.toBe(first[0]);
    expect(webhookUrl(source)).toBe('http://b.example/');

    // Deleted: no configuration, so no notifications.
    configMaps.send('DELETED', configMap('argo-rollouts', {}));
    expect(await source.configs('shop')).toEqual([]);
    expect(warnings()).toEqual([]);
    source.stop();
  });

  it('a ConfigMap present at start-up is there for the first notification', async () => {
    const { source, configMaps, secrets } = setup();
    configMaps.items = [
      configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://a.example/$path\n' }),
    ];
    secrets.items = [secret('argo-rollouts', { path: 'x' })];
    source.start();
    await source.configs('shop');
    expect(webhookUrl(source)).toBe('http://a.example/x');
    // A ConfigMap of another namespace never counts without self-service.
    source.stop();
  });

  const OFF =
    'notifications: not allowed to list/watch the configuration; notifications from it are off until it is';
  const ON = 'notifications: allowed to list/watch the configuration again; notifications from it are on';

  it('a 403 on the Secret: one warning, retried with a growing backoff, notifications go on without its values', async () => {
    const { source, configMaps, secrets, clock, warnings } = setup();
    configMaps.items = [
      configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://a.example/$path\n' }),
    ];
    secrets.listError = forbidden('secrets');
    source.start();
    expect(await source.configs('shop')).toHaveLength(1);
    expect(webhookUrl(source)).toBe('http://a.example/$path');
    // Retries after 5 s, then 10 s, 20 s, ... (the list calls count them).
    await clock.advance(FORBIDDEN_RETRY_INITIAL_MS - 1);
    expect(secrets.listCalls).toBe(1);
    await clock.advance(1);
    expect(secrets.listCalls).toBe(2);
    await clock.advance(2 * FORBIDDEN_RETRY_INITIAL_MS);
    expect(secrets.listCalls).toBe(3);
    expect(configMaps.listCalls).toBe(1);
    expect(warnings()).toEqual([OFF]);
    // The ConfigMap's watch still works.
    configMaps.send(
      'MODIFIED',
      configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://c.example/\n' }),
    );
    expect(webhookUrl(source)).toBe('http://c.example/');
    source.stop();
  });

  it('retries a forbidden source at least every 5 minutes, however long it lasts, with one warning', async () => {
    const { source, configMaps, clock, warnings } = setup();
    configMaps.listError = forbidden('configmaps');
    source.start();
    await clock.advance(60 * 60_000);
    const calls = configMaps.listCalls;
    await clock.advance(FORBIDDEN_RETRY_MAX_MS);
    expect(configMaps.listCalls).toBe(calls + 1);
    expect(warnings()).toEqual([OFF]);
    source.stop();
    // Stopped: no retry left behind.
    await clock.advance(60 * 60_000);
    expect(configMaps.listCalls).toBe(calls + 1);
  });

  it('a 403 on the ConfigMap: one warning, no configuration, and notifications do not wait for it', async () => {
    const { source, configMaps, clock, warnings } = setup();
    configMaps.listError = forbidden('configmaps');
    source.start();
    expect(await source.configs('shop')).toEqual([]);
    await clock.advance(10 * 60_000);
    expect(warnings()).toEqual([OFF]);
    source.stop();
  });

  it('once RBAC allows the ConfigMap, notifications from it resume without a restart; a new outage warns again', async () => {
    const { source, configMaps, clock, warnings, infos } = setup();
    configMaps.listError = forbidden('configmaps');
    source.start();
    expect(await source.configs('shop')).toEqual([]);
    await clock.advance(30 * 60_000);
    // The Role is granted.
    configMaps.listError = undefined;
    configMaps.items = [configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://a.example/\n' })];
    await clock.advance(FORBIDDEN_RETRY_MAX_MS);
    expect(webhookUrl(source)).toBe('http://a.example/');
    expect((await source.configs('shop')).map((c) => c.namespace)).toEqual(['argo-rollouts']);
    expect(infos().filter((m) => m === ON)).toHaveLength(1);
    // Its watch is open again: later changes arrive.
    configMaps.send(
      'MODIFIED',
      configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://b.example/\n' }),
    );
    expect(webhookUrl(source)).toBe('http://b.example/');
    expect(warnings()).toEqual([OFF]);
    // Revoked again, seen when the watch is next opened: a second outage, a second warning,
    // and the retries start over from the first step.
    configMaps.listError = forbidden('configmaps');
    const calls = configMaps.listCalls;
    configMaps.close(forbidden('configmaps'));
    await clock.advance(FORBIDDEN_RETRY_INITIAL_MS);
    expect(configMaps.listCalls).toBe(calls + 1);
    expect(warnings()).toEqual([OFF, OFF]);
    // Its cache keeps the last configuration it saw.
    expect(webhookUrl(source)).toBe('http://b.example/');
    source.stop();
  });

  it('other list failures are retried, and warned about once', async () => {
    const { source, configMaps, clock, warnings } = setup();
    configMaps.listError = new KubeApiError({ method: 'GET', path: '/api/v1/configmaps' }, 500, undefined);
    source.start();
    await clock.advance(60_000);
    expect(configMaps.listCalls).toBeGreaterThan(2);
    configMaps.listError = undefined;
    configMaps.items = [configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://a.example/\n' })];
    await clock.advance(60_000);
    await settle();
    expect(webhookUrl(source)).toBe('http://a.example/');
    expect(warnings()).toEqual(['notifications: configuration watch failed']);
    source.stop();
  });

  it('self-service: a watch across namespaces as well, the namespace of the object adds its own', async () => {
    const { source, configMaps, everywhere, count } = setup({ selfService: true });
    const all = everywhere();
    expect(count()).toBe(4);
    expect(all.secrets.scope).toEqual({
      resource: 'secrets',
      fieldSelector: 'metadata.name=argo-rollouts-notification-secret',
    });
    source.start();
    await source.ready();
    configMaps.send(
      'ADDED',
      configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://own.example/\n' }),
    );
    all.configMaps.send(
      'ADDED',
      configMap('shop', { 'service.webhook.hook': 'url: http://shop.example/$k\n' }),
    );
    all.secrets.send('ADDED', secret('shop', { k: 'v' }));
    const shop = await source.configs('shop');
    expect(shop.map((c) => [c.namespace, c.isSelfService])).toEqual([
      ['argo-rollouts', false],
      ['shop', true],
    ]);
    expect(webhookUrl(source, 'shop')).toBe('http://shop.example/v');
    expect((await source.configs('argo-rollouts')).map((c) => c.namespace)).toEqual(['argo-rollouts']);
    expect((await source.configs('other')).map((c) => c.namespace)).toEqual(['argo-rollouts']);
    all.configMaps.send('DELETED', configMap('shop', {}));
    expect((await source.configs('shop')).map((c) => c.namespace)).toEqual(['argo-rollouts']);
    // The controller namespace's objects seen by the watch across namespaces change nothing:
    // its own watch answers for it.
    all.configMaps.send('DELETED', configMap('argo-rollouts', {}));
    expect(webhookUrl(source)).toBe('http://own.example/');
    source.stop();
  });

  it('self-service forbidden across namespaces: one warning each, the controller namespace still notifies', async () => {
    const { source, configMaps, everywhere, clock, warnings } = setup({ selfService: true });
    const all = everywhere();
    all.configMaps.listError = forbidden('configmaps');
    all.secrets.listError = forbidden('secrets');
    configMaps.items = [configMap('argo-rollouts', { 'service.webhook.hook': 'url: http://own.example/\n' })];
    source.start();
    expect((await source.configs('shop')).map((c) => c.namespace)).toEqual(['argo-rollouts']);
    await clock.advance(10 * 60_000);
    expect(all.configMaps.listCalls).toBeGreaterThan(2);
    expect(warnings()).toHaveLength(2);
    source.stop();
  });

  it('self-service in a namespaced process watches only that namespace', () => {
    const { configMaps, count } = setup({ selfService: true, watchedNamespace: 'argo-rollouts' });
    expect(configMaps.scope.namespace).toBe('argo-rollouts');
    expect(count()).toBe(2);
  });
});
