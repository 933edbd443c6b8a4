import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/rollout.js';
import { defaultPodTemplate, imageTag } from '../../../src/rollout/pod-template-defaults.js';
import { goJsonOfPodTemplate, podTemplateHash } from '../../../src/rollout/pod-template-hash.js';
import {
  findNewReplicaSet,
  podTemplateEqualIgnoreHash,
  templateWithoutInjected,
} from '../../../src/rollout/replicasets.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';
import { itMaps } from '../support/each.js';

// Golden values from scripts/gen-pod-template-fields/hashcheck: Kubernetes' own
// SetObjectDefaults_PodTemplate (k8s 1.34.5, as in Argo Rollouts v1.10.2) and Argo's
// replicaset.PodTemplateEqualIgnoreHash.
const fixtures = new URL('../../fixtures/', import.meta.url);
const readJson = (path: string): unknown => JSON.parse(readFileSync(new URL(path, fixtures), 'utf8'));
const list = (dir: string) =>
  readdirSync(new URL(dir, fixtures))
    .filter((file) => file.endsWith('.json') && file !== 'expected.json' && file !== 'quantities.json')
    .map((file) => file.replace(/\.json$/, ''));

describe('defaultPodTemplate against SetObjectDefaults_PodTemplate', () => {
  const golden = readJson('pod-template-hash/expected.json') as {
    templates: Record<string, { defaulted: string }>;
  };
  it.each(list('pod-template-hash/'))('%s', (name) => {
    const { template } = readJson(`pod-template-hash/${name}.json`) as { template: unknown };
    expect(goJsonOfPodTemplate(defaultPodTemplate(template))).toBe(golden.templates[name]!.defaulted);
  });

  it('does not modify its input', () => {
    const template = { spec: { containers: [{ name: 'a', image: 'a' }] } };
    defaultPodTemplate(template);
    expect(template).toEqual({ spec: { containers: [{ name: 'a', image: 'a' }] } });
  });
});

describe('imageTag as parsers.ParseImageName', () => {
  itMaps('%s → %s', imageTag, [
    ['nginx', 'latest'],
    ['nginx:1.27', '1.27'],
    ['registry:5000/team/app', 'latest'],
    ['registry:5000/team/app:v2', 'v2'],
    ['app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', ''],
    ['app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'latest'],
    ['', ''],
  ]);
});

describe('podTemplateEqualIgnoreHash against Argo', () => {
  const golden = readJson('pod-template-equal/expected.json') as { equal: Record<string, boolean> };
  it('has a golden value for every pair', () => {
    expect(list('pod-template-equal/').sort()).toEqual(Object.keys(golden.equal).sort());
  });
  it.each(list('pod-template-equal/'))('%s', (name) => {
    const { live, desired } = readJson(`pod-template-equal/${name}.json`) as {
      live: unknown;
      desired: unknown;
    };
    expect(podTemplateEqualIgnoreHash(live, desired)).toBe(golden.equal[name]);
  });
});

describe('findNewReplicaSet', () => {
  const { live, desired } = readJson('pod-template-equal/canary-example.json') as {
    live: Record<string, unknown>;
    desired: Record<string, unknown>;
  };
  const rollout = { spec: { template: desired, strategy: { canary: {} } } } as unknown as Rollout;
  const rs = (name: string, hash: string, created: string, template: unknown = live): ReplicaSet =>
    ({
      metadata: { name, creationTimestamp: created, labels: { 'rollouts-pod-template-hash': hash } },
      spec: { template },
    }) as ReplicaSet;

  it('takes the ReplicaSet with the hash first', () => {
    const hash = podTemplateHash(desired);
    const sets = [rs('old', 'aaa', '2026-01-01T00:00:00Z'), rs('own', hash, '2026-02-01T00:00:00Z')];
    expect(findNewReplicaSet(rollout, sets, hash)?.metadata?.name).toBe('own');
  });

  it('adopts the oldest ReplicaSet with an equal template when no hash matches (older Argo)', () => {
    const sets = [
      rs('newer', 'bbb', '2026-03-01T00:00:00Z'),
      rs('older', 'aaa', '2026-01-01T00:00:00Z'),
      rs('other', 'ccc', '2025-01-01T00:00:00Z', {
        ...live,
        spec: { containers: [{ name: 'x', image: 'y' }] },
      }),
    ];
    expect(findNewReplicaSet(rollout, sets, podTemplateHash(desired))?.metadata?.name).toBe('older');
  });

  it('finds nothing when no template is equal', () => {
    const other = rs('other', 'ccc', '2025-01-01T00:00:00Z', {
      spec: { containers: [{ name: 'x', image: 'y' }] },
    });
    expect(findNewReplicaSet(rollout, [other], podTemplateHash(desired))).toBeUndefined();
  });

  it('ignores injected ephemeral metadata and the anti-affinity term on the stable hash', () => {
    const withRole = structuredClone(live) as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    };
    withRole.metadata.labels.role = 'canary';
    withRole.spec.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: {
              matchExpressions: [{ key: 'rollouts-pod-template-hash', operator: 'In', values: ['s'] }],
            },
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      },
    };
    const canaryRollout = {
      spec: {
        template: desired,
        strategy: { canary: { antiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } } },
      },
    } as unknown as Rollout;
    const set = rs('injected', 'ddd', '2026-01-01T00:00:00Z', withRole);
    set.metadata!.annotations = { 'rollout.argoproj.io/ephemeral-metadata': '{"labels":{"role":"canary"}}' };
    expect(podTemplateEqualIgnoreHash(set.spec?.template, desired)).toBe(false);
    expect(podTemplateEqualIgnoreHash(templateWithoutInjected(set, canaryRollout), desired)).toBe(true);
    expect(findNewReplicaSet(canaryRollout, [set], 'nope')?.metadata?.name).toBe('injected');
  });
});
