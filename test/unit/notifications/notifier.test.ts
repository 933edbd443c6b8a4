// The notifier against fake cluster IO and real HTTP receivers on loopback.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NOTIFIED_ANNOTATION } from '../../../src/api/labels.js';
import { Exposition, METRIC_CLEANUP_DELAY_MS } from '../../../src/metrics/object-families.js';
import { parseNotificationConfig } from '../../../src/notifications/config.js';
import { createNotificationMetrics } from '../../../src/notifications/metrics.js';
import { type NotifiedObject, Notifier, type NotifierIO } from '../../../src/notifications/notifier.js';
import { FakeClock } from '../kube/fake-clock.js';
import { observedRollout } from '../rollout/fixtures.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base = '';
const received: Received[] = [];
let answers: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/api/chat.')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, channel: 'C1', ts: '1.1' }));
        return;
      }
      res.writeHead(answers.shift() ?? 200);
      res.end(req.url?.startsWith('/teams') ? '1' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  answers = [];
});

/** The Rollout `web` at revision 2, paused at its second step, with `annotations`. */
function rollout(annotations: Record<string, string>): NotifiedObject {
  const ro = observedRollout(
    { replicas: 3, revision: '2', strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } },
    { currentStepIndex: 1, phase: 'Paused' },
  );
  return { ...ro, metadata: { ...ro.metadata, annotations: { ...ro.metadata.annotations, ...annotations } } };
}

function fakeIO(object: NotifiedObject, data: Record<string, string>, secrets: Record<string, string> = {}) {
  const warnings: string[] = [];
  const config = parseNotificationConfig(data, secrets, { namespace: 'argo-rollouts' });
  const io: NotifierIO = {
    configs: async () => [config],
    fetch: async () => structuredClone(object),
    extraVars: async () => ({}),
    writeState: async (_o, annotation) => {
      const annotations = { ...(object.metadata?.annotations ?? {}) };
      if (annotation === undefined) delete annotations[NOTIFIED_ANNOTATION];
      else annotations[NOTIFIED_ANNOTATION] = annotation;
      object.metadata = { ...object.metadata, annotations };
    },
    warn: (_o, message) => warnings.push(message),
  };
  return { io, warnings, config };
}

/** A Rollout subscribed to `trigger` on the webhook `hook` (at `${base}/hook`), with its IO. */
function hookSubscriber(trigger: string) {
  const ro = rollout({ [`notifications.argoproj.io/subscribe.${trigger}.hook`]: '' });
  return { ro, ...fakeIO(ro, { 'service.webhook.hook': `url: ${base}/hook` }) };
}

const noWait = { retryMax: 3, waitMinMs: 0, waitMaxMs: 0 };
/** The RolloutCompleted event, to a Notifier that retries without waiting. */
const completed = (io: NotifierIO, ro: NotifiedObject) =>
  new Notifier({ io, retry: noWait }).onEvent(ro, 'Normal', 'RolloutCompleted', 'done');

