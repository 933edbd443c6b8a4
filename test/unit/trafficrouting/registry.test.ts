// The registry: which routers a Rollout configures, what they read, and the combined plan.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/object.js';
import {
  configuredRouters,
  planTrafficRouting,
  trafficRoutingObjects,
} from '../../../src/trafficrouting/registry.js';
import { mergePatchBetween } from '../../../src/trafficrouting/router-objects.js';
import { istioVirtualService } from '../rollout/fixtures.js';
import { input, routedRollout } from './fixtures.js';

const mixed = routedRollout({
  istio: { virtualService: { name: 'web-vsvc', routes: ['primary'] } },
  smi: {},
  plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web-route' } },
});

const virtualService = istioVirtualService(
  { name: 'web-vsvc', namespace: 'shop' },
  0,
  'networking.istio.io/v1beta1',
) as KubeObject;

describe('registry', () => {
  it('lists the configured routers in Argo order and what they read', () => {
    expect(configuredRouters(mixed).routers.map((r) => `${r.key}=${r.router.type}`)).toEqual([
      'istio=Istio',
      'smi=SMI',
      'plugins/argoproj-labs/gatewayAPI=GatewayAPI',
    ]);
    expect(trafficRoutingObjects(mixed).map((r) => `${r.resource.kind} ${r.namespace}/${r.name}`)).toEqual([
      'VirtualService shop/web-vsvc',
      'TrafficSplit shop/web',
      'HTTPRoute shop/web-route',
    ]);
  });

  it('stops at the first router that cannot plan, keeping the writes before it', () => {
    const plan = planTrafficRouting(input(mixed, [virtualService], 10));
    expect(plan.writes.map((w) => `${w.op} ${w.target.resource.kind}`)).toEqual([
      'mergePatch VirtualService',
      'create TrafficSplit',
    ]);
    expect(plan.error).toBe(
      'Rollout shop/web: plugins/argoproj-labs/gatewayAPI: HTTPRoute shop/web-route not found',
    );
    expect(plan.weightVerified).toBe(false);
  });

  it('reports routers Slipway does not implement', () => {
    const appMesh = routedRollout({ appMesh: { virtualService: { name: 'x' } } });
    expect(planTrafficRouting(input(appMesh, [], 10)).error).toBe(
      'Rollout shop/web: spec.strategy.canary.trafficRouting: appMesh not supported by Slipway',
    );
  });

  it('verifies the weight and reports status verification as Argo does', () => {
    const istioOnly = routedRollout({ istio: { virtualService: { name: 'web-vsvc', routes: ['primary'] } } });
    expect(planTrafficRouting(input(istioOnly, [virtualService], 0))).toEqual({
      writes: [],
      weightVerified: true,
      statusVerified: undefined,
    });
  });
});

describe('mergePatchBetween', () => {
  it.each([
    [{ a: 1, b: { c: 2, d: 3 } }, { a: 1, b: { c: 2, d: 4 } }, { b: { d: 4 } }],
    [{ a: 1, b: 2 }, { a: 1 }, { b: null }],
    [{ list: [1, 2] }, { list: [1, 2, 3] }, { list: [1, 2, 3] }],
    [{ a: { b: 1 } }, { a: { b: 1 } }, undefined],
    [{}, { a: { b: 1 } }, { a: { b: 1 } }],
  ])('diffs %j into %j as %j', (before, after, patch) => {
    expect(mergePatchBetween(before, after)).toEqual(patch);
  });
});
