// Bad specs on the local cluster, reported as Argo Rollouts v1.10.2 reports them: InvalidSpec
// (Degraded) for a missing canaryService or AnalysisTemplate and for template + workloadRef,
// Progressing=False/ReplicaSetCreateError when the API refuses the ReplicaSet, each with a
// Warning Event; a template with `memory: invalid` becomes Healthy as in Argo's
// TestMalformedRollout. A healthy Rollout next to all of them still completes.
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/api/rollout.js';
import { useControllerNamespace } from './support/controller.js';
import { getJson, kubectl } from './support/kubectl.js';
import { eventReasons, expectEvents, getRollout, waitForPhase, waitForRollout } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const namespace = useControllerNamespace('invalid-spec');

function create(object: object): void {
  // `create`, not `apply`: apply would copy a large template into an annotation of the Rollout.
  kubectl(['create', '-n', namespace, '-f', '-'], JSON.stringify(object));
}

function service(name: string, app: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app }, ports: [{ port: 80, targetPort: 80 }] },
  };
}

function rollout(name: string, extra: { canary?: object; template?: object; spec?: object } = {}): object {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: extra.template ?? {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1' }] },
      },
      strategy: { canary: extra.canary ?? { steps: [{ setWeight: 50 }, { pause: { duration: 1 } }] } },
      ...extra.spec,
    },
  };
}

const condition = (ro: Rollout, type: string) => ro.status?.conditions?.find((c) => c.type === type);

function eventMessages(name: string, reason: string): string[] {
  const events = getJson<{
    items: { reason: string; message: string; type: string; involvedObject: { name: string } }[];
  }>(['events', '-n', namespace]).items;
  return events
    .filter((e) => e.involvedObject.name === name && e.reason === reason && e.type === 'Warning')
    .map((e) => e.message);
}

function replicaSetsOf(app: string): string[] {
  return getJson<{ items: { metadata: { name: string } }[] }>([
    'replicasets',
    '-n',
    namespace,
    '-l',
    `app=${app}`,
  ]).items.map((rs) => rs.metadata.name);
}

