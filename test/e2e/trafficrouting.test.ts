// Traffic routers against the real local kube-apiserver: given real VirtualServices, Ingresses,
// TrafficSplits, HTTPRoutes, TraefikServices, Mappings and ApisixRoutes, when the writes the pure
// routers plan are sent through src/kube, then the objects read back carry the weights and
// managed routes, and planning again on what the server stored writes nothing.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NotFoundError } from '../../src/kube/api-error.js';
import { loadKubeConfig } from '../../src/kube/config.js';
import type { KubeObject } from '../../src/kube/object.js';
import { RestClient } from '../../src/kube/rest.js';
import { applyTrafficWrite } from '../../src/trafficrouting/apply.js';
import { planTrafficRouting, trafficRoutingObjects } from '../../src/trafficrouting/registry.js';
import type { RoutedRollout, TrafficRoutingInput, TrafficWrite } from '../../src/trafficrouting/router.js';
import { getJson, kubectl } from './support/kubectl.js';
import { canaryRollout } from './support/manifests.js';

const namespace = `trafficrouting-${Date.now().toString(36)}`;
let client: RestClient;

beforeAll(() => {
  client = new RestClient(loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig);
  kubectl(['create', 'namespace', namespace]);
});

afterAll(() => {
  kubectl(['delete', 'namespace', namespace, '--wait=false']);
});

function apply(...objects: Record<string, unknown>[]): void {
  for (const object of objects) {
    kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify(object));
  }
}

/** Given: a Rollout (never reconciled here; the routers only need its spec and uid). */
function givenRollout(name: string, canary: Record<string, unknown>): RoutedRollout {
  apply(
    canaryRollout(
      undefined,
      name,
      { canaryService: `${name}-canary`, stableService: `${name}-stable`, ...canary },
      { replicas: 1, image: 'nginx' },
    ),
  );
  return getJson<RoutedRollout>(['rollout', name, '-n', namespace]);
}

