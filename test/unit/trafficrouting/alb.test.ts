// ALB router: the weighted forward action annotation, header routes as actions + conditions.
import { describe, expect, it } from 'vitest';
import type { TrafficRouting } from '../../../src/api/rollout.js';
import type { KubeObject } from '../../../src/kube/object.js';
import { albRouter } from '../../../src/trafficrouting/alb.js';
import { INGRESSES } from '../../../src/trafficrouting/ingress.js';
import { applyWrites, input, routedRollout, writesOf } from './fixtures.js';

/** An Ingress path whose actions and conditions annotations name `service`. */
const useAnnotation = (service: string) => ({
  path: '/*',
  pathType: 'ImplementationSpecific',
  backend: { service: { name: service, port: { name: 'use-annotation' } } },
});

const ingress = (annotations: Record<string, string> = {}): KubeObject =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'web-ingress',
      namespace: 'shop',
      resourceVersion: '5',
      annotations: { 'kubernetes.io/ingress.class': 'alb', ...annotations },
    },
    spec: {
      rules: [
        {
          http: {
            paths: [useAnnotation('web-root')],
          },
        },
      ],
    },
  }) as KubeObject;

const routing: TrafficRouting = { alb: { ingress: 'web-ingress', rootService: 'web-root', servicePort: 80 } };
const action = (canary: number, stable: number) =>
  `{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":${canary}},{"ServiceName":"web-stable","ServicePort":"80","Weight":${stable}}]}}`;

describe('alb', () => {
  it('writes the weighted forward action on the root Service and records the key as managed', () => {
    const rollout = routedRollout(routing);
    const request = input(rollout, [ingress()], 10);
    const writes = writesOf(albRouter.plan(request));
    expect(writes).toEqual([
      {
        op: 'mergePatch',
        target: { resource: INGRESSES, namespace: 'shop', name: 'web-ingress' },
        patch: {
          metadata: {
            annotations: {
              'alb.ingress.kubernetes.io/actions.web-root': action(10, 90),
              'rollouts.argoproj.io/managed-alb-annotations':
                '{"web":["alb.ingress.kubernetes.io/actions.web-root"]}',
            },
          },
        },
        event: {
          type: 'Normal',
          reason: 'PatchingALBIngress',
          message: "Updating Ingress `web-ingress` to desiredWeight '10'",
        },
      },
    ]);
    const after = applyWrites([ingress()], writes);
    expect(writesOf(albRouter.plan({ ...request, live: after }))).toEqual([]);
    expect(albRouter.verifyWeight({ ...request, live: after })).toBe(true);
    expect(albRouter.statusVerified).toBeUndefined();
  });

  it('splits with experiments, stickiness and a custom annotation prefix on the stable Service', () => {
    const rollout = routedRollout({
      alb: {
        ingress: 'web-ingress',
        servicePort: 443,
        annotationPrefix: 'custom.alb.io',
        stickinessConfig: { enabled: true, durationSeconds: 3600 },
      } as NonNullable<TrafficRouting['alb']>,
    });
    const live = [
      {
        ...ingress(),
        spec: {
          rules: [
            {
              http: {
                paths: [{ backend: { service: { name: 'web-stable', port: { name: 'use-annotation' } } } }],
              },
            },
          ],
        },
      } as KubeObject,
    ];
    const writes = writesOf(
      albRouter.plan(
        input(rollout, live, 20, {
          additionalDestinations: [{ serviceName: 'exp', podTemplateHash: 'e', weight: 5 }],
        }),
      ),
    );
    expect(writes[0]).toMatchObject({
      patch: {
        metadata: {
          annotations: {
            'custom.alb.io/actions.web-stable':
              '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"443","Weight":20},{"ServiceName":"exp","ServicePort":"443","Weight":5},{"ServiceName":"web-stable","ServicePort":"443","Weight":75}],"TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":3600}}}',
          },
        },
      },
    });
  });

  it('adds a header route as action, conditions and a use-annotation path, and removes it at the end', () => {
    const rollout = routedRollout({ ...routing, managedRoutes: [{ name: 'beta' }] });
    const headerRoutes = [{ name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: 'yes' } }] }];
    const request = input(rollout, [ingress()], 0, { headerRoutes });
    const writes = writesOf(albRouter.plan(request));
    expect(writes).toEqual([
      expect.objectContaining({
        resourceVersion: '5',
        patch: {
          metadata: {
            annotations: {
              'alb.ingress.kubernetes.io/actions.web-root': action(0, 100),
              'alb.ingress.kubernetes.io/actions.beta':
                '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":100}]}}',
              'alb.ingress.kubernetes.io/conditions.beta':
                '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"x-beta","values":["yes"]}}]',
              'rollouts.argoproj.io/managed-alb-annotations':
                '{"web":["alb.ingress.kubernetes.io/actions.web-root","alb.ingress.kubernetes.io/actions.beta","alb.ingress.kubernetes.io/conditions.beta"]}',
            },
          },
          spec: {
            rules: [
              {
                http: {
                  paths: [useAnnotation('beta'), useAnnotation('web-root')],
                },
              },
            ],
          },
        },
      }),
    ]);
    const after = applyWrites([ingress()], writes);
    expect(writesOf(albRouter.plan({ ...request, live: after }))).toEqual([]);

    const end = input(rollout, after, 0, { removeManagedRoutes: true });
    const removal = writesOf(albRouter.plan(end));
    const done = applyWrites(after, removal);
    expect(done[0]?.metadata?.annotations).toEqual({
      'kubernetes.io/ingress.class': 'alb',
      'alb.ingress.kubernetes.io/actions.web-root': action(0, 100),
      'rollouts.argoproj.io/managed-alb-annotations':
        '{"web":["alb.ingress.kubernetes.io/actions.web-root"]}',
    });
    expect((done[0] as { spec: unknown }).spec).toEqual((ingress() as { spec: unknown }).spec);
    expect(writesOf(albRouter.plan({ ...end, live: done }))).toEqual([]);
  });

  it('keeps other Rollouts in the managed annotation and refuses an Ingress without the action Service', () => {
    const other = '{"api":["alb.ingress.kubernetes.io/actions.api-root"]}';
    const writes = writesOf(
      albRouter.plan(
        input(
          routedRollout(routing),
          [ingress({ 'rollouts.argoproj.io/managed-alb-annotations': other })],
          10,
        ),
      ),
    );
    expect(writes[0]).toMatchObject({
      patch: {
        metadata: {
          annotations: {
            'rollouts.argoproj.io/managed-alb-annotations':
              '{"api":["alb.ingress.kubernetes.io/actions.api-root"],"web":["alb.ingress.kubernetes.io/actions.web-root"]}',
          },
        },
      },
    });
    const noRoot = routedRollout({
      alb: { ingress: 'web-ingress', rootService: 'missing', servicePort: 80 },
    });
    expect(albRouter.plan(input(noRoot, [ingress()], 10))).toEqual({
      error: 'ingress `web-ingress` does not have service `missing` in rules',
    });
  });
});
