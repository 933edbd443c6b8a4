// Notifications on the local cluster, configured as Argo Rollouts users do: the
// argo-rollouts-notification-configmap/-secret and subscribe annotations. A canary (paused,
// then promoted after a controller restart), an abort and an analysis failure must produce
// exactly the expected messages at each real receiver on loopback: a webhook, Slack's
// chat.postMessage replayed from its documented API, a Teams incoming webhook, a real SMTP
// server, and GitHub commit statuses on the GitHub stand-in.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadKubeConfig } from '../../src/kube/config.js';
import { apiEventSink, EventRecorder } from '../../src/kube/events.js';
import type { KubeObject } from '../../src/kube/object.js';
import { RestClient } from '../../src/kube/rest.js';
import { Exposition } from '../../src/metrics/object-families.js';
import { attachNotifications } from '../../src/notifications/controller.js';
import { createLogger } from '../../src/process/logger.js';
import { startTestController, type TestController } from './support/controller.js';
import { type GitHubFixture, startGitHubFixture } from './support/github-fixture.js';
import { type FixtureServer, type RecordedRequest, startHttpFixture } from './support/http-fixtures.js';
import { apply, kubectl, kubectlAsync } from './support/kubectl.js';
import { analysisTemplateManifest, canaryRollout, jobProvider } from './support/manifests.js';
import { getRollout, operate, setImage, waitForPhase } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const namespace = `notify-${Date.now().toString(36)}`;
const COMMIT = 'a'.repeat(40);
const SLACK_TOKEN = 'xoxb-slipway-e2e';
let controller: TestController | undefined;
let receiver: FixtureServer;
let github: GitHubFixture;
let smtp: SMTPServer;
const mails: { to: string; subject: string; body: string }[] = [];

function rollout(name: string, steps: unknown[]): string {
  return JSON.stringify(
    canaryRollout(
      namespace,
      name,
      { steps },
      {
        metadata: {
          annotations: {
            'example.com/repo': 'https://github.com/shop/web.git',
            'example.com/commit': COMMIT,
          },
        },
      },
    ),
  );
}

function subscribe(name: string, subscriptions: Record<string, string>): void {
  kubectl([
    'annotate',
    'rollout',
    name,
    '-n',
    namespace,
    ...Object.entries(subscriptions).map(([k, v]) => `notifications.argoproj.io/subscribe.${k}=${v}`),
  ]);
}

const slackPosts = () =>
  receiver.requests
    .filter((r) => r.path === '/slack/api/chat.postMessage')
    .map((r) => new URLSearchParams(r.body))
    .map((f) => ({ channel: f.get('channel'), text: f.get('text'), attachments: f.get('attachments') }));
const hookBodies = () =>
  receiver.requests.filter((r) => r.path === '/hook').map((r) => `${r.method} ${r.body}`);
const teamsCards = () =>
  receiver.requests
    .filter((r) => r.path === '/teams/webhookb2/ops-7f3a')
    .map((r: RecordedRequest) => JSON.parse(r.body) as { text: string });
const statuses = () => github.statuses.get(COMMIT) ?? [];

function configMap(smtpPort: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argo-rollouts-notification-configmap', namespace },
    data: {
      'service.webhook.hook': `url: ${receiver.url}/hook\n`,
      'service.slack': `token: $slack-token\napiURL: ${receiver.url}/slack/api/\n`,
      'service.teams': `recipientUrls:\n  ops: ${receiver.url}/teams/webhookb2/$teams-ops-key\n`,
      'service.email': `host: 127.0.0.1\nport: ${smtpPort}\nfrom: rollouts@example.com\n`,
      'service.github': `appID: 4242\ninstallationID: 7\nprivateKey: $github-privateKey\nenterpriseBaseURL: ${github.baseUrl}\n`,
      'template.github-commit-status': [
        'github:',
        '  repoURLPath: "{{index .rollout.metadata.annotations \\"example.com/repo\\"}}"',
        '  revisionPath: "{{index .rollout.metadata.annotations \\"example.com/commit\\"}}"',
        '  status:',
        '    state: success',
        '    label: "continuous-delivery/{{.rollout.metadata.name}}"',
        '    targetURL: "https://rollouts.example/{{.rollout.metadata.namespace}}/{{.rollout.metadata.name}}"',
        '',
      ].join('\n'),
      'trigger.on-rollout-completed': '- send: [rollout-completed, github-commit-status]\n',
      // A template calling a function that does not exist: an Event on the Rollout, nothing sent.
      'template.broken': 'message: "{{ .rollout.metadata.name | shout }}"\n',
      'trigger.on-rollout-updated': '- send: [broken]\n',
    },
  });
}

