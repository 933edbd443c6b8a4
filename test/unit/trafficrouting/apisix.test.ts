// APISIX router: backend weights of ApisixRoute rules and header routes as owned ApisixRoutes.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/object.js';
import { apisixRouter } from '../../../src/trafficrouting/apisix.js';
import { applyWrites, input, ownedByRollout, routedRollout, writesOf } from './fixtures.js';

describe('apisix', () => {
  const route: KubeObject = {
    apiVersion: 'apisix.apache.org/v2',
    kind: 'ApisixRoute',
    metadata: { name: 'web-route', namespace: 'shop', resourceVersion: '2', labels: { app: 'web' } },
    spec: {
      http: [
        {
          name: 'web-rule',
          match: { paths: ['/*'], hosts: ['web.example.com'] },
          backends: [
            { serviceName: 'web-stable', servicePort: 80 },
            { serviceName: 'web-canary', servicePort: 80 },
          ],
        },
      ],
    },
  } as KubeObject;
  const ROUTES = {
    group: 'apisix.apache.org',
    version: 'v2',
    plural: 'apisixroutes',
    kind: 'ApisixRoute',
    namespaced: true,
  };
  const rollout = routedRollout({
    managedRoutes: [{ name: 'set-header' }],
    apisix: { route: { name: 'web-route', rules: ['web-rule'] } } as never,
  });
  const weighted = (stable: number, canary: number) => [
    { serviceName: 'web-stable', servicePort: 80, weight: stable },
    { serviceName: 'web-canary', servicePort: 80, weight: canary },
  ];

  it('sets the backend weights of the named rules', () => {
    const request = input(rollout, [route], 20);
    const writes = writesOf(apisixRouter.plan(request));
    expect(writes).toEqual([
      {
        op: 'mergePatch',
        target: { resource: ROUTES, namespace: 'shop', name: 'web-route' },
        patch: {
          spec: {
            http: [
              {
                name: 'web-rule',
                match: { paths: ['/*'], hosts: ['web.example.com'] },
                backends: weighted(80, 20),
              },
            ],
          },
        },
        resourceVersion: '2',
      },
    ]);
    const after = applyWrites([route], writes);
    expect(writesOf(apisixRouter.plan({ ...request, live: after }))).toEqual([]);
    expect(apisixRouter.verifyWeight({ ...request, live: after })).toBe(true);
  });

  it('creates a header route owned by the Rollout and deletes it at the end', () => {
    const headerRoutes = [
      {
        name: 'set-header',
        match: [
          { headerName: 'trace', headerValue: { exact: 'debug' } },
          { headerName: 'ua', headerValue: { prefix: 'Moz' } },
        ],
      },
    ];
    const request = input(rollout, [route], 0, { headerRoutes });
    const writes = writesOf(apisixRouter.plan(request));
    expect(writes[1]).toEqual({
      op: 'create',
      target: { resource: ROUTES, namespace: 'shop', name: 'set-header' },
      object: {
        apiVersion: 'apisix.apache.org/v2',
        kind: 'ApisixRoute',
        metadata: {
          name: 'set-header',
          namespace: 'shop',
          labels: { app: 'web' },
          ownerReferences: ownedByRollout,
        },
        spec: {
          http: [
            {
              name: 'web-rule',
              priority: 1,
              match: {
                paths: ['/*'],
                hosts: ['web.example.com'],
                exprs: [
                  { subject: { scope: 'Header', name: 'trace' }, op: 'Equal', value: 'debug' },
                  { subject: { scope: 'Header', name: 'ua' }, op: 'RegexMatch', value: '^Moz.*' },
                ],
              },
              backends: [{ serviceName: 'web-canary', servicePort: 80, weight: 100 }],
            },
          ],
        },
      },
    });
    const after = applyWrites([route], writes);
    expect(writesOf(apisixRouter.plan({ ...request, live: after }))).toEqual([]);
    const end = writesOf(apisixRouter.plan(input(rollout, after, 0, { removeManagedRoutes: true })));
    expect(end).toMatchObject([{ op: 'delete', target: { name: 'set-header' } }]);
    expect(applyWrites(after, end).map((o) => o.metadata?.name)).toEqual(['web-route']);
  });

  it('reports a rule that is not in the route', () => {
    const other = routedRollout({ apisix: { route: { name: 'web-route', rules: ['nope'] } } as never });
    expect(apisixRouter.plan(input(other, [route], 10))).toEqual({
      error: 'Apisix http route rule nope not found',
    });
  });
});
