// Bad specs reported as Argo Rollouts v1.10.2 reports them: InvalidSpec with Argo's own
// messages for missing Services and analysis templates and for template + workloadRef, and
// the tolerant decode of a malformed template (TestMalformedRollout).
import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate, ClusterAnalysisTemplate } from '../../../src/api/analysis.js';
import type { Rollout } from '../../../src/api/rollout.js';
import { tolerantPodTemplate } from '../../../src/rollout/malformed.js';
import {
  INVALID_SPEC_REQUEUE_MS,
  MALFORMED_TEMPLATE_REASON,
  type ObservedRolloutObject,
  planRollout,
} from '../../../src/rollout/plan.js';
import { podTemplateHash } from '../../../src/rollout/pod-template-hash.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';
import { templateFor } from './fixtures.js';

const NOW = new Date('2026-11-21T12:00:00Z');

function rollout(spec: Partial<Rollout['spec']> = {}, name = 'web'): ObservedRolloutObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: 'shop', uid: 'uid-1', generation: 1 },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: templateFor('web:1'),
      strategy: {
        canary: { canaryService: 'web-canary', stableService: 'web-stable', steps: [{ setWeight: 20 }] },
      },
      ...spec,
    },
  };
}

const service = (name: string): Service => ({
  metadata: { name, namespace: 'shop' },
  spec: { selector: { app: 'web' } },
});
const template = (
  name: string,
  nested?: { templateName: string; clusterScope?: boolean }[],
): AnalysisTemplate => ({
  metadata: { name, namespace: 'shop' },
  spec: {
    metrics: [{ name: 'ok', provider: { web: { url: 'http://127.0.0.1/' } } }],
    ...(nested ? { templates: nested } : {}),
  },
});

function plan(
  ro: ObservedRolloutObject,
  services: string[] = ['web-canary', 'web-stable'],
  analysisTemplates: AnalysisTemplate[] = [],
  clusterAnalysisTemplates: ClusterAnalysisTemplate[] = [],
) {
  return planRollout({
    rollout: ro,
    replicaSets: [] as ReplicaSet[],
    services: new Map(services.map((n) => [n, service(n)])),
    now: NOW,
    analysis: { runs: [], templates: { analysisTemplates, clusterAnalysisTemplates } },
  });
}

function expectInvalid(result: ReturnType<typeof plan>, message: string) {
  expect(result.actions).toEqual([]);
  expect(result.status.conditions).toContainEqual(
    expect.objectContaining({ type: 'InvalidSpec', status: 'True', reason: 'InvalidSpec', message }),
  );
  expect(result.status).toMatchObject({ phase: 'Degraded', message: `InvalidSpec: ${message}` });
  expect(result.events).toEqual([{ type: 'Warning', reason: 'InvalidSpec', message }]);
  expect(result.requeueAfterMs).toBe(INVALID_SPEC_REQUEUE_MS);
  // Argo's syncHandler returns these as errors: rollout_reconcile_error counts them.
  expect(result.invalidSpecError).toBe(true);
}

describe('InvalidSpec with Argo Rollouts messages', () => {
  it('a missing canaryService: nothing is created, Degraded at once', () => {
    expectInvalid(
      plan(rollout(), ['web-stable']),
      'The Rollout "web" is invalid: spec.strategy.canary.canaryService: Invalid value: "web-canary": service "web-canary" not found',
    );
  });

  it('the stableService is checked before the canaryService, as in Argo', () => {
    expectInvalid(
      plan(rollout(), []),
      'The Rollout "web" is invalid: spec.strategy.canary.stableService: Invalid value: "web-stable": service "web-stable" not found',
    );
  });

  it('a missing AnalysisTemplate of a step is InvalidSpec at creation, before the step is reached', () => {
    const ro = rollout({
      strategy: {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          steps: [{ setWeight: 20 }, { pause: {} }, { analysis: { templates: [{ templateName: 'smoke' }] } }],
        },
      },
    });
    expectInvalid(
      plan(ro),
      `The Rollout "web" is invalid: spec.strategy.canary.steps[2].analysis.templates: Invalid value: "smoke": AnalysisTemplate 'smoke' not found`,
    );
    expect(plan(ro, undefined, [template('smoke')]).actions.map((a) => a.kind)).toContain('createReplicaSet');
  });

  it('background analysis: a missing ClusterAnalysisTemplate and a missing nested template', () => {
    const ro = rollout({
      strategy: {
        canary: {
          analysis: {
            templates: [{ templateName: 'shared', clusterScope: true }, { templateName: 'outer' }],
          },
        },
      },
    });
    expectInvalid(
      plan(ro, [], [template('outer')]),
      `The Rollout "web" is invalid: spec.strategy.canary.analysis.templates: Invalid value: "shared": ClusterAnalysisTemplate 'shared' not found`,
    );
    const shared = template('shared') as ClusterAnalysisTemplate;
    expectInvalid(
      plan(ro, [], [template('outer', [{ templateName: 'inner' }])], [shared]),
      `The Rollout "web" is invalid: spec.templates: Invalid value: "inner": AnalysisTemplate 'inner' not found`,
    );
  });

  it("a template with workloadRef: Argo's resolver message", () => {
    expectInvalid(
      plan(
        rollout({
          workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          selector: undefined,
        }),
      ),
      'The Rollout "web" is invalid: template must be empty for workload reference rollout',
    );
  });

  it('a workloadRef to a missing Deployment is InvalidSpec that Argo does not count as a reconcile error', () => {
    const result = plan(
      rollout({
        workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        template: undefined,
        selector: undefined,
      }),
    );
    expect(result.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'InvalidSpec', status: 'True' }),
    );
    expect(result.invalidSpecError).toBeUndefined();
    expect(plan(rollout()).invalidSpecError).toBeUndefined();
  });

  it('keeps the condition (and sends no second Event) while the problem stays the same', () => {
    const first = plan(rollout(), ['web-stable']);
    const again = plan({ ...rollout(), status: first.status }, ['web-stable']);
    expect(again.events).toEqual([]);
    expect(again.status).toEqual(first.status);
  });
});