describe('bad specs are reported with Argo Rollouts conditions and Warning Events', () => {
  it('creates every bad Rollout and a healthy one; the healthy one completes', async () => {
    create(service('no-canary-svc-stable', 'no-canary-svc'));
    create(
      rollout('no-canary-svc', {
        canary: { canaryService: 'no-canary-svc-canary', stableService: 'no-canary-svc-stable' },
      }),
    );
    create(
      rollout('missing-template', {
        canary: {
          steps: [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'no-such-template' }] } }],
        },
      }),
    );
    create(
      rollout('template-and-ref', {
        spec: { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'whatever' } },
      }),
    );
    // 300 KiB of pod-template annotations: the Rollout is stored, the ReplicaSet is refused
    // (core/v1 allows 256 KiB of annotations on a pod template).
    create(
      rollout('refused-rs', {
        template: {
          metadata: { labels: { app: 'refused-rs' }, annotations: { big: 'x'.repeat(300 * 1024) } },
          spec: { containers: [{ name: 'app', image: 'nginx:1' }] },
        },
      }),
    );
    create(
      rollout('malformed', {
        template: {
          metadata: { labels: { app: 'malformed' } },
          spec: {
            containers: [{ name: 'app', image: 'nginx:1', resources: { requests: { memory: 'invalid' } } }],
          },
        },
      }),
    );
    create(rollout('healthy'));
    await waitForPhase(namespace, 'healthy', 'Healthy');
  });

  it("a missing canaryService: InvalidSpec with Argo's message, nothing created; creating it recovers", async () => {
    const message =
      'The Rollout "no-canary-svc" is invalid: spec.strategy.canary.canaryService: Invalid value: "no-canary-svc-canary": service "no-canary-svc-canary" not found';
    const ro = await waitForPhase(namespace, 'no-canary-svc', 'Degraded');
    expect(condition(ro, 'InvalidSpec')).toMatchObject({ status: 'True', reason: 'InvalidSpec', message });
    expect(ro.status?.message).toBe(`InvalidSpec: ${message}`);
    await eventually('the InvalidSpec Warning Event', () =>
      eventMessages('no-canary-svc', 'InvalidSpec').includes(message) ? true : undefined,
    );
    expect(replicaSetsOf('no-canary-svc')).toEqual([]);

    create(service('no-canary-svc-canary', 'no-canary-svc'));
    await waitForPhase(namespace, 'no-canary-svc', 'Healthy');
    expect(condition(getRollout(namespace, 'no-canary-svc'), 'InvalidSpec')).toBeUndefined();
  });

  it('a missing AnalysisTemplate: Degraded at creation, not Healthy', async () => {
    const message = `The Rollout "missing-template" is invalid: spec.strategy.canary.steps[1].analysis.templates: Invalid value: "no-such-template": AnalysisTemplate 'no-such-template' not found`;
    const ro = await waitForPhase(namespace, 'missing-template', 'Degraded');
    expect(condition(ro, 'InvalidSpec')).toMatchObject({ reason: 'InvalidSpec', message });
    await eventually('the InvalidSpec Warning Event', () =>
      eventMessages('missing-template', 'InvalidSpec').includes(message) ? true : undefined,
    );
    expect(replicaSetsOf('missing-template')).toEqual([]);
  });

  it('template and workloadRef together: template must be empty for workload reference rollout', async () => {
    const message =
      'The Rollout "template-and-ref" is invalid: template must be empty for workload reference rollout';
    const ro = await waitForPhase(namespace, 'template-and-ref', 'Degraded');
    expect(condition(ro, 'InvalidSpec')).toMatchObject({ reason: 'InvalidSpec', message });
    await eventually('the InvalidSpec Warning Event', () =>
      eventMessages('template-and-ref', 'InvalidSpec').includes(message) ? true : undefined,
    );
  });

  it('a ReplicaSet the API refuses: Progressing=False/ReplicaSetCreateError and a Warning Event', async () => {
    const ro = await waitForRollout(
      namespace,
      'refused-rs',
      'ReplicaSetCreateError',
      (r) => condition(r, 'Progressing')?.reason === 'ReplicaSetCreateError',
    );
    const progressing = condition(ro, 'Progressing');
    expect(progressing?.status).toBe('False');
    expect(progressing?.message).toMatch(
      /^Failed to create new replica set "refused-rs-[a-z0-9]+": ReplicaSet\.apps "refused-rs-[a-z0-9]+" is invalid: /,
    );
    expect(progressing?.message).toContain('annotations');
    expect(progressing?.message).not.toContain('xxxxxxxx'); // the value is not quoted
    await eventually('the ReplicaSetCreateError Warning Event', () =>
      eventMessages('refused-rs', 'ReplicaSetCreateError').includes(progressing?.message ?? '')
        ? true
        : undefined,
    );
    expect(replicaSetsOf('refused-rs')).toEqual([]);
  });

  it("memory: invalid: Healthy as in Argo's TestMalformedRollout, the ReplicaSet without the request", async () => {
    await waitForPhase(namespace, 'malformed', 'Healthy');
    const [rsName] = replicaSetsOf('malformed');
    const rs = getJson<{
      spec: { template: { spec: { containers: { resources?: { requests?: object } }[] } } };
    }>(['replicaset', rsName ?? '', '-n', namespace]);
    expect(rs.spec.template.spec.containers[0]?.resources?.requests ?? {}).toEqual({});
    // Written back without the bad value, so typed clients (Argo's e2e fixtures) can read it.
    const stored = getJson<{ spec: { template: object } }>(['rollout', 'malformed', '-n', namespace]);
    expect(JSON.stringify(stored.spec.template)).not.toContain('invalid');
    await expectEvents(namespace, 'malformed', ['MalformedTemplate']);
    expect(await eventReasons(namespace, 'malformed')).not.toContain('InvalidSpec');
  });
});
