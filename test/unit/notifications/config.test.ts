import { describe, expect, it } from 'vitest';
import { parseNotificationConfig, resolveServiceSecrets } from '../../../src/notifications/config.js';
import { parseLabelSelector, selectorMatches } from '../../../src/notifications/label-selector.js';
import { parseState, stateKey, truncateState } from '../../../src/notifications/state.js';
import {
  annotationDestinations,
  destinationsFor,
  triggerForReason,
} from '../../../src/notifications/subscriptions.js';
import { runTrigger } from '../../../src/notifications/triggers.js';
import { itMaps } from '../support/each.js';

/** The notification ConfigMap `data` (and Secret) of namespace `ns`. */
const parse = (data: Record<string, string>, secrets: Record<string, string> = {}) =>
  parseNotificationConfig(data, secrets, { namespace: 'ns' });

describe('configuration', () => {
  it('reads services (with $secret references), templates, triggers and default triggers', () => {
    const cfg = parseNotificationConfig(
      {
        'service.slack': 'token: $slack-token\nusername: $missing\n',
        'service.webhook.github-hook': 'url: https://hooks.example/$hook-id/x\n',
        'template.my': 'message: hi\n',
        'trigger.on-x': '- when: "true"\n  send: [my]\n',
        defaultTriggers: '- on-x\n',
        'defaultTriggers.slack': '- on-rollout-completed\n',
      },
      { 'slack-token': 'xoxb-1', 'hook-id': '42' },
      { namespace: 'argo-rollouts' },
    );
    expect(cfg.problems).toEqual([]);
    expect(cfg.services.get('slack')).toEqual({
      type: 'slack',
      name: 'slack',
      options: { token: 'xoxb-1', username: '$missing' },
    });
    expect(cfg.services.get('github-hook')?.options).toEqual({ url: 'https://hooks.example/42/x' });
    expect(cfg.triggers.get('on-x')).toEqual([{ when: 'true', send: ['my'] }]);
    expect(cfg.triggers.get('on-rollout-completed')).toEqual([{ send: ['rollout-completed'] }]);
    expect(cfg.defaultTriggers).toEqual(['on-x']);
    expect(cfg.serviceDefaultTriggers.get('slack')).toEqual(['on-rollout-completed']);
  });

  it('the ConfigMap overrides the catalog; bad keys are reported and skipped', () => {
    const cfg = parse({
      'template.rollout-completed': 'message: mine\n',
      'trigger.on-bad': 'send: not-a-list\n',
      'service.a.b.c': 'url: x',
      'template.broken': 'message: [unclosed',
    });
    expect(cfg.templates.get('rollout-completed')).toEqual({ message: 'mine' });
    expect(cfg.problems).toEqual([
      'trigger.on-bad: expected a list of conditions',
      "service.a.b.c: invalid service key; expected 'service.<type>(.<name>)'",
      expect.stringMatching(/^template\.broken: invalid YAML: /),
    ]);
  });

  it('secret values keep YAML structure (a multi-line private key stays one string)', () => {
    expect(
      resolveServiceSecrets('privateKey: $key\n', { key: '-----BEGIN-----\nabc\n-----END-----\n' }),
    ).toEqual({
      privateKey: '-----BEGIN-----\nabc\n-----END-----\n',
    });
  });
});

