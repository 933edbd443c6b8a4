// Notifications running on a ServiceAccount token that may not yet list or watch the
// notification ConfigMap and Secret (a Role granted after the process started, as when a chart
// upgrade adds it, or RBAC is fixed by hand): they are off meanwhile, with one warning, and
// resume without a restart once the Role exists. The API server answers with real 403s and real
// RBAC; the notifications run in this process, as the `replay` case of notifications.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadKubeConfig } from '../../src/kube/config.js';
import { apiEventSink, EventRecorder } from '../../src/kube/events.js';
import type { KubeObject } from '../../src/kube/object.js';
import { RestClient } from '../../src/kube/rest.js';
import { Exposition } from '../../src/metrics/object-families.js';
import { attachNotifications } from '../../src/notifications/controller.js';
import { createLogger } from '../../src/process/logger.js';
import { type FixtureServer, startHttpFixture } from './support/http-fixtures.js';
import { apply, kubectl } from './support/kubectl.js';
import { canaryRollout } from './support/manifests.js';
import { getRollout } from './support/rollouts.js';
import { serviceAccountKubeconfig } from './support/service-account.js';
import { eventually } from './support/wait.js';

const namespace = `notify-rbac-${Date.now().toString(36)}`;
const SERVICE_ACCOUNT = 'notifier';
let receiver: FixtureServer;
let dir: string;
let stop: (() => Promise<void>) | undefined;
const lines: { level: string; msg: string; name?: string }[] = [];

const role = (name: string, rules: unknown[]) => [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace }],
  },
];

const hookBodies = () => receiver.requests.filter((r) => r.path === '/hook').map((r) => r.body);
const logged = (level: string, msg: string, name: string) =>
  lines.filter((l) => l.level === level && l.msg.startsWith(msg) && l.name === name).length;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-notify-rbac-'));
  receiver = await startHttpFixture(() => ({ body: 'ok' }));
  kubectl(['create', 'namespace', namespace]);
  kubectl(['create', 'serviceaccount', SERVICE_ACCOUNT, '-n', namespace]);
  // What the notifier needs besides its configuration: find the Rollout, record delivery state.
  apply(
    role('rollouts', [{ apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['list', 'patch'] }]),
  );
  apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argo-rollouts-notification-configmap', namespace },
    data: { 'service.webhook.hook': `url: ${receiver.url}/hook\n` },
  });
  // Only stored (no controller runs here): what the Event is about.
  apply(
    canaryRollout(
      namespace,
      'web',
      { steps: [{ setWeight: 50 }] },
      { metadata: { annotations: { 'notifications.argoproj.io/subscribe.on-rollout-paused.hook': '' } } },
    ),
  );
});

afterAll(async () => {
  await stop?.();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true }); // a kubeconfig with a token
});

describe('notifications without RBAC for their configuration', () => {
  it('resume without a restart once a Role allows it', async () => {
    const client = new RestClient(
      loadKubeConfig({ path: serviceAccountKubeconfig(namespace, SERVICE_ACCOUNT, dir) }).kubeConfig,
    );
    const admin = new RestClient(loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig);
    const events = new EventRecorder({ sink: apiEventSink(admin), component: 'e2e notifications-rbac' });
    const logger = createLogger(
      'notifications',
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split('\n').filter(Boolean))
            lines.push(JSON.parse(line) as (typeof lines)[number]);
          done();
        },
      }),
    );
    stop = attachNotifications({
      client,
      events,
      registry: new Registry(),
      exposition: new Exposition(),
      logger,
      namespace,
      kinds: ['Rollout'],
    });
    const OFF = 'notifications: not allowed to list/watch the configuration';
    const ON = 'notifications: allowed to list/watch the configuration again';
    const CONFIG_MAP = 'argo-rollouts-notification-configmap';
    // Given: refused (a real 403), said once.
    await eventually('the 403 on the ConfigMap logged', () =>
      logged('warn', OFF, CONFIG_MAP) > 0 ? true : undefined,
    );

    // When the Role the chart grants is created
    apply(
      role('notifications', [
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [CONFIG_MAP], verbs: ['list', 'watch'] },
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: ['argo-rollouts-notification-secret'],
          verbs: ['list', 'watch'],
        },
      ]),
    );

    // Then the source comes back on its own, and an Event is delivered.
    await eventually('the ConfigMap allowed again', () =>
      logged('info', ON, CONFIG_MAP) > 0 ? true : undefined,
    );
    const seen = { ...(getRollout(namespace, 'web') as unknown as KubeObject), kind: 'Rollout' };
    await events.normal(seen, 'RolloutPaused', 'Rollout is paused (CanaryPauseStep)');
    await eventually('the webhook called', () => (hookBodies().length > 0 ? true : undefined));
    expect(hookBodies()).toEqual(['Rollout web has been paused.']);
    expect(logged('warn', OFF, CONFIG_MAP)).toBe(1);
  });
});
