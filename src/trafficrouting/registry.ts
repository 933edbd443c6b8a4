// The one place a spec key of spec.strategy.canary.trafficRouting (or a plugin name under
// trafficRouting.plugins) maps to its router, and the calls the controller makes over all
// the routers a Rollout configures, in Argo Rollouts' order.
import { albRouter } from './alb.js';
import { ambassadorRouter } from './ambassador.js';
import { apisixRouter } from './apisix.js';
import { GATEWAY_API_PLUGIN, gatewayApiRouter } from './gateway-api.js';
import { istioRouter } from './istio.js';
import { nginxRouter } from './nginx.js';
import type {
  ObjectRef,
  RoutedRollout,
  TrafficRouter,
  TrafficRouterConfig,
  TrafficRoutingInput,
  TrafficWrite,
} from './router.js';
import { isObject } from './router-objects.js';
import { smiRouter } from './smi.js';
import { traefikRouter } from './traefik.js';

/** Spec keys in the order Argo Rollouts reconciles them. */
export const trafficRouters = {
  istio: istioRouter,
  nginx: nginxRouter,
  alb: albRouter,
  smi: smiRouter,
  ambassador: ambassadorRouter,
  traefik: traefikRouter,
  apisix: apisixRouter,
} as const satisfies Record<string, TrafficRouter>;

/** Routers configured under trafficRouting.plugins, by plugin name. */
export const trafficRouterPlugins: Readonly<Record<string, TrafficRouter>> = {
  [GATEWAY_API_PLUGIN]: gatewayApiRouter,
};

export interface ConfiguredRouters {
  routers: { key: string; router: TrafficRouter }[];
  /** Configured routers Slipway does not implement (appMesh, unknown plugins). */
  unsupported: string[];
}

export function configuredRouters(rollout: RoutedRollout): ConfiguredRouters {
  const routing = rollout.spec.strategy.canary?.trafficRouting;
  const result: ConfiguredRouters = { routers: [], unsupported: [] };
  if (!routing) return result;
  for (const [key, router] of Object.entries(trafficRouters)) {
    if (routing[key as keyof typeof trafficRouters] !== undefined) result.routers.push({ key, router });
  }
  if (routing.appMesh !== undefined) result.unsupported.push('appMesh');
  if (isObject(routing.plugins)) {
    for (const name of Object.keys(routing.plugins)) {
      const router = trafficRouterPlugins[name];
      if (router) result.routers.push({ key: `plugins/${name}`, router });
      else result.unsupported.push(`plugins/${name}`);
    }
  }
  return result;
}

/** Every object the configured routers read, for the controller to fetch or watch. */
export function trafficRoutingObjects(rollout: RoutedRollout, config?: TrafficRouterConfig): ObjectRef[] {
  return configuredRouters(rollout).routers.flatMap(({ router }) =>
    router.referencedObjects(rollout, config),
  );
}

export interface TrafficRoutingPlan {
  /** In order: each router's writes, routers in Argo's order. */
  writes: TrafficWrite[];
  /** The first router that could not plan, with the object and field at fault (TrafficRoutingError). */
  error?: string;
  requeueAfterMs?: number;
  /** The live objects carry the desired weights for every router. */
  weightVerified: boolean;
  /** status.canary.weights.verified as Argo would write it (undefined: leave it unset). */
  statusVerified: boolean | undefined;
}

/**
 * Plans all configured routers. Like Argo, a router that cannot plan stops the routers after
 * it (the writes of the routers before it still go out); the error text starts with
 * `Rollout <ns>/<name>: <router>:` so it can be an Event message as it is.
 */
export function planTrafficRouting(input: TrafficRoutingInput): TrafficRoutingPlan {
  const { rollout } = input;
  const { routers, unsupported } = configuredRouters(rollout);
  const who = `Rollout ${rollout.metadata.namespace}/${rollout.metadata.name}`;
  const plan: TrafficRoutingPlan = { writes: [], weightVerified: true, statusVerified: undefined };
  for (const { key, router } of routers) {
    const result = router.plan(input);
    if ('error' in result) {
      return { ...plan, error: `${who}: ${key}: ${result.error}`, weightVerified: false };
    }
    plan.writes.push(...result.writes);
    if (result.requeueAfterMs !== undefined) {
      plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? result.requeueAfterMs, result.requeueAfterMs);
    }
    plan.weightVerified &&= router.verifyWeight(input);
    if (router.statusVerified !== undefined) {
      plan.statusVerified = (plan.statusVerified ?? true) && router.statusVerified;
    }
  }
  if (unsupported.length > 0) {
    return {
      ...plan,
      error: `${who}: spec.strategy.canary.trafficRouting: ${unsupported.join(', ')} not supported by Slipway`,
      weightVerified: false,
    };
  }
  return plan;
}