beforeAll(async () => {
  receiver = await startHttpFixture((request) => {
    if (request.path === '/slack/api/chat.postMessage') {
      // Slack's documented answers: 200 with ok:false for auth and channel errors.
      if (request.headers.authorization !== `Bearer ${SLACK_TOKEN}`)
        return { body: { ok: false, error: 'invalid_auth' } };
      const channel = new URLSearchParams(request.body).get('channel');
      if (!channel) return { body: { ok: false, error: 'channel_not_found' } };
      return {
        body: { ok: true, channel: 'C0123456789', ts: '1767225600.000100', message: { type: 'message' } },
      };
    }
    if (request.path.startsWith('/teams/')) return { body: '1' };
    return { body: 'ok' };
  });
  github = await startGitHubFixture({ owner: 'shop', repo: 'web', token: 'none', appInstallationId: 7 });
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => {
        raw += chunk.toString('utf8');
      });
      stream.on('end', () => {
        const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
        const subject = /^Subject: (.*)$/m.exec(head)?.[1] ?? '';
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          subject,
          body: rest.join('\n\n').trim(),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  kubectl(['create', 'namespace', namespace]);
  kubectl([
    'create',
    'secret',
    'generic',
    'argo-rollouts-notification-secret',
    '-n',
    namespace,
    `--from-literal=slack-token=${SLACK_TOKEN}`,
    '--from-literal=teams-ops-key=ops-7f3a',
    `--from-literal=github-privateKey=${privateKey}`,
  ]);
  kubectl(['apply', '-f', '-'], configMap(smtpPort));
  apply(
    analysisTemplateManifest(namespace, 'job-fail', [
      { name: 'check', provider: jobProvider(1, 'check', ['false']) },
    ]),
  );
  controller = await startTestController(namespace);
});

afterAll(async () => {
  await controller?.shutdown();
  await receiver?.close();
  await github?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
});

describe('notifications', () => {
  it('a canary, an abort and an analysis failure notify each receiver exactly once per message, across a restart', async () => {
    // Given three Rollouts deployed, then subscribed (so the first deploy notifies nobody).
    kubectl(['apply', '-f', '-'], rollout('canary', [{ setWeight: 50 }, { pause: {} }]));
    kubectl(['apply', '-f', '-'], rollout('abort', [{ setWeight: 50 }, { pause: {} }]));
    kubectl(
      ['apply', '-f', '-'],
      rollout('analysis', [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'job-fail' }] } }]),
    );
    for (const name of ['canary', 'abort', 'analysis']) {
      await waitForPhase(namespace, name, 'Healthy');
    }
    subscribe('canary', {
      'on-rollout-step-completed.hook': '',
      'on-rollout-paused.slack': 'deploys',
      'on-rollout-completed.hook': '',
      'on-rollout-completed.slack': 'deploys',
      'on-rollout-completed.teams': 'ops',
      'on-rollout-completed.email': 'dev@example.com',
      'on-rollout-completed.github': '',
    });
    subscribe('abort', {
      'on-rollout-aborted.hook': '',
      'on-rollout-aborted.slack': 'alerts',
      'on-rollout-aborted.teams': 'ops',
    });
    subscribe('analysis', {
      'on-analysis-run-failed.hook': '',
      'on-analysis-run-failed.slack': 'alerts',
      'on-analysis-run-failed.email': 'oncall@example.com',
      'on-rollout-updated.hook': '',
    });

    // When the canary and the abort Rollout reach their pause
    setImage(namespace, 'canary', 'web:2');
    setImage(namespace, 'abort', 'web:2');
    for (const name of ['canary', 'abort']) {
      await waitForPhase(namespace, name, 'Paused');
    }
    await eventually('the pause and step notifications', () =>
      slackPosts().length >= 1 && hookBodies().length >= 1 ? true : undefined,
    );

    // and the controller restarts
    await controller?.shutdown();
    controller = await startTestController(namespace);

    // and then the canary is promoted, the other aborted, and an analysis fails
    operate(namespace, 'canary', 'promote');
    operate(namespace, 'abort', 'abort');
    setImage(namespace, 'analysis', 'web:2');
    await waitForPhase(namespace, 'canary', 'Healthy', (s) => s.stableRS === s.currentPodHash);
    await waitForPhase(namespace, 'abort', 'Degraded');
    await waitForPhase(namespace, 'analysis', 'Degraded');

    // Then each receiver has exactly the expected messages.
    const expectedHook = [
      'GET Rollout canary step number 1/2 has been completed.',
      'GET Rollout canary step number 2/2 has been completed.',
      'GET Rollout canary has been completed.',
      'GET Rollout abort has been aborted.',
      "GET Rollout analysis's analysis run failed.",
    ].sort();
    await eventually('every message', () =>
      hookBodies().length >= expectedHook.length &&
      slackPosts().length >= 4 &&
      mails.length >= 2 &&
      teamsCards().length >= 2 &&
      statuses().length >= 1
        ? true
        : undefined,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\nhook: ${JSON.stringify(hookBodies())}\nslack: ${JSON.stringify(slackPosts().map((p) => p.text))}\nmail: ${JSON.stringify(mails)}\nteams: ${teamsCards().length} github: ${statuses().length}`,
      );
    });
    expect(hookBodies().sort()).toEqual(expectedHook);
    expect(
      slackPosts()
        .map((p) => `${p.channel} ${p.text}`)
        .sort(),
    ).toEqual(
      [
        'deploys Rollout canary has been paused.',
        'deploys Rollout canary has been completed.',
        'alerts Rollout abort has been aborted.',
        "alerts Rollout analysis's analysis run failed.",
      ].sort(),
    );
    const completedSlack = slackPosts().find((p) => p.text === 'Rollout canary has been completed.');
    expect(JSON.parse(completedSlack?.attachments ?? '')).toEqual([
      {
        title: 'canary',
        color: '#18be52',
        fields: [
          { title: 'Strategy', value: 'Canary', short: true },
          { title: 'app', value: 'web:2', short: true },
        ],
      },
    ]);
    expect(
      teamsCards()
        .map((c) => c.text)
        .sort(),
    ).toEqual(['Rollout abort has been aborted.', 'Rollout canary has been completed.'].sort());
    expect(mails.map((m) => `${m.to} | ${m.subject} | ${m.body}`).sort()).toEqual(
      [
        'dev@example.com | Rollout canary has been completed. | Rollout canary has been completed.',
        "oncall@example.com | Rollout analysis's analysis run failed. | Rollout analysis's analysis run failed.",
      ].sort(),
    );
    expect(statuses()).toEqual([
      {
        state: 'success',
        context: 'continuous-delivery/canary',
        description: 'Rollout canary has been completed.',
        target_url: `https://rollouts.example/${namespace}/canary`,
      },
    ]);

    // The broken template is reported on its Rollout, as a Warning Event.
    await eventually('the NotificationFailed Event', async () =>
      (
        await kubectlAsync([
          'get',
          'events',
          '-n',
          namespace,
          '--field-selector',
          'involvedObject.name=analysis,reason=NotificationFailed',
          '-o',
          'jsonpath={.items[*].message}',
        ])
      ).includes('trigger on-rollout-updated: template: broken:1: function "shout" not defined')
        ? true
        : undefined,
    );

    // The delivery state is on the Rollout, as notifications-engine records it.
    const notified = JSON.parse(
      getRollout(namespace, 'canary').metadata?.annotations?.['notified.notifications.argoproj.io'] ?? '{}',
    ) as Record<string, number>;
    expect(
      Object.keys(notified)
        .filter((k) => k.includes(':on-rollout-completed:'))
        .map((k) => k.replace(/^.*:on-rollout-completed:\[0\]\.[\w-]+:/, ''))
        .sort(),
    ).toEqual(['email:dev@example.com', 'github:', 'hook:', 'slack:deploys', 'teams:ops']);
  });

  it('a new leader that records the same Event again sends nothing twice (state on the Rollout)', async () => {
    // Given a Rollout subscribed to on-rollout-paused, as the Event's recorder saw it
    kubectl(['apply', '-f', '-'], rollout('replay', [{ setWeight: 50 }]));
    await waitForPhase(namespace, 'replay', 'Healthy');
    subscribe('replay', { 'on-rollout-paused.hook': '' });
    const seen = { ...(getRollout(namespace, 'replay') as unknown as KubeObject), kind: 'Rollout' };
    const client = new RestClient(loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig);
    const before = hookBodies().length;

    // When two processes, one after the other, record the same Event about that Rollout
    for (const process of ['old leader', 'new leader']) {
      const events = new EventRecorder({ sink: apiEventSink(client), component: `e2e ${process}` });
      const stop = attachNotifications({
        client,
        events,
        registry: new Registry(),
        exposition: new Exposition(),
        logger: createLogger('notifications', 'warn'),
        namespace,
        kinds: ['Rollout'],
      });
      await events.normal(seen, 'RolloutPaused', 'Rollout is paused (CanaryPauseStep)');
      await stop(); // waits for the notifications it started
    }

    // Then the webhook got the message once, and the Rollout records it.
    expect(hookBodies().slice(before)).toEqual(['GET Rollout replay has been paused.']);
    const notified = getRollout(namespace, 'replay').metadata?.annotations?.[
      'notified.notifications.argoproj.io'
    ];
    expect(Object.keys(JSON.parse(notified ?? '{}'))).toEqual([
      expect.stringMatching(/:on-rollout-paused:\[0\]\.[\w-]+:hook:$/),
    ]);
  });

  it('ConfigMap created, changed and deleted while the controller runs', async () => {
    // Given a Rollout of six steps subscribed to on-rollout-step-completed via the service `live`,
    // whose URL names the version of the ConfigMap that configured it.
    const steps = [
      { setWeight: 20 },
      { pause: {} },
      { setWeight: 40 },
      { pause: {} },
      { setWeight: 60 },
      { pause: {} },
    ];
    kubectl(['apply', '-f', '-'], rollout('live', steps));
    await waitForPhase(namespace, 'live', 'Healthy');
    subscribe('live', { 'on-rollout-step-completed.live': '' });
    const live = (version: string) =>
      receiver.requests
        .filter((r) => r.path === `/live/${version}`)
        .map((r) => /step number \d\/6/.exec(r.body)?.[0] ?? r.body);
    /** How many times the controller's log says it saw a change of the ConfigMap so far. */
    const seen = (change: string, resourceVersion?: string) =>
      readFileSync(controller?.logPath ?? '', 'utf8')
        .split('\n')
        .filter(
          (line) =>
            line.includes('notifications: configuration object seen') &&
            line.includes('"name":"argo-rollouts-notification-configmap"') &&
            line.includes(`"change":"${change}"`) &&
            (resourceVersion === undefined || line.includes(`"resourceVersion":"${resourceVersion}"`)),
        ).length;
    const deletedBefore = seen('deleted');
    /** Writes the ConfigMap of `version` and waits until the controller's informer has it. */
    const writeConfig = async (version: string) => {
      kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'argo-rollouts-notification-configmap', namespace },
          data: { 'service.webhook.live': `url: ${receiver.url}/live/${version}\n` },
        }),
      );
      const rv = kubectl([
        'get',
        'configmap',
        'argo-rollouts-notification-configmap',
        '-n',
        namespace,
        '-o',
        'jsonpath={.metadata.resourceVersion}',
      ]).trim();
      await eventually(`the controller sees ConfigMap ${version} (${rv})`, () =>
        seen('added', rv) + seen('changed', rv) > 0 ? true : undefined,
      );
    };
    const deleteConfig = async () => {
      const before = seen('deleted');
      kubectl(['delete', 'configmap', 'argo-rollouts-notification-configmap', '-n', namespace]);
      await eventually('the controller sees the ConfigMap deleted', () =>
        seen('deleted') > before ? true : undefined,
      );
    };

    // When the ConfigMap is deleted, then step 1 completes: nobody is told.
    await deleteConfig();
    expect(seen('deleted')).toBe(deletedBefore + 1);
    setImage(namespace, 'live', 'web:2');
    await waitForPhase(namespace, 'live', 'Paused', (s) => s.currentStepIndex === 1);

    // When it is created (v1), steps 2 and 3 complete.
    await writeConfig('v1');
    operate(namespace, 'live', 'promote');
    await waitForPhase(namespace, 'live', 'Paused', (s) => s.currentStepIndex === 3);
    await eventually('steps 2 and 3 at v1', () => (live('v1').length >= 2 ? true : undefined));

    // When it is changed (v2), steps 4 and 5 complete.
    await writeConfig('v2');
    operate(namespace, 'live', 'promote');
    await waitForPhase(namespace, 'live', 'Paused', (s) => s.currentStepIndex === 5);
    await eventually('steps 4 and 5 at v2', () => (live('v2').length >= 2 ? true : undefined));

    // When it is deleted, step 6 completes; then created again (v3), and a new update's step 1.
    await deleteConfig();
    operate(namespace, 'live', 'promote');
    await waitForPhase(namespace, 'live', 'Healthy', (s) => s.stableRS === s.currentPodHash);
    await writeConfig('v3');
    setImage(namespace, 'live', 'web:3');
    await waitForPhase(namespace, 'live', 'Paused', (s) => s.currentStepIndex === 1);
    await eventually('step 1 at v3', () => (live('v3').length >= 1 ? true : undefined));

    // Then each step went to the configuration in force when it completed, and none while there
    // was none (a Rollout's notifications are handled in order, so step 6 was handled before v3's).
    expect(live('v1')).toEqual(['step number 2/6', 'step number 3/6']);
    expect(live('v2')).toEqual(['step number 4/6', 'step number 5/6']);
    expect(live('v3')).toEqual(['step number 1/6']);
  });
});
