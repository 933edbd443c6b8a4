// Istio router: given a Rollout, the live VirtualService/DestinationRule and a weight, the
// exact writes; planning again on the written objects writes nothing.
import { describe, expect, it } from 'vitest';
import type { TrafficRouting } from '../../../src/api/rollout.js';
import type { KubeObject } from '../../../src/kube/object.js';
import { istioRouter, releaseDestinationRuleWrite } from '../../../src/trafficrouting/istio.js';
import type { TrafficRoutingInput } from '../../../src/trafficrouting/router.js';
import { applyWrites, input, routedRollout, writesOf } from './fixtures.js';

const VS = {
  group: 'networking.istio.io',
  version: 'v1alpha3',
  plural: 'virtualservices',
  kind: 'VirtualService',
  namespaced: true,
};
const DR = { ...VS, plural: 'destinationrules', kind: 'DestinationRule' };

function virtualService(spec: Record<string, unknown>, name = 'web-vsvc', namespace = 'shop'): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'VirtualService',
    metadata: { name, namespace, resourceVersion: '7' },
    spec,
  } as KubeObject;
}

const split = (stable: number, canary: number, stableHost = 'web-stable', canaryHost = 'web-canary') => [
  { destination: { host: stableHost }, weight: stable },
  { destination: { host: canaryHost }, weight: canary },
];

const hostSplit: TrafficRouting = { istio: { virtualService: { name: 'web-vsvc', routes: ['primary'] } } };

/** Plans, applies, and checks a second plan on the result is empty. */
function planTwice(request: TrafficRoutingInput) {
  const writes = writesOf(istioRouter.plan(request));
  const after = applyWrites(request.live, writes);
  expect(writesOf(istioRouter.plan({ ...request, live: after }))).toEqual([]);
  expect(istioRouter.verifyWeight({ ...request, live: after })).toBe(true);
  return { writes, after };
}

