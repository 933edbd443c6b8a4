// The AnalysisRun builder: templates (nested, cluster-scoped) and args into a run, named,
// labelled and owned as Argo Rollouts does. [argo] cases restate utils/analysis/helpers_test.go
// and rollout/analysis_test.go facts.
import { describe, expect, it } from 'vitest';
import { analysisRunStatusEvent } from '../../../src/analysis/rollout-events.js';
import { rolloutFieldValue } from '../../../src/analysis/rollout-field-ref.js';
import {
  type AnalysisRunType,
  type AvailableTemplates,
  analysisRunForRollout,
  analysisRunFromTemplates,
  analysisRunName,
  collisionName,
  resolveRolloutArgs,
} from '../../../src/analysis/run-from-templates.js';
import type { AnalysisTemplate, ClusterAnalysisTemplate, Metric } from '../../../src/api/analysis.js';
import type { Rollout, RolloutAnalysis } from '../../../src/api/rollout.js';
import { templateFor } from '../rollout/fixtures.js';
import { itMaps, itThrows } from '../support/each.js';

const metric = (name: string, query = 'up'): Metric => ({
  name,
  provider: { prometheus: { address: 'http://prom:9090', query } },
});

const template = (name: string, spec: AnalysisTemplate['spec'], namespace = 'shop'): AnalysisTemplate => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AnalysisTemplate',
  metadata: { name, namespace },
  spec,
});

const clusterTemplate = (name: string, spec: ClusterAnalysisTemplate['spec']): ClusterAnalysisTemplate => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'ClusterAnalysisTemplate',
  metadata: { name },
  spec,
});

const rollout = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: 'ro-uid',
    labels: { env: 'prod', team: 'payments' },
    annotations: { 'rollout.argoproj.io/revision': '3' },
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: templateFor('nginx:1.25'),
    strategy: { canary: { canaryService: 'web-canary' } },
  },
} as unknown as Rollout & { metadata: { name: string; namespace: string; uid: string } };

const templates = (...list: (AnalysisTemplate | ClusterAnalysisTemplate)[]): AvailableTemplates => ({
  analysisTemplates: list.filter((t): t is AnalysisTemplate => t.kind === 'AnalysisTemplate'),
  clusterAnalysisTemplates: list.filter(
    (t): t is ClusterAnalysisTemplate => t.kind === 'ClusterAnalysisTemplate',
  ),
});

describe('analysisRunName', () => {
  itMaps<AnalysisRunType, string>(
    '[argo] %o → %s',
    (runType) => analysisRunName('web', '6f9c7d8b5', '3', runType),
    [
      [{ type: 'Step', stepIndex: 2 }, 'web-6f9c7d8b5-3-2'],
      [{ type: 'Background' }, 'web-6f9c7d8b5-3'],
      [{ type: 'PrePromotion' }, 'web-6f9c7d8b5-3-pre'],
      [{ type: 'PostPromotion' }, 'web-6f9c7d8b5-3-post'],
    ],
  );

  it('[argo] collisions get .1, .2', () => {
    expect([0, 1, 2].map((n) => collisionName('web-abc-1', n))).toEqual([
      'web-abc-1',
      'web-abc-1.1',
      'web-abc-1.2',
    ]);
  });
});