async function observe(rollout: RoutedRollout, step: Partial<TrafficRoutingInput>): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const ref of trafficRoutingObjects(rollout, step.config)) {
    try {
      objects.push(await client.get(ref.resource, ref.namespace, ref.name));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return objects;
}

type Step = Omit<Partial<TrafficRoutingInput>, 'rollout' | 'live'> & { desiredWeight: number };

/** When: one reconcile's router writes are applied; then a second plan has nothing to do. */
async function reconcile(rollout: RoutedRollout, step: Step): Promise<TrafficWrite[]> {
  const request = { rollout, canaryHash: 'c4n4ry', stableHash: 'st4bl3', ...step };
  const plan = planTrafficRouting({ ...request, live: await observe(rollout, step) });
  expect(plan.error).toBeUndefined();
  for (const write of plan.writes) await applyTrafficWrite(client, write);
  const again = planTrafficRouting({ ...request, live: await observe(rollout, step) });
  expect(again.writes).toEqual([]);
  expect(again.weightVerified).toBe(true);
  return plan.writes;
}

function get<T>(kind: string, name: string): T {
  return getJson<T>([kind, name, '-n', namespace]);
}

const backendWeights = (
  backends: { name?: string; service?: string; serviceName?: string; weight?: unknown }[],
) => Object.fromEntries(backends.map((b) => [b.name ?? b.service ?? b.serviceName, b.weight]));

describe('istio', () => {
  interface VirtualService {
    spec: {
      http: { name?: string; route: { destination: { host: string; subset?: string }; weight: number }[] }[];
    };
  }
  const routeWeights = (vs: VirtualService, name: string) =>
    Object.fromEntries(
      (vs.spec.http.find((r) => r.name === name)?.route ?? []).map((d) => [
        d.destination.subset ?? d.destination.host,
        d.weight,
      ]),
    );

  it('moves VirtualService weights and adds then removes header and mirror routes', async () => {
    apply({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'VirtualService',
      metadata: { name: 'istio-vsvc' },
      spec: {
        hosts: ['istio'],
        http: [
          {
            name: 'primary',
            route: [
              { destination: { host: 'istio-stable', port: { number: 80 } }, weight: 100 },
              { destination: { host: 'istio-canary', port: { number: 80 } }, weight: 0 },
            ],
          },
        ],
      },
    });
    const rollout = givenRollout('istio', {
      trafficRouting: {
        managedRoutes: [{ name: 'mirror' }, { name: 'beta' }],
        istio: { virtualService: { name: 'istio-vsvc', routes: ['primary'] } },
      },
    });
    await reconcile(rollout, { desiredWeight: 20 });
    expect(routeWeights(get('virtualservices.networking.istio.io', 'istio-vsvc'), 'primary')).toEqual({
      'istio-stable': 80,
      'istio-canary': 20,
    });

    await reconcile(rollout, {
      desiredWeight: 40,
      headerRoutes: [{ name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: 'yes' } }] }],
      mirrorRoutes: [{ name: 'mirror', percentage: 50, match: [{ method: { exact: 'POST' } }] }],
    });
    const withRoutes = get<VirtualService>('virtualservices.networking.istio.io', 'istio-vsvc');
    expect(withRoutes.spec.http.map((r) => r.name)).toEqual(['mirror', 'beta', 'primary']);
    expect(routeWeights(withRoutes, 'mirror')).toEqual({ 'istio-stable': 60, 'istio-canary': 40 });
    expect(routeWeights(withRoutes, 'beta')).toEqual({ 'istio-canary': 100 });

    await reconcile(rollout, { desiredWeight: 0, removeManagedRoutes: true });
    const done = get<VirtualService>('virtualservices.networking.istio.io', 'istio-vsvc');
    expect(done.spec.http.map((r) => r.name)).toEqual(['primary']);
    expect(routeWeights(done, 'primary')).toEqual({ 'istio-stable': 100, 'istio-canary': 0 });
  });

  it('labels DestinationRule subsets with the hashes and splits by subset', async () => {
    apply(
      {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'DestinationRule',
        metadata: { name: 'subset-destrule' },
        spec: {
          host: 'subset',
          subsets: [
            { name: 'stable', labels: { app: 'subset' } },
            { name: 'canary', labels: { app: 'subset' } },
          ],
        },
      },
      {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'VirtualService',
        metadata: { name: 'subset-vsvc' },
        spec: {
          hosts: ['subset'],
          http: [
            {
              name: 'primary',
              route: [
                { destination: { host: 'subset', subset: 'stable' }, weight: 100 },
                { destination: { host: 'subset', subset: 'canary' }, weight: 0 },
              ],
            },
          ],
        },
      },
    );
    const rollout = givenRollout('subset', {
      trafficRouting: {
        istio: {
          virtualService: { name: 'subset-vsvc', routes: ['primary'] },
          destinationRule: {
            name: 'subset-destrule',
            canarySubsetName: 'canary',
            stableSubsetName: 'stable',
          },
        },
      },
    });
    const writes = await reconcile(rollout, { desiredWeight: 10 });
    expect(writes.map((w) => w.target.resource.kind)).toEqual(['DestinationRule', 'VirtualService']);
    const rule = get<{
      metadata: { annotations: Record<string, string> };
      spec: { subsets: { name: string; labels: Record<string, string> }[] };
    }>('destinationrule', 'subset-destrule');
    expect(rule.metadata.annotations['argo-rollouts.argoproj.io/managed-by-rollouts']).toBe('subset');
    expect(rule.spec.subsets.map((s) => [s.name, s.labels['rollouts-pod-template-hash']])).toEqual([
      ['stable', 'st4bl3'],
      ['canary', 'c4n4ry'],
    ]);
    expect(routeWeights(get('virtualservices.networking.istio.io', 'subset-vsvc'), 'primary')).toEqual({
      stable: 90,
      canary: 10,
    });
  });
});