describe('istio: host-level split', () => {
  it('sets the canary and stable weights of the named http route', () => {
    const live = [virtualService({ hosts: ['web'], http: [{ name: 'primary', route: split(100, 0) }] })];
    const request = input(routedRollout(hostSplit), live, 20);
    expect(istioRouter.verifyWeight(request)).toBe(false);
    const { writes } = planTwice(request);
    expect(writes).toEqual([
      {
        op: 'mergePatch',
        target: { resource: VS, namespace: 'shop', name: 'web-vsvc' },
        patch: { spec: { http: [{ name: 'primary', route: split(80, 20) }] } },
        resourceVersion: '7',
        event: {
          type: 'Normal',
          reason: 'Updated VirtualService',
          message: "VirtualService `web-vsvc` set to desiredWeight '20'",
        },
      },
    ]);
  });

  it.each([
    ['a short host', 'web-canary'],
    ['a namespaced host', 'web-canary.shop'],
    ['a fully qualified host', 'web-canary.shop.svc.cluster.local'],
  ])('matches the canary Service written as %s', (_what, host) => {
    const live = [virtualService({ http: [{ name: 'primary', route: split(100, 0, 'web-stable', host) }] })];
    const { after } = planTwice(input(routedRollout(hostSplit), live, 40));
    expect((after[0] as { spec: { http: { route: unknown }[] } }).spec.http[0]?.route).toEqual(
      split(60, 40, 'web-stable', host),
    );
  });

  it('takes the only http route when routes are omitted, and refuses to guess among several', () => {
    const routing: TrafficRouting = { istio: { virtualService: { name: 'web-vsvc' } } };
    const one = [virtualService({ http: [{ route: split(100, 0) }] })];
    expect(writesOf(istioRouter.plan(input(routedRollout(routing), one, 10)))[0]).toMatchObject({
      patch: { spec: { http: [{ route: split(90, 10) }] } },
    });
    const two = [
      virtualService({
        http: [
          { name: 'a', route: split(100, 0) },
          { name: 'b', route: split(100, 0) },
        ],
      }),
    ];
    expect(istioRouter.plan(input(routedRollout(routing), two, 10))).toEqual({
      error:
        'VirtualService shop/web-vsvc: spec.http[] must have exactly one route when spec.strategy.canary.trafficRouting.istio.virtualService.routes is omitted',
    });
  });

  it.each([
    [
      'a route name that is not there',
      [{ name: 'other', route: split(100, 0) }],
      "VirtualService shop/web-vsvc: HTTP Route 'primary' is not found in the defined Virtual Service.",
    ],
    [
      'a route without the canary Service',
      [{ name: 'primary', route: [{ destination: { host: 'web-stable' }, weight: 100 }] }],
      "VirtualService shop/web-vsvc: Canary Service 'web-canary' not found in route",
    ],
  ])('reports %s', (_what, http, error) => {
    expect(istioRouter.plan(input(routedRollout(hostSplit), [virtualService({ http })], 20))).toEqual({
      error,
    });
  });

  it('reports a missing VirtualService', () => {
    expect(istioRouter.plan(input(routedRollout(hostSplit), [], 20))).toEqual({
      error: 'VirtualService shop/web-vsvc not found',
    });
  });

  it('splits tls routes by port and SNI hosts and tcp routes by port', () => {
    const routing: TrafficRouting = {
      istio: {
        // tlsRoutes and tcpRoutes pass through the schema's preserved unknown fields.
        virtualService: {
          name: 'web-vsvc',
          tlsRoutes: [{ port: 443, sniHosts: ['web.example.com'] }],
          tcpRoutes: [{ port: 9000 }],
        } as { name: string },
      },
    };
    // Routes of another host and another port next to the Rollout's, which keep their route.
    const tlsAndTcp = (route: ReturnType<typeof split>) => ({
      tls: [
        {
          match: [{ port: 443, sniHosts: ['other.example.com'] }],
          route: [{ destination: { host: 'other' } }],
        },
        { match: [{ port: 443, sniHosts: ['web.example.com'] }], route },
      ],
      tcp: [
        { match: [{ port: 8000 }], route: [{ destination: { host: 'other' } }] },
        { match: [{ port: 9000 }], route },
      ],
    });
    const live = [virtualService(tlsAndTcp(split(100, 0)))];
    const { writes } = planTwice(input(routedRollout(routing), live, 30));
    expect(writes[0]).toMatchObject({ patch: { spec: tlsAndTcp(split(70, 30)) } });
  });

  it('updates every VirtualService, `name.namespace` in another namespace', () => {
    const routing: TrafficRouting = {
      istio: {
        virtualServices: [
          { name: 'web-vsvc', routes: ['primary'] },
          { name: 'edge.gateways', routes: ['primary'] },
        ],
      },
    };
    const live = [
      virtualService({ http: [{ name: 'primary', route: split(100, 0) }] }),
      virtualService({ http: [{ name: 'primary', route: split(100, 0) }] }, 'edge', 'gateways'),
    ];
    const rollout = routedRollout(routing);
    expect(istioRouter.referencedObjects(rollout)).toEqual([
      { resource: VS, namespace: 'shop', name: 'web-vsvc' },
      { resource: VS, namespace: 'gateways', name: 'edge' },
    ]);
    const { writes } = planTwice(input(rollout, live, 50));
    expect(writes.map((w) => `${w.target.namespace}/${w.target.name}`)).toEqual([
      'shop/web-vsvc',
      'gateways/edge',
    ]);
  });

  it('gives the stable the rest of maxTrafficWeight', () => {
    const live = [virtualService({ http: [{ name: 'primary', route: split(1000, 0) }] })];
    const { after } = planTwice(input(routedRollout({ ...hostSplit, maxTrafficWeight: 1000 }), live, 25));
    expect((after[0] as { spec: { http: { route: unknown }[] } }).spec.http[0]?.route).toEqual(
      split(975, 25),
    );
  });

  it('adds experiment Services to the route and drops them once the experiment is over', () => {
    const live = [virtualService({ http: [{ name: 'primary', route: split(80, 20) }] })];
    const experiment = [{ serviceName: 'web-exp-baseline', podTemplateHash: 'b4s3', weight: 10 }];
    const { after } = planTwice(
      input(routedRollout(hostSplit), live, 20, { additionalDestinations: experiment }),
    );
    expect((after[0] as { spec: { http: { route: unknown }[] } }).spec.http[0]?.route).toEqual([
      ...split(70, 20),
      { destination: { host: 'web-exp-baseline' }, weight: 10 },
    ]);
    const { after: done } = planTwice(input(routedRollout(hostSplit), after, 20));
    expect((done[0] as { spec: { http: { route: unknown }[] } }).spec.http[0]?.route).toEqual(split(80, 20));
  });
});