describe('analysisRunForRollout', () => {
  const successRate = template('success-rate', {
    args: [{ name: 'service-name' }, { name: 'port', value: '9090' }],
    metrics: [metric('success-rate', 'rate{svc="{{args.service-name}}"}')],
  });
  /** A Background run of success-rate with the given args. */
  const backgroundRun = (args: Pick<RolloutAnalysis, 'args'>) =>
    analysisRunForRollout({
      rollout,
      analysis: { templates: [{ templateName: 'success-rate' }], ...args },
      runType: { type: 'Background' },
      latestPodHash: 'abc',
      templates: templates(successRate),
    });

  it('[argo] names, labels, annotations and owns the run', () => {
    const build = analysisRunForRollout({
      rollout,
      analysis: {
        templates: [{ templateName: 'success-rate' }],
        args: [{ name: 'service-name', value: 'web-canary' }],
        analysisRunMetadata: { labels: { extra: 'yes' }, annotations: { note: 'hi' } },
      },
      runType: { type: 'Step', stepIndex: 1 },
      latestPodHash: 'abc123',
      stablePodHash: 'def456',
      templates: templates(successRate),
    });
    expect(build.ok).toBe(true);
    if (!build.ok) return;
    expect(build.run.metadata).toEqual({
      name: 'web-abc123-3-1',
      namespace: 'shop',
      labels: {
        'rollouts-pod-template-hash': 'abc123',
        'rollout-type': 'Step',
        'step-index': '1',
        extra: 'yes',
        app: 'web',
      },
      annotations: { 'rollout.argoproj.io/revision': '3', note: 'hi' },
      ownerReferences: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          name: 'web',
          uid: 'ro-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    // Placeholders stay for the run controller; the args carry the values.
    expect(build.run.spec).toEqual({
      metrics: [metric('success-rate', 'rate{svc="{{args.service-name}}"}')],
      args: [
        { name: 'service-name', value: 'web-canary' },
        { name: 'port', value: '9090' },
      ],
    });
  });

  it.each<[AnalysisRunType, Record<string, string>]>([
    [{ type: 'Background' }, { 'rollout-type': 'Background' }],
    [{ type: 'PrePromotion' }, { 'rollout-type': 'PrePromotion' }],
    [{ type: 'PostPromotion' }, { 'rollout-type': 'PostPromotion' }],
  ])('[argo] %o runs carry rollout-type and no step-index', (runType, labels) => {
    const build = analysisRunForRollout({
      rollout,
      analysis: {
        templates: [{ templateName: 'success-rate' }],
        args: [{ name: 'service-name', value: 'x' }],
      },
      runType,
      latestPodHash: 'abc123',
      templates: templates(successRate),
      instanceId: 'blue',
    });
    expect(build.ok && build.run.metadata?.labels).toEqual({
      'rollouts-pod-template-hash': 'abc123',
      'argo-rollouts.argoproj.io/controller-instance-id': 'blue',
      app: 'web',
      ...labels,
    });
  });

  it('[argo] podTemplateHashValue and fieldRef are resolved from what the caller passes', () => {
    const t = template('hashes', {
      args: [{ name: 'stable' }, { name: 'latest' }, { name: 'env' }, { name: 'image' }, { name: 'name' }],
      metrics: [metric('m', '{{args.stable}} {{args.latest}} {{args.env}} {{args.image}} {{args.name}}')],
    });
    const build = analysisRunForRollout({
      rollout,
      analysis: {
        templates: [{ templateName: 'hashes' }],
        args: [
          { name: 'stable', valueFrom: { podTemplateHashValue: 'Stable' } },
          { name: 'latest', valueFrom: { podTemplateHashValue: 'Latest' } },
          { name: 'env', valueFrom: { fieldRef: { fieldPath: "metadata.labels['env']" } } },
          { name: 'image', valueFrom: { fieldRef: { fieldPath: 'spec.template.spec.containers[0].image' } } },
          { name: 'name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      },
      runType: { type: 'Background' },
      latestPodHash: 'new1',
      stablePodHash: 'old1',
      templates: templates(t),
    });
    expect(build.ok && build.run.spec.args).toEqual([
      { name: 'stable', value: 'old1' },
      { name: 'latest', value: 'new1' },
      { name: 'env', value: 'prod' },
      { name: 'image', value: 'nginx:1.25' },
      { name: 'name', value: 'web' },
    ]);
  });

  it('a missing required arg is an error naming it', () => {
    const build = backgroundRun({});
    expect(build).toEqual({
      ok: false,
      error:
        'args.service-name was not resolved: declared without a value by AnalysisTemplate success-rate, and no value was passed for it',
    });
  });

  it('a fieldRef to nothing is an error naming the arg and path', () => {
    const build = backgroundRun({
      args: [
        { name: 'service-name', valueFrom: { fieldRef: { fieldPath: 'status.alb.canaryTargetGroup.name' } } },
      ],
    });
    expect(build).toEqual({
      ok: false,
      error:
        'args.service-name: fieldRef status.alb.canaryTargetGroup.name: invalid path status.alb.canaryTargetGroup.name in rollout',
    });
  });
});

describe('analysisRunFromTemplates', () => {
  const build = (
    refs: { templateName: string; clusterScope?: boolean }[],
    available: AvailableTemplates,
    args = [],
  ) =>
    analysisRunFromTemplates({
      name: 'r',
      namespace: 'shop',
      templateRefs: refs,
      templates: available,
      args,
    });

  it('[argo] nested templates are followed, each used once; namespaced metrics come first', () => {
    const available = templates(
      template('outer', {
        templates: [{ templateName: 'inner' }, { templateName: 'shared', clusterScope: true }],
        metrics: [metric('outer')],
      }),
      template('inner', {
        metrics: [metric('inner')],
        templates: [{ templateName: 'shared', clusterScope: true }],
      }),
      clusterTemplate('shared', { metrics: [metric('shared')] }),
    );
    const result = build([{ templateName: 'outer' }, { templateName: 'inner' }], available);
    expect(result.ok && result.run.spec.metrics.map((m) => m.name)).toEqual(['outer', 'inner', 'shared']);
  });

  it.each<[string, AvailableTemplates, { templateName: string; clusterScope?: boolean }[], string]>([
    [
      '[argo] duplicate metric names',
      templates(template('a', { metrics: [metric('m')] }), template('b', { metrics: [metric('m')] })),
      [{ templateName: 'a' }, { templateName: 'b' }],
      "two metrics have the same name 'm'",
    ],
    [
      '[argo] one arg with two values',
      templates(
        template('a', { args: [{ name: 'x', value: '1' }], metrics: [metric('a')] }),
        template('b', { args: [{ name: 'x', value: '2' }], metrics: [metric('b')] }),
      ),
      [{ templateName: 'a' }, { templateName: 'b' }],
      "Argument `x` specified multiple times with different values: '1', '2'",
    ],
    ['missing template', templates(), [{ templateName: 'nope' }], 'AnalysisTemplate shop/nope not found'],
    [
      'missing cluster template',
      templates(),
      [{ templateName: 'nope', clusterScope: true }],
      'ClusterAnalysisTemplate nope not found',
    ],
    [
      'a template of another namespace is not visible',
      templates(template('a', { metrics: [metric('a')] }, 'other')),
      [{ templateName: 'a' }],
      'AnalysisTemplate shop/a not found',
    ],
    [
      'a placeholder without an arg',
      templates(template('a', { metrics: [metric('a', '{{args.typo}}')] })),
      [{ templateName: 'a' }],
      'metric a: failed to resolve {{args.typo}}',
    ],
    [
      'templates in a loop',
      templates(
        template('a', { templates: [{ templateName: 'b' }], metrics: [metric('a')] }),
        template('b', { templates: [{ templateName: 'a' }], metrics: [metric('b')] }),
      ),
      [{ templateName: 'a' }],
      'templates refer to each other in a loop: AnalysisTemplate a -> AnalysisTemplate b -> AnalysisTemplate a',
    ],
    [
      '[argo] duplicate dryRun rules',
      templates(
        template('a', { dryRun: [{ metricName: 'a' }], metrics: [metric('a')] }),
        template('b', { dryRun: [{ metricName: 'a' }], metrics: [metric('b')] }),
      ),
      [{ templateName: 'a' }, { templateName: 'b' }],
      "two Dry-Run metric rules have the same name 'a'",
    ],
  ])('%s is an error', (_name, available, refs, error) => {
    expect(build(refs, available)).toEqual({ ok: false, error });
  });

  it('[argo] an arg declared twice takes the value where one has it', () => {
    const available = templates(
      template('a', { args: [{ name: 'x' }], metrics: [metric('a', '{{args.x}}')] }),
      template('b', { args: [{ name: 'x', value: '2' }], metrics: [metric('b')] }),
    );
    const result = build([{ templateName: 'a' }, { templateName: 'b' }], available);
    expect(result.ok && result.run.spec.args).toEqual([{ name: 'x', value: '2' }]);
  });

  it('[argo] caller args the templates do not declare are ignored', () => {
    const available = templates(template('a', { metrics: [metric('a')] }));
    const result = analysisRunFromTemplates({
      name: 'r',
      namespace: 'shop',
      templateRefs: [{ templateName: 'a' }],
      templates: available,
      args: [{ name: 'unused', value: '1' }],
    });
    expect(result.ok && result.run.spec.args).toBeUndefined();
  });

  it('secretKeyRef args stay references (the run controller reads the Secret)', () => {
    const available = templates(
      template('a', {
        args: [{ name: 'token', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }],
        metrics: [metric('a', 'x{token="{{args.token}}"}')],
      }),
    );
    const result = build([{ templateName: 'a' }], available);
    expect(result.ok && result.run.spec.args).toEqual([
      { name: 'token', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
    ]);
  });

  it('dryRun and measurementRetention of the caller come before the templates', () => {
    const available = templates(
      template('a', {
        metrics: [metric('a')],
        dryRun: [{ metricName: 'a' }],
        measurementRetention: [{ metricName: 'a', limit: 3 }],
      }),
    );
    const result = analysisRunFromTemplates({
      name: 'r',
      namespace: 'shop',
      templateRefs: [{ templateName: 'a' }],
      templates: available,
      dryRun: [{ metricName: '.*' }],
    });
    expect(result.ok && result.run.spec.dryRun).toEqual([{ metricName: '.*' }, { metricName: 'a' }]);
    expect(result.ok && result.run.spec.measurementRetention).toEqual([{ metricName: 'a', limit: 3 }]);
  });
});

describe('resolveRolloutArgs and rolloutFieldValue', () => {
  itMaps<string, string>('%s → %s', (path) => rolloutFieldValue(rollout, path), [
    ['metadata.name', 'web'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', 'ro-uid'],
    ["metadata.labels['team']", 'payments'],
    ["metadata.annotations['rollout.argoproj.io/revision']", '3'],
    ["metadata.labels['missing']", ''],
    ['metadata.labels', 'env="prod"\nteam="payments"'],
    ['spec.replicas', '2'],
    ['spec.template.spec.containers[0].image', 'nginx:1.25'],
    ['spec.strategy.canary.canaryService', 'web-canary'],
  ]);

  itThrows<string>('%s fails: %s', (path) => rolloutFieldValue(rollout, path), Error, [
    ['spec.template', 'path spec.template in rollout must terminate in a primitive value'],
    ['spec.template.spec.containers[5].image', 'index 5 out of range'],
    ['spec.nothing', 'invalid path spec.nothing in rollout'],
    ['metadata.generation', 'unsupported fieldPath: metadata.generation'],
  ]);

  it('[argo] an arg without value or valueFrom reads as ""', () => {
    expect(resolveRolloutArgs([{ name: 'x' }], rollout, { latest: 'a' })).toEqual([{ name: 'x', value: '' }]);
  });
});

describe('analysisRunStatusEvent (for the Rollout)', () => {
  it.each<[string, { name: string; status?: string } | undefined, string | undefined, string | undefined]>([
    [
      '[argo] first sight',
      undefined,
      'Running',
      "Step Analysis Run 'r1' Status New: 'Running' Previous: 'NoPreviousStatus'",
    ],
    [
      '[argo] phase change',
      { name: 'r1', status: 'Running' },
      'Successful',
      "Step Analysis Run 'r1' Status New: 'Successful' Previous: 'Running'",
    ],
    ['no change', { name: 'r1', status: 'Running' }, 'Running', undefined],
    ['another run', { name: 'r0', status: 'Failed' }, 'Running', undefined],
    ['no phase yet', undefined, undefined, undefined],
  ])('%s', (_name, previous, phase, message) => {
    const event = analysisRunStatusEvent(
      previous,
      { name: 'r1', ...(phase ? { phase: phase as 'Running' } : {}) },
      'Step',
    );
    expect(event?.message).toBe(message);
    if (event) expect(event.reason).toBe(`AnalysisRun${phase}`);
  });

  it('failures are Warnings', () => {
    expect(analysisRunStatusEvent(undefined, { name: 'r', phase: 'Failed' }, 'Background')?.type).toBe(
      'Warning',
    );
  });
});