describe('subscriptions', () => {
  const cfg = parse({
    defaultTriggers: '- on-rollout-completed\n- on-rollout-aborted\n',
    'defaultTriggers.teams': '- on-rollout-aborted\n',
    subscriptions:
      '- recipients: [slack:ops, webhook]\n  triggers: [on-rollout-aborted]\n  selector: env in (prod),!canary\n',
  });

  it.each([
    [
      { 'notifications.argoproj.io/subscribe.on-rollout-paused.slack': 'a; b' },
      'on-rollout-paused',
      ['slack:a', 'slack:b'],
    ],
    [{ 'notifications.argoproj.io/subscribe.slack': 'a' }, 'on-rollout-aborted', ['slack:a']],
    [{ 'notifications.argoproj.io/subscribe.teams': 'x' }, 'on-rollout-completed', []],
    [
      { 'notifications.argoproj.io/subscribe.on-rollout-paused.webhook': '' },
      'on-rollout-paused',
      ['webhook:'],
    ],
    [
      {
        'notifications.argoproj.io/subscriptions':
          '- trigger: [on-rollout-paused]\n  destinations:\n  - service: slack\n    recipients: [c1, c2]\n',
      },
      'on-rollout-paused',
      ['slack:c1', 'slack:c2'],
    ],
  ])('%j → %s', (annotations, trigger, expected) => {
    const dests = annotationDestinations(annotations, cfg).get(trigger) ?? [];
    expect(dests.map((d) => `${d.service}:${d.recipient}`)).toEqual(expected);
  });

  it('global subscriptions match by label selector', () => {
    const prod = destinationsFor(cfg, { labels: { env: 'prod' } }, 'on-rollout-aborted');
    expect(prod.map((d) => `${d.service}:${d.recipient}`)).toEqual(['slack:ops', 'webhook:']);
    expect(destinationsFor(cfg, { labels: { env: 'prod', canary: 'x' } }, 'on-rollout-aborted')).toEqual([]);
    expect(destinationsFor(cfg, { labels: { env: 'dev' } }, 'on-rollout-aborted')).toEqual([]);
  });

  itMaps("Argo's reason → trigger: %s → %s", triggerForReason, [
    ['RolloutCompleted', 'on-rollout-completed'],
    ['RolloutStepCompleted', 'on-rollout-step-completed'],
    ['ScalingReplicaSet', 'on-scaling-replica-set'],
    ['AnalysisRunFailed', 'on-analysis-run-failed'],
    ['RolloutAborted', 'on-rollout-aborted'],
  ]);

  it('label selectors', () => {
    expect(
      selectorMatches(parseLabelSelector('a=1,b!=2,c,!d,e notin (x, y)'), { a: '1', b: '3', c: '' }),
    ).toBe(true);
    expect(selectorMatches(parseLabelSelector('a==1'), { a: '2' })).toBe(false);
    expect(() => parseLabelSelector('a in x')).toThrow(/cannot parse label selector term/);
  });
});

describe('triggers and state', () => {
  it('evaluates when and oncePer; a bad expression is an error, not a crash', () => {
    const vars = { rollout: { status: { phase: 'Healthy' }, metadata: { generation: 3 } } };
    const [ok, off, bad] = runTrigger(
      [
        { when: "rollout.status.phase == 'Healthy'", oncePer: 'rollout.metadata.generation', send: ['a'] },
        { when: "rollout.status.phase == 'Degraded'", send: ['b'] },
        { when: 'rollout.status.phase ==', send: ['c'] },
      ],
      vars,
    );
    expect(ok).toMatchObject({ triggered: true, oncePer: '3', templates: ['a'] });
    expect(ok?.key).toMatch(/^\[0\]\.[\w-]{27}$/);
    expect(off).toMatchObject({ triggered: false });
    expect(bad?.triggered).toBe(false);
    expect(bad?.error).toMatch(/^when "rollout.status.phase ==": /);
  });

  it("state keys, parsing and truncation follow notifications-engine's", () => {
    expect(
      stateKey({
        trigger: 't',
        conditionKey: '[0].x',
        destination: { service: 's', recipient: 'r' },
        oncePer: '7',
      }),
    ).toBe('7:t:[0].x:s:r');
    expect(
      stateKey({
        selfServiceNamespace: 'ns',
        trigger: 't',
        conditionKey: 'k',
        destination: { service: 's', recipient: '' },
      }),
    ).toBe('ns:t:k:s:');
    expect(parseState('not json')).toEqual({});
    const big = Object.fromEntries(Array.from({ length: 105 }, (_v, i) => [`k${i}`, 1000 + i]));
    const kept = truncateState(big);
    expect(Object.keys(kept)).toHaveLength(100);
    expect(kept.k0).toBeUndefined();
    expect(kept.k104).toBe(1104);
  });
});
