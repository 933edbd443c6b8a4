// SMI router: the TrafficSplit the Rollout creates and owns.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/object.js';
import { smiRouter } from '../../../src/trafficrouting/smi.js';
import { applyWrites, input, ownedByRollout, routedRollout, writesOf } from './fixtures.js';

const SPLITS = {
  group: 'split.smi-spec.io',
  version: 'v1alpha1',
  plural: 'trafficsplits',
  kind: 'TrafficSplit',
  namespaced: true,
};
describe('smi', () => {
  it('creates the TrafficSplit owned by the Rollout, then patches its backends', () => {
    const rollout = routedRollout({ smi: {} });
    const created = writesOf(smiRouter.plan(input(rollout, [], 5)));
    expect(created).toEqual([
      {
        op: 'create',
        target: { resource: SPLITS, namespace: 'shop', name: 'web' },
        object: {
          apiVersion: 'split.smi-spec.io/v1alpha1',
          kind: 'TrafficSplit',
          metadata: { name: 'web', namespace: 'shop', ownerReferences: ownedByRollout },
          spec: {
            service: 'web-stable',
            backends: [
              { service: 'web-canary', weight: '5' },
              { service: 'web-stable', weight: '95' },
            ],
          },
        },
        event: { type: 'Normal', reason: 'TrafficSplitCreated', message: 'TrafficSplit `web` created' },
      },
    ]);
    const live = applyWrites([], created);
    expect(writesOf(smiRouter.plan(input(rollout, live, 5)))).toEqual([]);
    const request = input(rollout, live, 40);
    expect(smiRouter.verifyWeight(request)).toBe(false);
    const patch = writesOf(smiRouter.plan(request));
    expect(patch).toEqual([
      {
        op: 'mergePatch',
        target: { resource: SPLITS, namespace: 'shop', name: 'web' },
        patch: {
          spec: {
            backends: [
              { service: 'web-canary', weight: '40' },
              { service: 'web-stable', weight: '60' },
            ],
          },
        },
      },
    ]);
    expect(smiRouter.verifyWeight({ ...request, live: applyWrites(live, patch) })).toBe(true);
  });

  it('uses trafficSplitName, rootService, experiments and integer weights from v1alpha2 on', () => {
    const rollout = routedRollout({ smi: { trafficSplitName: 'web-split', rootService: 'web' } });
    const writes = writesOf(
      smiRouter.plan(
        input(rollout, [], 10, {
          config: { smiApiVersion: 'v1alpha3' },
          additionalDestinations: [{ serviceName: 'exp', podTemplateHash: 'e', weight: 5 }],
        }),
      ),
    );
    expect(writes[0]).toMatchObject({
      target: { name: 'web-split', resource: { version: 'v1alpha3' } },
      object: {
        apiVersion: 'split.smi-spec.io/v1alpha3',
        spec: {
          service: 'web',
          backends: [
            { service: 'web-canary', weight: 10 },
            { service: 'exp', weight: 5 },
            { service: 'web-stable', weight: 85 },
          ],
        },
      },
    });
  });

  it('refuses a TrafficSplit the Rollout does not own', () => {
    const foreign: KubeObject = {
      apiVersion: 'split.smi-spec.io/v1alpha1',
      kind: 'TrafficSplit',
      metadata: { name: 'web', namespace: 'shop' },
    };
    expect(smiRouter.plan(input(routedRollout({ smi: {} }), [foreign], 5))).toEqual({
      error: 'Rollout does not own TrafficSplit `web`',
    });
  });
});
