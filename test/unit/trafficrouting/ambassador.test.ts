// Ambassador router: canary Mappings cloned from the listed Mappings.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/object.js';
import { ambassadorRouter } from '../../../src/trafficrouting/ambassador.js';
import { applyWrites, input, routedRollout, writesOf } from './fixtures.js';

const MAPPINGS = {
  group: 'getambassador.io',
  version: 'v2',
  plural: 'mappings',
  kind: 'Mapping',
  namespaced: true,
};
describe('ambassador', () => {
  const mapping: KubeObject = {
    apiVersion: 'getambassador.io/v2',
    kind: 'Mapping',
    metadata: { name: 'echo', namespace: 'shop', labels: { team: 'web' }, resourceVersion: '4' },
    spec: { prefix: '/echo', rewrite: '/echo', service: 'web-stable:80' },
  } as KubeObject;
  const rollout = routedRollout({ ambassador: { mappings: ['echo'] } });

  it('creates the canary Mapping as a copy of the spec with the canary Service and weight', () => {
    expect(ambassadorRouter.referencedObjects(rollout).map((r) => r.name)).toEqual(['echo', 'echo-canary']);
    expect(writesOf(ambassadorRouter.plan(input(rollout, [mapping], 0)))).toEqual([]);
    const writes = writesOf(ambassadorRouter.plan(input(rollout, [mapping], 30)));
    expect(writes).toEqual([
      {
        op: 'create',
        target: { resource: MAPPINGS, namespace: 'shop', name: 'echo-canary' },
        object: {
          apiVersion: 'getambassador.io/v2',
          kind: 'Mapping',
          metadata: { name: 'echo-canary', namespace: 'shop' },
          spec: { prefix: '/echo', rewrite: '/echo', service: 'web-canary:80', weight: 30 },
        },
        event: {
          type: 'Normal',
          reason: 'CanaryMappingWeightUpdate',
          message: 'Set canary mapping weight to 30',
        },
      },
    ]);
  });

  it('moves the weight, then at 0 zeroes it and deletes the canary Mapping on the next pass', () => {
    let live = applyWrites([mapping], writesOf(ambassadorRouter.plan(input(rollout, [mapping], 30))));
    expect(writesOf(ambassadorRouter.plan(input(rollout, live, 30)))).toEqual([]);
    expect(ambassadorRouter.verifyWeight(input(rollout, live, 30))).toBe(true);
    const zero = ambassadorRouter.plan(input(rollout, live, 0));
    expect(zero).toEqual({
      writes: [expect.objectContaining({ op: 'mergePatch', patch: { spec: { weight: 0 } } })],
      requeueAfterMs: 5000,
    });
    live = applyWrites(live, writesOf(zero));
    const remove = writesOf(ambassadorRouter.plan(input(rollout, live, 0)));
    expect(remove).toMatchObject([{ op: 'delete', target: { name: 'echo-canary' } }]);
    live = applyWrites(live, remove);
    expect(live.map((o) => o.metadata?.name)).toEqual(['echo']);
    expect(writesOf(ambassadorRouter.plan(input(rollout, live, 0)))).toEqual([]);
  });

  it('refuses a base Mapping that sets a weight itself', () => {
    const weighted = { ...mapping, spec: { service: 'web-stable', weight: 10 } } as KubeObject;
    expect(ambassadorRouter.plan(input(rollout, [weighted], 10))).toEqual({
      error: 'Ambassador mapping "echo" can not define weight',
    });
  });
});
