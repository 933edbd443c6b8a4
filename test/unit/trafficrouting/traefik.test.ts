// Traefik router: the weights in a TraefikService's weighted services.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/object.js';
import { traefikRouter } from '../../../src/trafficrouting/traefik.js';
import { applyWrites, input, routedRollout, writesOf } from './fixtures.js';

describe('traefik', () => {
  const service = (group = 'traefik.containo.us'): KubeObject =>
    ({
      apiVersion: `${group}/v1alpha1`,
      kind: 'TraefikService',
      metadata: { name: 'web-wrr', namespace: 'shop', resourceVersion: '9' },
      spec: {
        weighted: {
          services: [
            { name: 'web-stable', port: 80 },
            { name: 'web-canary', port: 80 },
            { name: 'maintenance', port: 80, weight: 0 },
          ],
        },
      },
    }) as KubeObject;
  const rollout = routedRollout({ traefik: { weightedTraefikServiceName: 'web-wrr' } });

  it('sets the canary and stable weights and leaves other services alone', () => {
    const request = input(rollout, [service()], 30);
    const writes = writesOf(traefikRouter.plan(request));
    expect(writes).toEqual([
      {
        op: 'mergePatch',
        target: {
          resource: {
            group: 'traefik.containo.us',
            version: 'v1alpha1',
            plural: 'traefikservices',
            kind: 'TraefikService',
            namespaced: true,
          },
          namespace: 'shop',
          name: 'web-wrr',
        },
        patch: {
          spec: {
            weighted: {
              services: [
                { name: 'web-stable', port: 80, weight: 70 },
                { name: 'web-canary', port: 80, weight: 30 },
                { name: 'maintenance', port: 80, weight: 0 },
              ],
            },
          },
        },
        resourceVersion: '9',
      },
    ]);
    const after = applyWrites([service()], writes);
    expect(writesOf(traefikRouter.plan({ ...request, live: after }))).toEqual([]);
    expect(traefikRouter.verifyWeight({ ...request, live: after })).toBe(true);
  });

  it('follows the configured API group and reports a missing canary service', () => {
    const config = { traefikApiVersion: 'traefik.io/v1alpha1' };
    expect(traefikRouter.referencedObjects(rollout, config)[0]?.resource.group).toBe('traefik.io');
    expect(
      writesOf(traefikRouter.plan(input(rollout, [service('traefik.io')], 10, { config }))),
    ).toHaveLength(1);
    const noCanary = {
      ...service(),
      spec: { weighted: { services: [{ name: 'web-stable' }] } },
    } as KubeObject;
    expect(traefikRouter.plan(input(rollout, [noCanary], 10))).toEqual({
      error: 'traefik canary service web-canary was not found',
    });
  });
});