describe('istio: subset-level split', () => {
  const routing: TrafficRouting = {
    istio: {
      virtualService: { name: 'web-vsvc', routes: ['primary'] },
      destinationRule: { name: 'web-destrule', canarySubsetName: 'canary', stableSubsetName: 'stable' },
    },
  };
  const subsetSplit = (stable: number, canary: number) => [
    { destination: { host: 'web', subset: 'stable' }, weight: stable },
    { destination: { host: 'web', subset: 'canary' }, weight: canary },
  ];
  const destinationRule: KubeObject = {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'DestinationRule',
    metadata: { name: 'web-destrule', namespace: 'shop', resourceVersion: '3' },
    spec: {
      host: 'web',
      subsets: [
        { name: 'stable', labels: { app: 'web' }, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
        { name: 'canary', labels: { app: 'web' } },
        { name: 'leftover', labels: { app: 'web' } },
      ],
    },
  } as KubeObject;

  it('labels the subsets with the pod-template hashes before moving the weight', () => {
    const live = [
      destinationRule,
      virtualService({ http: [{ name: 'primary', route: subsetSplit(100, 0) }] }),
    ];
    const rollout = routedRollout(routing, { canaryService: undefined, stableService: undefined });
    expect(istioRouter.referencedObjects(rollout).map((r) => r.resource.kind)).toEqual([
      'DestinationRule',
      'VirtualService',
    ]);
    const { writes } = planTwice(input(rollout, live, 10));
    expect(writes).toEqual([
      {
        op: 'mergePatch',
        target: { resource: DR, namespace: 'shop', name: 'web-destrule' },
        patch: {
          metadata: { annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' } },
          spec: {
            subsets: [
              {
                name: 'stable',
                labels: { app: 'web', 'rollouts-pod-template-hash': 'st4bl3' },
                trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
              },
              { name: 'canary', labels: { app: 'web', 'rollouts-pod-template-hash': 'c4n4ry' } },
            ],
          },
        },
        resourceVersion: '3',
        event: {
          type: 'Normal',
          reason: 'UpdatedDestinationRule',
          message: 'DestinationRule web-destrule subset updated (canary: c4n4ry, stable: st4bl3)',
        },
      },
      expect.objectContaining({
        target: { resource: VS, namespace: 'shop', name: 'web-vsvc' },
        patch: { spec: { http: [{ name: 'primary', route: subsetSplit(90, 10) }] } },
      }),
    ]);
  });

  it('sends header routes to the canary subset of the DestinationRule host', () => {
    const withHeader: TrafficRouting = { ...routing, managedRoutes: [{ name: 'beta' }] };
    const live = [
      destinationRule,
      virtualService({ http: [{ name: 'primary', route: subsetSplit(100, 0) }] }),
    ];
    const headerRoutes = [{ name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: 'yes' } }] }];
    const { after } = planTwice(input(routedRollout(withHeader), live, 0, { headerRoutes }));
    expect((after[1] as { spec: { http: unknown[] } }).spec.http[0]).toEqual({
      name: 'beta',
      match: [{ headers: { 'x-beta': { exact: 'yes' } } }],
      route: [{ destination: { host: 'web', subset: 'canary' }, weight: 100 }],
    });
  });

  it('reports a missing DestinationRule', () => {
    const live = [virtualService({ http: [{ name: 'primary', route: subsetSplit(100, 0) }] })];
    expect(istioRouter.plan(input(routedRollout(routing), live, 10))).toEqual({
      error: 'DestinationRule shop/web-destrule not found',
    });
  });
});

