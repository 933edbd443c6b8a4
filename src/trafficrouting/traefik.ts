// Traefik: the weights of the canary and stable Services in a TraefikService's
// spec.weighted.services (other entries are left alone). The API group follows Argo's
// --traefik-api-group/--traefik-api-version: traefik.containo.us/v1alpha1 unless configured.
import type { ApiResource } from '../kube/resource.js';
import type {
  ObjectRef,
  RoutedRollout,
  RouterPlan,
  TrafficRouterConfig,
  TrafficRoutingInput,
} from './router.js';
import { defineRouter } from './router.js';
import {
  asArray,
  asWeight,
  field,
  findLive,
  isObject,
  type Json,
  mergePatchBetween,
  mergePatchOf,
  ref,
} from './router-objects.js';
import { routedServices, stableWeight } from './weight.js';

function traefikServices(config: TrafficRouterConfig | undefined): ApiResource {
  const [group = 'traefik.containo.us', version = 'v1alpha1'] = (
    config?.traefikApiVersion ?? 'traefik.containo.us/v1alpha1'
  ).split('/');
  return { group, version, plural: 'traefikservices', kind: 'TraefikService', namespaced: true };
}

function serviceTarget(rollout: RoutedRollout, config: TrafficRouterConfig | undefined): ObjectRef {
  const name = rollout.spec.strategy.canary?.trafficRouting?.traefik?.weightedTraefikServiceName ?? '';
  return ref(traefikServices(config), rollout.metadata.namespace, name);
}

function referencedObjects(rollout: RoutedRollout, config?: TrafficRouterConfig): ObjectRef[] {
  return [serviceTarget(rollout, config)];
}

function desiredServices(input: TrafficRoutingInput, services: Json[]): Json[] | string {
  const { canary, stable } = routedServices(input.rollout);
  const weights = new Map([
    [canary, input.desiredWeight],
    [stable, stableWeight(input.rollout, input.desiredWeight)],
  ]);
  for (const [name, label] of [
    [canary, 'canary'],
    [stable, 'stable'],
  ] as const) {
    if (!services.some((s) => field(s, 'name') === name))
      return `traefik ${label} service ${name} was not found`;
  }
  return services.map((s) => {
    const weight = weights.get(String(field(s, 'name')));
    return weight !== undefined && isObject(s) ? { ...s, weight } : s;
  });
}

function plan(input: TrafficRoutingInput): RouterPlan {
  const target = serviceTarget(input.rollout, input.config);
  const live = findLive(input.live, target);
  if (!live) return { error: `TraefikService ${target.namespace}/${target.name} not found` };
  const services = field(live, 'spec', 'weighted', 'services');
  if (!Array.isArray(services))
    return { error: 'spec.weighted.services was not found in traefik service manifest' };
  const desired = desiredServices(input, services as Json[]);
  if (typeof desired === 'string') return { error: desired };
  const patch = mergePatchBetween(
    { spec: { weighted: { services } } },
    { spec: { weighted: { services: desired } } },
  );
  if (!patch) return { writes: [] };
  return { writes: [mergePatchOf(target, patch, live)] };
}

function verifyWeight(input: TrafficRoutingInput): boolean {
  const live = findLive(input.live, serviceTarget(input.rollout, input.config));
  const services = asArray(field(live, 'spec', 'weighted', 'services'));
  const { canary, stable } = routedServices(input.rollout);
  const weightOf = (name: string) =>
    asWeight(
      field(
        services.find((s) => field(s, 'name') === name),
        'weight',
      ),
    );
  return (
    weightOf(canary) === input.desiredWeight &&
    weightOf(stable) === stableWeight(input.rollout, input.desiredWeight)
  );
}

export const traefikRouter = defineRouter('Traefik', { referencedObjects, plan, verifyWeight });