describe('ingress routers', () => {
  const ingress = (name: string, service: string, annotations: Record<string, string>) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations },
    spec: {
      rules: [
        {
          host: `${name}.example.com`,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: service, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  });
  interface Ingress {
    metadata: { annotations: Record<string, string>; ownerReferences?: { uid: string }[] };
    spec: { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] };
  }

  it('nginx: creates the canary Ingress owned by the Rollout and moves its weight', async () => {
    apply(ingress('shop', 'nginx-stable', { 'kubernetes.io/ingress.class': 'nginx' }));
    const rollout = givenRollout('nginx', { trafficRouting: { nginx: { stableIngress: 'shop' } } });
    const created = await reconcile(rollout, { desiredWeight: 10 });
    expect(created.map((w) => w.op)).toEqual(['create']);
    const canary = get<Ingress>('ingress', 'nginx-shop-canary');
    expect(canary.metadata.ownerReferences?.[0]?.uid).toBe(rollout.metadata.uid);
    expect(canary.metadata.annotations['nginx.ingress.kubernetes.io/canary']).toBe('true');
    expect(canary.metadata.annotations['nginx.ingress.kubernetes.io/canary-weight']).toBe('10');
    expect(canary.spec.rules[0]?.http.paths[0]?.backend.service.name).toBe('nginx-canary');
    await reconcile(rollout, { desiredWeight: 60 });
    expect(
      get<Ingress>('ingress', 'nginx-shop-canary').metadata.annotations[
        'nginx.ingress.kubernetes.io/canary-weight'
      ],
    ).toBe('60');
  });

  it('alb: writes the forward action and a header route path, then removes the route', async () => {
    apply(ingress('alb-ingress', 'alb-root', { 'kubernetes.io/ingress.class': 'alb' }));
    const rollout = givenRollout('alb', {
      trafficRouting: {
        managedRoutes: [{ name: 'beta' }],
        alb: { ingress: 'alb-ingress', rootService: 'alb-root', servicePort: 80 },
      },
    });
    await reconcile(rollout, {
      desiredWeight: 25,
      headerRoutes: [{ name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: 'yes' } }] }],
    });
    const live = get<Ingress>('ingress', 'alb-ingress');
    const action = JSON.parse(
      live.metadata.annotations['alb.ingress.kubernetes.io/actions.alb-root'] ?? '{}',
    );
    expect(
      backendWeights(
        action.ForwardConfig.TargetGroups.map((t: { ServiceName: string; Weight: number }) => ({
          name: t.ServiceName,
          weight: t.Weight,
        })),
      ),
    ).toEqual({
      'alb-canary': 25,
      'alb-stable': 75,
    });
    expect(live.spec.rules[0]?.http.paths.map((p) => p.backend.service.name)).toEqual(['beta', 'alb-root']);
    await reconcile(rollout, { desiredWeight: 0, removeManagedRoutes: true });
    const done = get<Ingress>('ingress', 'alb-ingress');
    expect(done.spec.rules[0]?.http.paths.map((p) => p.backend.service.name)).toEqual(['alb-root']);
    expect(done.metadata.annotations['alb.ingress.kubernetes.io/conditions.beta']).toBeUndefined();
  });
});