describe('a malformed template (TestMalformedRollout: memory: invalid)', () => {
  const malformed = {
    metadata: { labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'web:1',
          resources: { requests: { cpu: '100m', memory: 'invalid' }, limits: { memory: '1Gi' } },
          volumeMounts: [{ name: 'v', mountPath: '/v' }],
        },
      ],
      terminationGracePeriodSeconds: 5,
    },
  };

  it('decodes as Go encoding/json does: up to the bad value, which is dropped', () => {
    const decoded = tolerantPodTemplate(malformed);
    expect(decoded.malformed).toEqual({
      path: 'spec.template.spec.containers[0].resources.requests.memory',
      problem: expect.stringContaining('quantities must match the regular expression'),
    });
    // Keys in sorted order: limits (before requests) survives, cpu (before memory) survives,
    // everything after the bad value (volumeMounts, terminationGracePeriodSeconds) is gone.
    expect(decoded.template).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            image: 'web:1',
            name: 'app',
            resources: { limits: { memory: '1Gi' }, requests: { cpu: '100m' } },
          },
        ],
      },
    });
  });

  it('a valid template is left as it is', () => {
    const valid = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'b' }] } };
    expect(tolerantPodTemplate(valid)).toEqual({ template: valid });
  });

  it('a pointer quantity (emptyDir.sizeLimit) becomes a zero Quantity', () => {
    const decoded = tolerantPodTemplate({
      spec: { containers: [{ name: 'a' }], volumes: [{ name: 'v', emptyDir: { sizeLimit: 'lots' } }] },
    });
    expect(decoded.template).toEqual({
      spec: { containers: [{ name: 'a' }], volumes: [{ emptyDir: { sizeLimit: '0' } }] }, // "name" sorts after "emptyDir"
    });
  });

  it('the Rollout proceeds with the decoded template, and a Warning Event says what is missing', () => {
    const result = plan(rollout({ template: malformed }));
    const created = result.actions.find((a) => a.kind === 'createReplicaSet');
    const decoded = tolerantPodTemplate(malformed).template;
    const podSpec =
      created?.kind === 'createReplicaSet' ? created.replicaSet.spec?.template?.spec : undefined;
    expect((podSpec as { containers?: unknown[] } | undefined)?.containers?.[0]).toEqual({
      image: 'web:1',
      name: 'app',
      resources: { limits: { memory: '1Gi' }, requests: { cpu: '100m' } },
    });
    expect(result.status.currentPodHash).toBe(podTemplateHash(decoded));
    const warning = result.events.find((e) => e.reason === MALFORMED_TEMPLATE_REASON);
    expect(warning).toMatchObject({ type: 'Warning' });
    expect(warning?.message).toContain('spec.template.spec.containers[0].resources.requests.memory');
    expect(warning?.message).not.toContain('invalid"');
    expect(result.status.conditions?.some((c) => c.type === 'InvalidSpec')).toBe(false);
  });

  it("writes the decoded template back with the revision, as Argo's Update of the decoded Rollout does", () => {
    const result = plan(rollout({ template: malformed }));
    const revision = result.actions.find((a) => a.kind === 'setRolloutRevision');
    expect(revision).toMatchObject({
      kind: 'setRolloutRevision',
      template: tolerantPodTemplate(malformed).template,
    });
    expect(JSON.stringify(revision)).not.toContain('invalid');
  });
});