describe('istio: managed routes', () => {
  const routing: TrafficRouting = {
    ...hostSplit,
    managedRoutes: [{ name: 'mirror' }, { name: 'header-1' }, { name: 'header-2' }],
  };
  const weighted = (stable: number, canary: number) => ({
    name: 'primary',
    route: [
      { destination: { host: 'web-stable', port: { number: 8080 } }, weight: stable },
      { destination: { host: 'web-canary', port: { number: 8080 } }, weight: canary },
    ],
  });
  const base = () => [
    virtualService({ http: [{ name: 'manual', route: [{ destination: { host: 'x' } }] }, weighted(100, 0)] }),
  ];
  const header = (name: string, value: string) => ({
    name,
    match: [
      { headerName: 'x-canary', headerValue: { exact: value } },
      { headerName: 'agent', headerValue: { prefix: 'Moz' } },
    ],
  });
  const httpOf = (objects: KubeObject[]) => (objects[0] as { spec: { http: { name?: string }[] } }).spec.http;

  it('puts header routes first, in managedRoutes order, with the weighted route port', () => {
    const rollout = routedRollout(routing);
    const { after } = planTwice(
      input(rollout, base(), 20, { headerRoutes: [header('header-2', 'two'), header('header-1', 'one')] }),
    );
    expect(httpOf(after).map((r) => r.name)).toEqual(['header-1', 'header-2', 'manual', 'primary']);
    expect(httpOf(after)[0]).toEqual({
      name: 'header-1',
      match: [{ headers: { 'x-canary': { exact: 'one' } } }, { headers: { agent: { prefix: 'Moz' } } }],
      route: [{ destination: { host: 'web-canary', port: { number: 8080 } }, weight: 100 }],
    });
    expect(httpOf(after)[3]).toEqual(weighted(80, 20));
  });

  it('prepends a mirror route that keeps the weights and mirrors a percentage to the canary', () => {
    const mirrorRoutes = [
      { name: 'mirror', percentage: 35, match: [{ method: { exact: 'GET' }, path: { prefix: '/' } }] },
    ];
    const { after } = planTwice(input(routedRollout(routing), base(), 20, { mirrorRoutes }));
    expect(httpOf(after)[0]).toEqual({
      name: 'mirror',
      match: [{ method: { exact: 'GET' }, uri: { prefix: '/' } }],
      route: weighted(80, 20).route,
      mirror: { host: 'web-canary', port: { number: 8080 } },
      mirrorPercentage: { value: 35 },
    });
    // A later weight moves the mirror route's split along with the primary route.
    const { after: later } = planTwice(input(routedRollout(routing), after, 50, { mirrorRoutes }));
    expect(httpOf(later)[0]).toMatchObject({ route: weighted(50, 50).route });
    expect(httpOf(later)[2]).toEqual(weighted(50, 50));
  });

  it('removes a route whose step has no match, and every managed route at the end', () => {
    const rollout = routedRollout(routing);
    const { after } = planTwice(
      input(rollout, base(), 20, {
        headerRoutes: [header('header-1', 'one')],
        mirrorRoutes: [{ name: 'mirror', match: [{ method: { exact: 'GET' } }] }],
      }),
    );
    expect(httpOf(after).map((r) => r.name)).toEqual(['mirror', 'header-1', 'manual', 'primary']);
    const { after: dropped } = planTwice(input(rollout, after, 20, { headerRoutes: [{ name: 'header-1' }] }));
    expect(httpOf(dropped).map((r) => r.name)).toEqual(['mirror', 'manual', 'primary']);
    const { writes, after: done } = planTwice(input(rollout, dropped, 0, { removeManagedRoutes: true }));
    expect(writes).toHaveLength(1);
    expect(httpOf(done)).toEqual([
      { name: 'manual', route: [{ destination: { host: 'x' } }] },
      weighted(100, 0),
    ]);
  });
});

describe('releaseDestinationRuleWrite', () => {
  const managed = (by: string): KubeObject =>
    ({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'DestinationRule',
      metadata: {
        name: 'web-dr',
        namespace: 'shop',
        resourceVersion: '9',
        annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': by, keep: 'me' },
      },
      spec: {
        host: 'web',
        subsets: [
          { name: 'stable', labels: { app: 'web', 'rollouts-pod-template-hash': 'abc' } },
          { name: 'canary', labels: { 'rollouts-pod-template-hash': 'def' } },
        ],
      },
    }) as KubeObject;

  it('removes the managed-by annotation and the subsets hash labels', () => {
    const [after] = applyWrites([managed('web')], [releaseDestinationRuleWrite(managed('web'), 'web')!]);
    expect(after?.metadata?.annotations).toEqual({ keep: 'me' });
    expect((after as unknown as { spec: { subsets: unknown } }).spec.subsets).toEqual([
      { name: 'stable', labels: { app: 'web' } },
      { name: 'canary', labels: {} },
    ]);
  });

  it('leaves a rule another Rollout manages alone', () => {
    expect(releaseDestinationRuleWrite(managed('other'), 'web')).toBeUndefined();
  });
});
