// The traffic-router contract: every router (Istio, NGINX, ALB, SMI, Traefik, Ambassador,
// APISIX, Gateway API) is one module implementing TrafficRouter, registered in registry.ts.
//
// Wiring into a Rollout reconcile:
// - observe: `trafficRoutingObjects(rollout, config)` names the objects to GET (or watch); the
//   ones that exist are `live`.
// - plan: `desiredTrafficWeight(...)` (weight.ts) decides weight, hashes, experiment
//   destinations and managed routes; `planTrafficRouting({ rollout, desiredWeight, ..., live })`
//   turns them into writes, or an error to report as a TrafficRoutingError Warning Event (the
//   Rollout then requeues, as Argo's reconcile fails); `trafficWeightStatus(...)` gives
//   status.canary.weights and the TrafficWeightUpdated Event.
// - act: `applyTrafficWrite(client, write)` (apply.ts) in order, then record `write.event`.
import type { CanaryStep, Rollout } from '../api/rollout.js';
import type { KubeObject } from '../kube/object.js';
import type { ApiResource } from '../kube/resource.js';

/** A Rollout as the routers read it: spec, status and the identity owner references need. */
export type RoutedRollout = Rollout & {
  metadata: { name: string; namespace: string; uid: string };
};

export type SetHeaderRoute = NonNullable<CanaryStep['setHeaderRoute']>;
export type SetMirrorRoute = NonNullable<CanaryStep['setMirrorRoute']>;

/** An experiment's Service that takes a share of the traffic (Argo's WeightDestination). */
export interface WeightDestination {
  serviceName: string;
  podTemplateHash: string;
  weight: number;
}

/** One object a router reads (and the controller watches). It may not exist yet. */
export interface ObjectRef {
  resource: ApiResource;
  namespace: string;
  name: string;
}

/** A write to make, as plain data; act-side `applyTrafficWrite` sends it. */
export type TrafficWrite =
  | { op: 'create'; target: ObjectRef; object: KubeObject; event?: RouterEvent }
  | {
      op: 'mergePatch';
      target: ObjectRef;
      patch: Record<string, unknown>;
      /** Set when the patch replaces a list computed from the observed object: a conflict means re-plan. */
      resourceVersion?: string;
      event?: RouterEvent;
    }
  | { op: 'delete'; target: ObjectRef; uid?: string; event?: RouterEvent };

/** The Event Argo Rollouts records on the Rollout once the write succeeds. */
export interface RouterEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** API versions Argo Rollouts takes from controller flags (--istio-api-version and friends). */
export interface TrafficRouterConfig {
  /** networking.istio.io version; Argo's default v1alpha3. */
  istioApiVersion?: string;
  /** split.smi-spec.io version: v1alpha1 (default), v1alpha2 or v1alpha3. */
  smiApiVersion?: string;
  /** `<group>/<version>` of Mapping; getambassador.io/v2 by default, x.getambassador.io uses ambassadormappings. */
  ambassadorApiVersion?: string;
  /** `<group>/<version>` of TraefikService; Argo's default traefik.containo.us/v1alpha1 (Traefik v3: traefik.io/v1alpha1). */
  traefikApiVersion?: string;
  /** `<group>/<version>` of ApisixRoute; apisix.apache.org/v2 by default. */
  apisixApiVersion?: string;
}

/**
 * Everything a router needs for one reconcile, all observed before planning.
 *
 * The contract, in Argo Rollouts' order (update hash, set weight, header/mirror routes, verify):
 * - `desiredWeight` is the canary's share in units of `trafficRouting.maxTrafficWeight` (default
 *   100); the stable Service gets the rest minus `additionalDestinations`. Decide it with
 *   `desiredTrafficWeight` (weight.ts): the weight moves only once canary pods are available;
 *   at the end (fully promoted) and on abort it is 0 with `removeManagedRoutes: true`.
 * - `headerRoutes`/`mirrorRoutes` are the managed routes the steps up to the current one ask
 *   for: a route with `match` must exist, one without must not. `removeManagedRoutes` removes
 *   every route named in `trafficRouting.managedRoutes` instead.
 * - `live` holds the router objects as observed (from `referencedObjects`); missing = absent.
 * A router plans the desired state of each object it owns and diffs it with `live`, so calling
 * it again with the objects it produced yields no writes. Writes to DestinationRules (hash
 * updates) come before the weight writes.
 */
export interface TrafficRoutingInput {
  rollout: RoutedRollout;
  desiredWeight: number;
  additionalDestinations?: readonly WeightDestination[];
  canaryHash?: string;
  stableHash?: string;
  headerRoutes?: readonly SetHeaderRoute[];
  mirrorRoutes?: readonly SetMirrorRoute[];
  removeManagedRoutes?: boolean;
  live: readonly KubeObject[];
  config?: TrafficRouterConfig;
}

export type RouterPlan =
  | {
      writes: TrafficWrite[];
      /** Look again this soon (Ambassador deletes its canary Mapping a few seconds after weight 0). */
      requeueAfterMs?: number;
    }
  | { error: string };

/** One traffic router. Every method is pure: no I/O, no clock, no mutation of the input. */
export interface TrafficRouter {
  /** Argo's reconciler type ('Istio', 'Nginx', ...), used in messages. */
  readonly type: string;
  /** The objects plan and verify read; the controller fetches (or watches) them into `live`. */
  referencedObjects(rollout: RoutedRollout, config?: TrafficRouterConfig): ObjectRef[];
  /** The creates, patches and deletes that bring the router objects to the desired state. */
  plan(input: TrafficRoutingInput): RouterPlan;
  /** True when the live objects already carry the desired weights. */
  verifyWeight(input: TrafficRoutingInput): boolean;
  /**
   * What Argo writes to status.canary.weights.verified for this router: built-in routers
   * report nothing (undefined); ALB does only with AWS target-group verification, which is
   * off by default and needs AWS, so Slipway never reports it; plugins answer true.
   */
  readonly statusVerified: boolean | undefined;
}

/**
 * A built-in router from its three methods. `statusVerified` stays undefined (Argo leaves
 * status.canary.weights.verified unset) unless the router says otherwise.
 */
export function defineRouter(
  type: string,
  methods: Pick<TrafficRouter, 'referencedObjects' | 'plan' | 'verifyWeight'>,
  statusVerified?: boolean,
): TrafficRouter {
  return { type, ...methods, statusVerified };
}
