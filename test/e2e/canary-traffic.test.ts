// Traffic-routed canaries on the local cluster: the controller moves the weight in a real
// Istio VirtualService (host split) and a real NGINX canary Ingress as the steps go, the
// canary pods follow ceil(weight x replicas / 100) while the stable set stays at full size,
// and at the end all traffic goes back to the stable Service, now on the new version.
import { describe, expect, it } from 'vitest';
import { useControllerNamespace } from './support/controller.js';
import { apply as applyObjects, getJson, getJsonAsync } from './support/kubectl.js';
import { canaryRollout, serviceManifest } from './support/manifests.js';
import { operate, readyPodsByHash, setImage, waitForPhase } from './support/rollouts.js';
import { eventually } from './support/wait.js';

const namespace = useControllerNamespace('traffic');

const service = (name: string, app: string) => serviceManifest(namespace, name, app, 80);

const rollout = (name: string, trafficRouting: Record<string, unknown>) =>
  canaryRollout(
    namespace,
    name,
    {
      canaryService: `${name}-canary`,
      stableService: `${name}-stable`,
      scaleDownDelaySeconds: 2,
      trafficRouting,
      steps: [{ setWeight: 20 }, { pause: {} }],
    },
    { replicas: 5 },
  );

function apply(...objects: unknown[]): void {
  applyObjects(objects as object[]);
}

interface VirtualService {
  spec: { http: { name: string; route: { destination: { host: string }; weight: number }[] }[] };
}

const routeWeights = (name: string) =>
  Object.fromEntries(
    getJson<VirtualService>([
      'virtualservices.networking.istio.io',
      name,
      '-n',
      namespace,
    ]).spec.http[0]!.route.map((r) => [r.destination.host, r.weight]),
  );

describe('canary with traffic routing', () => {
  it('moves Istio VirtualService weights with the steps and returns all traffic to stable at the end', async () => {
    const name = 'istio-web';
    apply(service(`${name}-canary`, name), service(`${name}-stable`, name), {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'VirtualService',
      metadata: { name: `${name}-vsvc`, namespace },
      spec: {
        hosts: ['istio-web.example.com'],
        http: [
          {
            name: 'primary',
            route: [
              { destination: { host: `${name}-stable` }, weight: 100 },
              { destination: { host: `${name}-canary` }, weight: 0 },
            ],
          },
        ],
      },
    });
    apply(rollout(name, { istio: { virtualService: { name: `${name}-vsvc`, routes: ['primary'] } } }));
    const first = await waitForPhase(namespace, name, 'Healthy');
    const v1 = first.status!.stableRS!;

    setImage(namespace, name, 'web:2');
    const paused = await waitForPhase(namespace, name, 'Paused');
    const v2 = paused.status!.currentPodHash!;
    await eventually('VirtualService at 80/20', () => {
      const w = routeWeights(`${name}-vsvc`);
      return w[`${name}-stable`] === 80 && w[`${name}-canary`] === 20 ? true : undefined;
    });
    expect(paused.status?.canary?.weights?.canary).toMatchObject({ weight: 20, podTemplateHash: v2 });
    // ceil(20% of 5) = 1 canary pod; the stable set keeps all 5 while it takes 80% of traffic.
    await eventually('1 canary and 5 stable pods', async () => {
      const pods = await readyPodsByHash(namespace, `app=${name}`);
      return pods[v2] === 1 && pods[v1] === 5 ? true : undefined;
    });

    operate(namespace, name, 'promote');
    await waitForPhase(namespace, name, 'Healthy', (s) => s.stableRS === v2);
    await eventually('all traffic to stable', () => {
      const w = routeWeights(`${name}-vsvc`);
      return w[`${name}-stable`] === 100 && w[`${name}-canary`] === 0 ? true : undefined;
    });
    // The previous stable set scales down after scaleDownDelaySeconds (2 s).
    await eventually('the old set drained', async () => {
      const pods = await readyPodsByHash(namespace, `app=${name}`);
      return pods[v1] === undefined && pods[v2] === 5 ? true : undefined;
    });
  });

  it('creates the NGINX canary Ingress with the step weight', async () => {
    const name = 'nginx-web';
    apply(service(`${name}-canary`, name), service(`${name}-stable`, name), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: `${name}-ingress`,
        namespace,
        annotations: { 'kubernetes.io/ingress.class': 'nginx' },
      },
      spec: {
        rules: [
          {
            host: 'nginx-web.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: `${name}-stable`, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    apply(rollout(name, { nginx: { stableIngress: `${name}-ingress` } }));
    await waitForPhase(namespace, name, 'Healthy');
    setImage(namespace, name, 'web:2');
    await waitForPhase(namespace, name, 'Paused');
    const canaryIngress = await eventually('the canary Ingress at weight 20', async () => {
      try {
        const ingress = await getJsonAsync<{
          metadata: { annotations: Record<string, string> };
          spec: { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] };
        }>(['ingress', `${name}-${name}-ingress-canary`, '-n', namespace]);
        return ingress.metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'] === '20'
          ? ingress
          : undefined;
      } catch {
        return undefined;
      }
    });
    expect(canaryIngress.metadata.annotations['nginx.ingress.kubernetes.io/canary']).toBe('true');
    expect(canaryIngress.spec.rules[0]!.http.paths[0]!.backend.service.name).toBe(`${name}-canary`);
  });
});
