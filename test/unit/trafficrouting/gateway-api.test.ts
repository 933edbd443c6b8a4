// Gateway API router (the argoproj-labs/gatewayAPI plugin's behaviour).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/object.js';
import { GATEWAY_ROUTES, gatewayApiRouter } from '../../../src/trafficrouting/gateway-api.js';
import { applyWrites, input, routedRollout, writesOf } from './fixtures.js';

const backend = (name: string, weight?: number) => ({
  group: '',
  kind: 'Service',
  name,
  port: 80,
  ...(weight !== undefined ? { weight } : {}),
});

const httpRoute = (rules: unknown[]): KubeObject =>
  ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web-route', namespace: 'shop', resourceVersion: '11' },
    spec: { parentRefs: [{ name: 'gw' }], rules },
  }) as KubeObject;

const mainRule = (stable: number, canary: number) => ({
  matches: [{ path: { type: 'PathPrefix', value: '/' } }],
  backendRefs: [backend('web-stable', stable), backend('web-canary', canary)],
});
const otherRule = {
  matches: [{ path: { type: 'PathPrefix', value: '/admin' } }],
  backendRefs: [backend('web-canary')],
};

const plugins = (config: Record<string, unknown>) => ({ plugins: { 'argoproj-labs/gatewayAPI': config } });

describe('gateway api', () => {
  it('weights the rules that have both backends and labels the route while traffic moves', () => {
    const rollout = routedRollout(plugins({ httpRoute: 'web-route' }));
    expect(gatewayApiRouter.referencedObjects(rollout)).toEqual([
      { resource: GATEWAY_ROUTES.HTTPRoute, namespace: 'shop', name: 'web-route' },
    ]);
    const live = [httpRoute([mainRule(100, 0), otherRule])];
    const request = input(rollout, live, 30);
    const writes = writesOf(gatewayApiRouter.plan(request));
    expect(writes).toEqual([
      {
        op: 'mergePatch',
        target: { resource: GATEWAY_ROUTES.HTTPRoute, namespace: 'shop', name: 'web-route' },
        patch: {
          metadata: { labels: { 'rollouts.argoproj.io/gatewayapi-canary': 'in-progress' } },
          spec: { rules: [mainRule(70, 30), otherRule] },
        },
        resourceVersion: '11',
      },
    ]);
    const after = applyWrites(live, writes);
    expect(writesOf(gatewayApiRouter.plan({ ...request, live: after }))).toEqual([]);
    expect(gatewayApiRouter.verifyWeight({ ...request, live: after })).toBe(true);
    const end = writesOf(gatewayApiRouter.plan(input(rollout, after, 0, { removeManagedRoutes: true })));
    expect(end[0]).toMatchObject({
      patch: {
        metadata: { labels: { 'rollouts.argoproj.io/gatewayapi-canary': null } },
        spec: { rules: [mainRule(100, 0), otherRule] },
      },
    });
  });

  it('adds named header rules per weighted rule and removes them by name', () => {
    const rollout = routedRollout({
      managedRoutes: [{ name: 'beta' }],
      ...plugins({ httpRoute: 'web-route', namespace: 'shop' }),
    });
    const second = {
      matches: [{ path: { type: 'PathPrefix', value: '/api' }, headers: [{ name: 'x-team', value: 'a' }] }],
      backendRefs: [backend('web-stable', 100), backend('web-canary', 0)],
    };
    const live = [httpRoute([mainRule(100, 0), second])];
    const headerRoutes = [{ name: 'beta', match: [{ headerName: 'x-beta', headerValue: { prefix: 'y' } }] }];
    const request = input(rollout, live, 0, { headerRoutes });
    const after = applyWrites(live, writesOf(gatewayApiRouter.plan(request)));
    const rules = (after[0] as { spec: { rules: unknown[] } }).spec.rules;
    expect(rules.slice(2)).toEqual([
      {
        name: 'beta',
        matches: [
          {
            path: { type: 'PathPrefix', value: '/' },
            headers: [{ name: 'x-beta', type: 'RegularExpression', value: 'y.*' }],
          },
        ],
        filters: [],
        backendRefs: [{ group: '', kind: 'Service', name: 'web-canary', port: 80 }],
      },
      {
        name: 'beta-1',
        matches: [
          {
            path: { type: 'PathPrefix', value: '/api' },
            headers: [
              { name: 'x-team', value: 'a' },
              { name: 'x-beta', type: 'RegularExpression', value: 'y.*' },
            ],
          },
        ],
        filters: [],
        backendRefs: [{ group: '', kind: 'Service', name: 'web-canary', port: 80 }],
      },
    ]);
    expect(writesOf(gatewayApiRouter.plan({ ...request, live: after }))).toEqual([]);
    const removed = applyWrites(
      after,
      writesOf(gatewayApiRouter.plan(input(rollout, after, 0, { headerRoutes: [{ name: 'beta' }] }))),
    );
    expect((removed[0] as { spec: { rules: unknown[] } }).spec.rules).toHaveLength(2);
  });

  it('weights GRPC and TCP routes named in the lists, and reports a route without both backends', () => {
    const rollout = routedRollout(plugins({ grpcRoutes: [{ name: 'grpc' }], tcpRoutes: [{ name: 'tcp' }] }));
    const route = (kind: string, apiVersion: string, name: string) =>
      ({
        apiVersion,
        kind,
        metadata: { name, namespace: 'shop' },
        spec: { rules: [{ backendRefs: [backend('web-stable'), backend('web-canary')] }] },
      }) as KubeObject;
    const live = [
      route('GRPCRoute', 'gateway.networking.k8s.io/v1', 'grpc'),
      route('TCPRoute', 'gateway.networking.k8s.io/v1alpha2', 'tcp'),
    ];
    const writes = writesOf(gatewayApiRouter.plan(input(rollout, live, 10)));
    expect(writes.map((w) => `${w.target.resource.kind}/${w.target.name}`)).toEqual([
      'GRPCRoute/grpc',
      'TCPRoute/tcp',
    ]);
    expect(
      gatewayApiRouter.plan(
        input(routedRollout(plugins({ httpRoute: 'web-route' })), [httpRoute([otherRule])], 10),
      ),
    ).toEqual({
      error: 'HTTPRoute shop/web-route has no rule with both backendRefs web-canary and web-stable',
    });
  });
});