describe('Notifier', () => {
  it('sends the catalog message to a webhook once per occurrence, also after a restart', async () => {
    const { ro, io } = hookSubscriber('on-rollout-completed');
    const first = new Notifier({ io, retry: noWait });
    await first.onEvent(ro, 'Normal', 'RolloutCompleted', 'Rollout completed update to revision 2');
    await first.onEvent(ro, 'Normal', 'RolloutCompleted', 'Rollout completed update to revision 2');
    const restarted = new Notifier({ io, retry: noWait });
    const outcomes = await restarted.onEvent(
      ro,
      'Normal',
      'RolloutCompleted',
      'Rollout completed update to revision 2',
    );
    expect(outcomes.map((o) => o.result)).toEqual(['already-sent']);
    expect(received.map((r) => [r.method, r.url, r.body])).toEqual([
      ['GET', '/hook', 'Rollout web has been completed.'],
    ]);
    const state = JSON.parse(ro.metadata?.annotations?.[NOTIFIED_ANNOTATION] ?? '{}') as Record<
      string,
      number
    >;
    expect(Object.keys(state)).toEqual([
      expect.stringMatching(/^2\.1\.[0-9a-f]{8}\.[0-9a-f]{10}:on-rollout-completed:\[0\]\.[\w-]+:hook:$/),
    ]);
  });

  it("counts sent and failed per service and trigger, with Argo Rollouts' metrics beside", async () => {
    answers = [200, 400];
    const ro = rollout({
      'notifications.argoproj.io/subscribe.on-rollout-completed.hook': '',
      'notifications.argoproj.io/subscribe.on-rollout-completed.other': '',
    });
    const { io } = fakeIO(ro, {
      'service.webhook.hook': `url: ${base}/hook`,
      'service.webhook.other': `url: ${base}/other`,
    });
    const registry = new Registry();
    const exposition = new Exposition();
    await new Notifier({
      io,
      retry: noWait,
      metrics: createNotificationMetrics(registry, exposition),
    }).onEvent(ro, 'Normal', 'RolloutCompleted', 'done');
    const text = `${await registry.metrics()}\n${exposition.render()}`;
    expect(text).toContain(
      'notification_deliveries_total{service="hook",trigger="on-rollout-completed",result="sent"} 1',
    );
    expect(text).toContain(
      'notification_deliveries_total{service="other",trigger="on-rollout-completed",result="failed"} 1',
    );
    expect(text).toContain(
      'notification_send_success{namespace="shop",name="web",type="Normal",reason="RolloutCompleted"} 1',
    );
    expect(text).toContain(
      'notification_send_error{namespace="shop",name="web",type="Normal",reason="RolloutCompleted"} 1',
    );
  });

  it('observes notification_send as Argo does: once per configuration and Event, subscribed or not', async () => {
    const ro = rollout({});
    const { io } = fakeIO(ro, {});
    const exposition = new Exposition();
    const clock = new FakeClock();
    const metrics = createNotificationMetrics(new Registry(), exposition, { clock });
    const notifier = new Notifier({ io, retry: noWait, metrics, configurationsFor: () => 2 });
    await notifier.onEvent(ro, 'Normal', 'RolloutUpdated', 'updated');
    await notifier.onEvent(ro, 'Normal', 'SomeReasonWithoutTrigger', 'x');
    notifier.observeSend({ ...ro, kind: 'AnalysisRun', metadata: { namespace: 'shop', name: 'run' } }, 0);
    const text = exposition.render();
    expect(text).toContain('notification_send_count{namespace="shop",name="web"} 4');
    expect(text).toContain('notification_send_count{namespace="shop",name="run"} 2');
    // As Argo: a deleted object's series go after the cleanup delay, the others stay.
    metrics.deleted('shop', 'run');
    await clock.advance(METRIC_CLEANUP_DELAY_MS);
    expect(exposition.render()).not.toContain('name="run"');
    expect(exposition.render()).toContain('notification_send_count{namespace="shop",name="web"} 4');
  });

  it('the same message after a condition transition (paused again after a resume) is sent again', async () => {
    const { ro, io } = hookSubscriber('on-rollout-paused');
    const n = new Notifier({ io, retry: noWait });
    const at = (time: string): NotifiedObject => ({
      ...ro,
      status: {
        ...(ro.status as object),
        conditions: [{ type: 'Paused', status: 'False', lastTransitionTime: time }],
      },
    });
    const message = 'Rollout is paused (manually paused)';
    await n.onEvent(at('2026-01-01T00:00:00Z'), 'Normal', 'RolloutPaused', message);
    await n.onEvent(at('2026-01-01T00:00:00Z'), 'Normal', 'RolloutPaused', message);
    await n.onEvent(at('2026-01-01T00:05:00Z'), 'Normal', 'RolloutPaused', message);
    expect(received).toHaveLength(2);
  });

  it('a later occurrence (another revision) is sent again', async () => {
    const { ro, io } = hookSubscriber('on-rollout-aborted');
    const n = new Notifier({ io, retry: noWait });
    await n.onEvent(ro, 'Warning', 'RolloutAborted', 'Rollout aborted update to revision 2');
    await n.onEvent(ro, 'Warning', 'RolloutAborted', 'Rollout aborted update to revision 3');
    expect(received).toHaveLength(2);
  });

  it('renders webhook method, path and body; resolves $secret references; sends headers', async () => {
    const ro = rollout({ 'notifications.argoproj.io/subscribe.on-rollout-paused.hook': '' });
    const { io } = fakeIO(
      ro,
      {
        'service.webhook.hook': `url: ${base}\nheaders:\n- name: Authorization\n  value: Bearer $hook-token\n`,
        'template.rollout-paused':
          'message: paused\nwebhook:\n  hook:\n    method: POST\n    path: /rollouts/{{.rollout.metadata.name}}\n    body: |\n      {"name": {{.rollout.metadata.name | toJson}}, "step": {{.rollout.status.currentStepIndex}}}\n',
      },
      { 'hook-token': 's3cret' },
    );
    await new Notifier({ io, retry: noWait }).onEvent(ro, 'Normal', 'RolloutPaused', 'Rollout is paused');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: '/rollouts/web',
      body: '{"name": "web", "step": 1}\n',
    });
    expect(received[0]?.headers.authorization).toBe('Bearer s3cret');
  });

  it('posts to Slack chat.postMessage with the channel, text and re-serialized attachments', async () => {
    const ro = rollout({
      'notifications.argoproj.io/subscribe.on-rollout-step-completed.slack': 'deploys;alerts',
    });
    const { io } = fakeIO(
      ro,
      { 'service.slack': `token: $slack-token\napiURL: ${base}/api/` },
      { 'slack-token': 'xoxb-1' },
    );
    const outcomes = await new Notifier({ io, retry: noWait }).onEvent(
      ro,
      'Normal',
      'RolloutStepCompleted',
      'step 1/2',
    );
    expect(outcomes.map((o) => o.result)).toEqual(['sent', 'sent']);
    expect(received.map((r) => r.url)).toEqual(['/api/chat.postMessage', '/api/chat.postMessage']);
    expect(received[0]?.headers.authorization).toBe('Bearer xoxb-1');
    const form = new URLSearchParams(received[0]?.body);
    expect(form.get('channel')).toBe('deploys');
    expect(form.get('text')).toBe('Rollout web step number 2/2 has been completed.');
    expect(JSON.parse(form.get('attachments') ?? '')).toEqual([
      {
        title: 'web',
        color: '#18be52',
        fields: [
          { title: 'Strategy', value: 'Canary', short: true },
          { title: 'Step completed', value: '2/2', short: true },
          { title: 'app', value: 'web:2', short: true },
        ],
      },
    ]);
    expect(new URLSearchParams(received[1]?.body).get('channel')).toBe('alerts');
  });

  it('Slack groupingKey threads later messages; PostAndUpdate also edits the first', async () => {
    const ro = rollout({ 'notifications.argoproj.io/subscribe.on-rollout-paused.slack': 'threads' });
    const { io } = fakeIO(ro, {
      'service.slack': `token: t\napiURL: ${base}/api/`,
      'template.rollout-paused':
        'message: paused {{.rollout.status.currentStepIndex}}\nslack:\n  groupingKey: "{{.rollout.metadata.name}}"\n  deliveryPolicy: PostAndUpdate\n  notifyBroadcast: true\n',
    });
    const n = new Notifier({ io, retry: noWait });
    await n.onEvent(ro, 'Normal', 'RolloutPaused', 'first');
    await n.onEvent(ro, 'Normal', 'RolloutPaused', 'second');
    const calls = received.map((r) => [r.url, Object.fromEntries(new URLSearchParams(r.body))]);
    expect(calls).toEqual([
      ['/api/chat.postMessage', { channel: 'threads', text: 'paused 1', reply_broadcast: 'true' }],
      [
        '/api/chat.postMessage',
        { channel: 'threads', text: 'paused 1', thread_ts: '1.1', reply_broadcast: 'true' },
      ],
      ['/api/chat.update', { channel: 'C1', text: 'paused 1', thread_ts: '1.1', ts: '1.1', as_user: 'true' }],
    ]);
  });

  it('posts a MessageCard to the Teams recipient URL', async () => {
    const ro = rollout({ 'notifications.argoproj.io/subscribe.on-rollout-aborted.teams': 'ops' });
    const { io } = fakeIO(ro, { 'service.teams': `recipientUrls:\n  ops: ${base}/teams/abc` });
    await new Notifier({ io, retry: noWait }).onEvent(ro, 'Warning', 'RolloutAborted', 'aborted');
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      '@type': 'MessageCard',
      context: 'https://schema.org/extensions',
      title: '',
      summary: '',
      text: 'Rollout web has been aborted.',
    });
  });

  it('retries a 503 with backoff, then succeeds', async () => {
    answers = [503, 503];
    const { ro, io } = hookSubscriber('on-rollout-completed');
    const waits: number[] = [];
    const n = new Notifier({
      io,
      retry: { retryMax: 3, waitMinMs: 100, waitMaxMs: 150 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const outcomes = await n.onEvent(ro, 'Normal', 'RolloutCompleted', 'done');
    expect(outcomes.map((o) => o.result)).toEqual(['sent']);
    expect(waits).toEqual([100, 150]);
    expect(received).toHaveLength(3);
  });

  it('a permanent failure is reported on the object and releases the claim', async () => {
    answers = [400];
    const { ro, io, warnings } = hookSubscriber('on-rollout-completed');
    const outcomes = await completed(io, ro);
    expect(outcomes.map((o) => o.result)).toEqual(['failed']);
    expect(warnings).toEqual([
      expect.stringMatching(/^notification on-rollout-completed to hook failed: webhook .* status 400/),
    ]);
    expect(ro.metadata?.annotations?.[NOTIFIED_ANNOTATION]).toBeUndefined();
  });

  it('an unknown template function is a clear warning, not a crash', async () => {
    const ro = rollout({ 'notifications.argoproj.io/subscribe.on-rollout-completed.hook': '' });
    const { io, warnings } = fakeIO(ro, {
      'service.webhook.hook': `url: ${base}/hook`,
      'template.rollout-completed': 'message: "{{ .rollout.metadata.name | shout }}"',
    });
    const outcomes = await completed(io, ro);
    expect(outcomes.map((o) => o.result)).toEqual(['failed']);
    expect(warnings).toEqual([
      'trigger on-rollout-completed: template: rollout-completed:1: function "shout" not defined',
    ]);
    expect(received).toHaveLength(0);
  });

  it('when conditions, oncePer, defaultTriggers and global subscriptions', async () => {
    const ro = rollout({ 'notifications.argoproj.io/subscribe.hook': '' });
    ro.metadata = { ...ro.metadata, labels: { team: 'shop' } };
    const { io } = fakeIO(ro, {
      'service.webhook.hook': `url: ${base}/hook`,
      'service.webhook.global': `url: ${base}/global`,
      defaultTriggers: '- on-rollout-paused',
      subscriptions: '- recipients: [global]\n  triggers: [on-rollout-paused]\n  selector: team in (shop)\n',
      'trigger.on-rollout-paused':
        "- when: rollout.status.phase == 'Paused'\n  oncePer: rollout.metadata.annotations['rollout.argoproj.io/revision']\n  send: [rollout-paused]\n- when: rollout.status.phase == 'Healthy'\n  send: [rollout-completed]\n",
    });
    const n = new Notifier({ io, retry: noWait });
    await n.onEvent(ro, 'Normal', 'RolloutPaused', 'paused at step 1');
    await n.onEvent(ro, 'Normal', 'RolloutPaused', 'paused at step 2');
    expect(received.map((r) => `${r.url} ${r.body}`).sort()).toEqual([
      '/global Rollout web has been paused.',
      '/hook Rollout web has been paused.',
    ]);
  });
});

describe('self-service configuration', () => {
  it("the Rollout's own namespace config sends too, with its namespace in the state key", async () => {
    const ro = rollout({ 'notifications.argoproj.io/subscribe.on-rollout-completed.hook': '' });
    const { io } = fakeIO(ro, { 'service.webhook.hook': `url: ${base}/central` });
    const own = parseNotificationConfig(
      { 'service.webhook.hook': `url: ${base}/team` },
      {},
      { namespace: 'shop', isSelfService: true },
    );
    const central = await io.configs('shop');
    io.configs = async () => [...central, own];
    await new Notifier({ io, retry: noWait }).onEvent(ro, 'Normal', 'RolloutCompleted', 'done');
    expect(received.map((r) => r.url).sort()).toEqual(['/central', '/team']);
    const keys = Object.keys(JSON.parse(ro.metadata?.annotations?.[NOTIFIED_ANNOTATION] ?? '{}'));
    expect(keys.map((k) => k.split(':').slice(1, 3).join(':')).sort()).toEqual([
      'on-rollout-completed:[0].2jmj7l5rSw0yVb_vlWAYkK_YBwk',
      'shop:on-rollout-completed',
    ]);
  });
});

describe("git-sync's triggers", () => {
  it('ImageBumped on an ImageWatch sends on-image-bumped with the commit and links', async () => {
    const watch: NotifiedObject = {
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'ImageWatch',
      metadata: {
        name: 'web',
        namespace: 'shop',
        annotations: { 'notifications.argoproj.io/subscribe.on-image-bumped.hook': '' },
      },
    };
    const { io } = fakeIO(watch, { 'service.webhook.hook': `url: ${base}/hook` });
    const n = new Notifier({ io, retry: noWait });
    const message =
      'wrote ghcr.io/acme/web:1.2.3 to apps/web/kustomization.yaml in https://git.example/acme/deploy.git@main (commit 0123456789ab)';
    await n.onEvent(watch, 'Normal', 'ImageBumped', message);
    await n.onEvent(watch, 'Normal', 'NewCandidate', 'picked ghcr.io/acme/web:1.2.3');
    await n.onEvent(watch, 'Normal', 'ImageBumped', message);
    expect(received.map((r) => r.body)).toEqual([
      'ImageWatch web: wrote ghcr.io/acme/web:1.2.3 to apps/web/kustomization.yaml in https://git.example/acme/deploy.git@main (commit 0123456789ab).',
    ]);
  });

  it.each([
    [
      'promote ghcr.io/acme/web:1.2.3 in prod (commit 0123456789ab): staging healthy',
      'on-promoted',
      'Promoted ghcr.io/acme/web:1.2.3 to prod (commit 0123456789ab): staging healthy',
    ],
    [
      'rollback ghcr.io/acme/web:1.2.2 in prod (commit 0123456789ab): analysis failed',
      'on-rolled-back',
      'Rolled back prod to ghcr.io/acme/web:1.2.2 (commit 0123456789ab): analysis failed',
    ],
    [
      'hold ghcr.io/acme/web:1.2.3 in prod: held by annotation',
      'on-hold',
      'Holding ghcr.io/acme/web:1.2.3 in prod: held by annotation',
    ],
    [
      'promote ghcr.io/acme/web:1.2.3 in prod (https://github.com/acme/deploy/pull/7): staging healthy',
      'on-pull-request-opened',
      'Pull request to promote ghcr.io/acme/web:1.2.3 to prod: https://github.com/acme/deploy/pull/7',
    ],
  ])('PromotionDecision %s → %s', async (eventMessage, trigger, expected) => {
    const pipeline: NotifiedObject = {
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'PromotionPipeline',
      metadata: {
        name: 'web',
        namespace: 'shop',
        annotations: { [`notifications.argoproj.io/subscribe.${trigger}.hook`]: '' },
      },
    };
    const { io } = fakeIO(pipeline, { 'service.webhook.hook': `url: ${base}/hook` });
    await new Notifier({ io, retry: noWait }).onEvent(pipeline, 'Normal', 'PromotionDecision', eventMessage);
    expect(received.map((r) => r.body)).toEqual([expected]);
  });
});