describe('mesh and gateway routers', () => {
  it('smi: creates the TrafficSplit owned by the Rollout and patches its backends', async () => {
    const rollout = givenRollout('smi', { trafficRouting: { smi: { trafficSplitName: 'smi-split' } } });
    await reconcile(rollout, { desiredWeight: 5 });
    await reconcile(rollout, { desiredWeight: 50 });
    const split = get<{
      metadata: { ownerReferences: { uid: string }[] };
      spec: { service: string; backends: { service: string; weight: string }[] };
    }>('trafficsplit', 'smi-split');
    expect(split.metadata.ownerReferences[0]?.uid).toBe(rollout.metadata.uid);
    expect(split.spec.service).toBe('smi-stable');
    expect(backendWeights(split.spec.backends)).toEqual({ 'smi-canary': '50', 'smi-stable': '50' });
  });

  it('gateway api: weights the HTTPRoute backendRefs and adds a named header rule', async () => {
    apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'gw-route' },
      spec: {
        parentRefs: [{ name: 'gateway' }],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [
              { name: 'gw-stable', port: 80, weight: 100 },
              { name: 'gw-canary', port: 80, weight: 0 },
            ],
          },
        ],
      },
    });
    const rollout = givenRollout('gw', {
      trafficRouting: {
        managedRoutes: [{ name: 'beta' }],
        plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'gw-route' } },
      },
    });
    await reconcile(rollout, {
      desiredWeight: 30,
      headerRoutes: [{ name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: 'yes' } }] }],
    });
    const route = get<{
      metadata: { labels: Record<string, string> };
      spec: { rules: { name?: string; backendRefs: { name: string; weight?: number }[] }[] };
    }>('httproute', 'gw-route');
    expect(route.metadata.labels['rollouts.argoproj.io/gatewayapi-canary']).toBe('in-progress');
    expect(backendWeights(route.spec.rules[0]?.backendRefs ?? [])).toEqual({
      'gw-stable': 70,
      'gw-canary': 30,
    });
    expect(route.spec.rules[1]?.name).toBe('beta');
    await reconcile(rollout, { desiredWeight: 0, removeManagedRoutes: true });
    expect(get<{ spec: { rules: unknown[] } }>('httproute', 'gw-route').spec.rules).toHaveLength(1);
  });

  it.each([
    ['traefik.containo.us/v1alpha1', 'traefikservices.traefik.containo.us'],
    ['traefik.io/v1alpha1', 'traefikservices.traefik.io'],
  ])('traefik (%s): sets the weighted service weights', async (apiVersion, kind) => {
    const name = apiVersion.startsWith('traefik.io') ? 'traefik3' : 'traefik2';
    apply({
      apiVersion,
      kind: 'TraefikService',
      metadata: { name: `${name}-wrr` },
      spec: {
        weighted: {
          services: [
            { name: `${name}-stable`, port: 80 },
            { name: `${name}-canary`, port: 80 },
          ],
        },
      },
    });
    const rollout = givenRollout(name, {
      trafficRouting: { traefik: { weightedTraefikServiceName: `${name}-wrr` } },
    });
    await reconcile(rollout, { desiredWeight: 35, config: { traefikApiVersion: apiVersion } });
    const service = get<{ spec: { weighted: { services: { name: string; weight: number }[] } } }>(
      kind,
      `${name}-wrr`,
    );
    expect(backendWeights(service.spec.weighted.services)).toEqual({
      [`${name}-stable`]: 65,
      [`${name}-canary`]: 35,
    });
  });

  it('ambassador: creates the canary Mapping, then zeroes and deletes it', async () => {
    apply({
      apiVersion: 'getambassador.io/v2',
      kind: 'Mapping',
      metadata: { name: 'echo' },
      spec: { prefix: '/echo', service: 'amb-stable:80' },
    });
    const rollout = givenRollout('amb', { trafficRouting: { ambassador: { mappings: ['echo'] } } });
    await reconcile(rollout, { desiredWeight: 30 });
    expect(get<{ spec: { service: string; weight: number } }>('mapping', 'echo-canary').spec).toEqual({
      prefix: '/echo',
      service: 'amb-canary:80',
      weight: 30,
    });
    const zero = planTrafficRouting({ rollout, desiredWeight: 0, live: await observe(rollout, {}) });
    for (const write of zero.writes) await applyTrafficWrite(client, write);
    expect(zero.requeueAfterMs).toBe(5000);
    await reconcile(rollout, { desiredWeight: 0 });
    expect(kubectl(['get', 'mapping', '-n', namespace, '-o', 'name']).trim()).toBe(
      'mapping.getambassador.io/echo',
    );
  });

  it('apisix: sets the rule backend weights and creates then deletes the header route', async () => {
    apply({
      apiVersion: 'apisix.apache.org/v2',
      kind: 'ApisixRoute',
      metadata: { name: 'apisix-route' },
      spec: {
        http: [
          {
            name: 'main',
            match: { paths: ['/*'] },
            backends: [
              { serviceName: 'apisix-stable', servicePort: 80 },
              { serviceName: 'apisix-canary', servicePort: 80 },
            ],
          },
        ],
      },
    });
    const rollout = givenRollout('apisix', {
      trafficRouting: {
        managedRoutes: [{ name: 'apisix-header' }],
        apisix: { route: { name: 'apisix-route', rules: ['main'] } },
      },
    });
    await reconcile(rollout, {
      desiredWeight: 20,
      headerRoutes: [
        { name: 'apisix-header', match: [{ headerName: 'trace', headerValue: { exact: 'debug' } }] },
      ],
    });
    type Route = {
      metadata: { ownerReferences?: { uid: string }[] };
      spec: { http: { backends: { serviceName: string; weight: number }[] }[] };
    };
    expect(backendWeights(get<Route>('apisixroute', 'apisix-route').spec.http[0]?.backends ?? [])).toEqual({
      'apisix-stable': 80,
      'apisix-canary': 20,
    });
    const header = get<Route>('apisixroute', 'apisix-header');
    expect(header.metadata.ownerReferences?.[0]?.uid).toBe(rollout.metadata.uid);
    expect(backendWeights(header.spec.http[0]?.backends ?? [])).toEqual({ 'apisix-canary': 100 });
    await reconcile(rollout, { desiredWeight: 0, removeManagedRoutes: true });
    expect(kubectl(['get', 'apisixroute', '-n', namespace, '-o', 'name']).trim()).toBe(
      'apisixroute.apisix.apache.org/apisix-route',
    );
  });
});
