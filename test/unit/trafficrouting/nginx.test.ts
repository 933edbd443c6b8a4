// NGINX router: the canary Ingress cloned from the stable Ingress, created once, then patched.
import { describe, expect, it } from 'vitest';
import type { TrafficRouting } from '../../../src/api/rollout.js';
import type { KubeObject } from '../../../src/kube/object.js';
import { INGRESSES } from '../../../src/trafficrouting/ingress.js';
import { nginxRouter } from '../../../src/trafficrouting/nginx.js';
import { applyWrites, input, ownedByRollout, routedRollout, writesOf } from './fixtures.js';

/** The Ingress rule of host web.example.com: `/` reaches `service`, `/docs` another Service. */
const webRule = (service: string) => ({
  host: 'web.example.com',
  http: {
    paths: [
      { path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } },
      { path: '/docs', pathType: 'Prefix', backend: { service: { name: 'docs', port: { number: 80 } } } },
    ],
  },
});

function stableIngress(name = 'web-ingress'): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: 'shop',
      annotations: {
        'kubernetes.io/ingress.class': 'nginx',
        'nginx.ingress.kubernetes.io/rewrite-target': '/',
      },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
      rules: [
        webRule('web-stable'),
        {
          host: 'other.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'other', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  } as KubeObject;
}

const routing: TrafficRouting = { nginx: { stableIngress: 'web-ingress' } };

describe('nginx', () => {
  it('creates the canary Ingress from the rules that reach the stable Service', () => {
    const rollout = routedRollout(routing);
    expect(nginxRouter.referencedObjects(rollout)).toEqual([
      { resource: INGRESSES, namespace: 'shop', name: 'web-ingress' },
      { resource: INGRESSES, namespace: 'shop', name: 'web-web-ingress-canary' },
    ]);
    const writes = writesOf(nginxRouter.plan(input(rollout, [stableIngress()], 0)));
    expect(writes).toEqual([
      {
        op: 'create',
        target: { resource: INGRESSES, namespace: 'shop', name: 'web-web-ingress-canary' },
        object: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {
            name: 'web-web-ingress-canary',
            namespace: 'shop',
            annotations: {
              'kubernetes.io/ingress.class': 'nginx',
              'nginx.ingress.kubernetes.io/canary': 'true',
              'nginx.ingress.kubernetes.io/canary-weight': '0',
            },
            ownerReferences: ownedByRollout,
          },
          spec: {
            ingressClassName: 'nginx',
            tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
            rules: [webRule('web-canary')],
          },
        },
        event: {
          type: 'Normal',
          reason: 'CreatingCanaryIngress',
          message: 'Creating canary ingress `web-web-ingress-canary` with weight `0`',
        },
      },
    ]);
  });

  it('patches only the weight once the canary Ingress exists, and nothing when it is there', () => {
    const rollout = routedRollout(routing);
    const created = applyWrites(
      [stableIngress()],
      writesOf(nginxRouter.plan(input(rollout, [stableIngress()], 0))),
    );
    const request = input(rollout, created, 30);
    expect(nginxRouter.verifyWeight(request)).toBe(false);
    const writes = writesOf(nginxRouter.plan(request));
    expect(writes).toEqual([
      {
        op: 'mergePatch',
        target: { resource: INGRESSES, namespace: 'shop', name: 'web-web-ingress-canary' },
        patch: { metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '30' } } },
        event: {
          type: 'Normal',
          reason: 'PatchingCanaryIngress',
          message: "Updating Ingress `web-web-ingress-canary` to desiredWeight '30'",
        },
      },
    ]);
    const after = applyWrites(created, writes);
    expect(writesOf(nginxRouter.plan({ ...request, live: after }))).toEqual([]);
    expect(nginxRouter.verifyWeight({ ...request, live: after })).toBe(true);
    // At the end the canary Ingress stays, back at weight 0.
    const end = writesOf(nginxRouter.plan(input(rollout, after, 0, { removeManagedRoutes: true })));
    expect(end).toMatchObject([
      {
        op: 'mergePatch',
        patch: { metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary-weight': '0' } } },
      },
    ]);
  });

  it('uses the annotation prefix, additional and canary annotations, weight total, and every stable Ingress', () => {
    const rollout = routedRollout({
      maxTrafficWeight: 1000,
      nginx: {
        stableIngresses: ['web-ingress', 'web-internal'],
        annotationPrefix: 'custom.nginx.io',
        additionalIngressAnnotations: {
          'canary-by-header': 'X-Canary',
          'custom.nginx.io/canary-by-cookie': 'beta',
        },
        canaryIngressAnnotations: { 'team.example.com/owner': 'web' },
      },
    });
    const live = [stableIngress(), stableIngress('web-internal')];
    const writes = writesOf(nginxRouter.plan(input(rollout, live, 250)));
    expect(writes.map((w) => w.target.name)).toEqual(['web-web-ingress-canary', 'web-web-internal-canary']);
    expect(writes[0]).toMatchObject({
      object: {
        metadata: {
          annotations: {
            'kubernetes.io/ingress.class': 'nginx',
            'custom.nginx.io/canary-by-header': 'X-Canary',
            'custom.nginx.io/canary-by-cookie': 'beta',
            'team.example.com/owner': 'web',
            'custom.nginx.io/canary': 'true',
            'custom.nginx.io/canary-weight': '250',
            'custom.nginx.io/canary-weight-total': '1000',
          },
        },
      },
    });
  });

  it.each([
    ['the stable Ingress is missing', [], 'stable Ingress shop/web-ingress not found'],
    [
      'no rule reaches the stable Service',
      [
        {
          ...stableIngress(),
          spec: { rules: [{ http: { paths: [{ backend: { service: { name: 'x' } } }] } }] },
        },
      ],
      'ingress `web-ingress` has no rules using service web-stable backend',
    ],
    [
      'someone else owns the canary Ingress',
      [
        stableIngress(),
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: { name: 'web-web-ingress-canary', namespace: 'shop' },
        },
      ],
      'canary ingress `web-web-ingress-canary` controlled by different object',
    ],
  ])('refuses when %s', (_what, live, error) => {
    expect(nginxRouter.plan(input(routedRollout(routing), live as KubeObject[], 10))).toEqual({ error });
  });
});
