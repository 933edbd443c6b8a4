// AWS Load Balancer Controller: the `<prefix>/actions.<rootService or stableService>`
// annotation on each Ingress holds a weighted `forward` action (canary, experiments, stable
// target groups on servicePort); setHeaderRoute adds `actions.<route>` + `conditions.<route>`
// annotations and a `use-annotation` path; the keys Slipway owns are listed per Rollout in
// `rollouts.argoproj.io/managed-alb-annotations`, as Argo does.
// Not done, and cannot be here: Argo's optional target-group verification (and status.alb)
// asks AWS for the load balancer's actual weights; verifyWeight reads the Ingress only.

import { MANAGED_ALB_ANNOTATIONS } from '../api/labels.js';
import { hasRuleWithService, INGRESSES, type Ingress, type IngressPath } from './ingress.js';
import type { ObjectRef, RoutedRollout, RouterPlan, TrafficRoutingInput, TrafficWrite } from './router.js';
import { defineRouter } from './router.js';
import { asArray, asWeight, clone, field, findLive, mergePatchBetween, ref } from './router-objects.js';
import { routedServices, stableWeight } from './weight.js';

const DEFAULT_ANNOTATION_PREFIX = 'alb.ingress.kubernetes.io';

function albSpec(rollout: RoutedRollout) {
  const alb = rollout.spec.strategy.canary?.trafficRouting?.alb;
  const raw = (alb ?? {}) as Record<string, unknown>;
  const stickiness = raw.stickinessConfig;
  return {
    ingresses: alb?.ingresses ?? (alb?.ingress ? [alb.ingress] : []),
    servicePort: alb?.servicePort ?? 0,
    actionService: alb?.rootService || rollout.spec.strategy.canary?.stableService || '',
    prefix: alb?.annotationPrefix || DEFAULT_ANNOTATION_PREFIX,
    stickiness:
      field(stickiness, 'enabled') === true
        ? { durationSeconds: Number(field(stickiness, 'durationSeconds') ?? 0) }
        : undefined,
  };
}

function referencedObjects(rollout: RoutedRollout): ObjectRef[] {
  return albSpec(rollout).ingresses.map((name) => ref(INGRESSES, rollout.metadata.namespace, name));
}

/** The action JSON exactly as Argo marshals it (Go field order, compact). */
function forwardAction(
  rollout: RoutedRollout,
  targets: { service: string; weight: number }[],
): string | { error: string } {
  const { servicePort, stickiness } = albSpec(rollout);
  const action: Record<string, unknown> = {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: targets.map((t) => ({
        ServiceName: t.service,
        ServicePort: String(servicePort),
        Weight: t.weight,
      })),
      ...(stickiness
        ? { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: stickiness.durationSeconds } }
        : {}),
    },
  };
  if (stickiness && (stickiness.durationSeconds < 1 || stickiness.durationSeconds > 604800)) {
    return { error: "TargetGroupStickinessConfig's duration must be between 1 and 604800 seconds (7 days)!" };
  }
  return JSON.stringify(action);
}

function weightedAction(input: TrafficRoutingInput): string | { error: string } {
  const { canary, stable } = routedServices(input.rollout);
  const additional = input.additionalDestinations ?? [];
  return forwardAction(input.rollout, [
    { service: canary, weight: input.desiredWeight },
    ...additional.map((d) => ({ service: d.serviceName, weight: d.weight })),
    { service: stable, weight: stableWeight(input.rollout, input.desiredWeight, additional) },
  ]);
}

/** `{"<rollout>": [keys...]}` with keys added or removed; map keys sorted as Go marshals them. */
function withManagedKeys(
  current: string | undefined,
  rollout: string,
  add: string[],
  remove: string[],
): string {
  let managed: Record<string, string[]> = {};
  try {
    const parsed: unknown = current ? JSON.parse(current) : {};
    if (parsed && typeof parsed === 'object') managed = parsed as Record<string, string[]>;
  } catch {
    managed = {};
  }
  let keys = [...(managed[rollout] ?? [])];
  for (const key of add) if (!keys.includes(key)) keys.push(key);
  keys = keys.filter((key) => !remove.includes(key));
  const next: Record<string, string[]> = { ...managed, [rollout]: keys };
  return JSON.stringify(Object.fromEntries(Object.entries(next).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function annotationPath(service: string): IngressPath {
  return {
    path: '/*',
    pathType: 'ImplementationSpecific',
    backend: { service: { name: service, port: { name: 'use-annotation' } } },
  };
}

/** Paths to managed routes first (managedRoutes order), then the others as they were. */
function sortPaths(paths: IngressPath[], managedRoutes: string[]): IngressPath[] {
  const rank = (p: IngressPath) => {
    const index = managedRoutes.indexOf(p.backend?.service?.name ?? '\0');
    return index < 0 ? managedRoutes.length : index;
  };
  return paths
    .map((path, position) => ({ path, position }))
    .sort((a, b) => rank(a.path) - rank(b.path) || a.position - b.position)
    .map((entry) => entry.path);
}

function desiredIngress(
  input: TrafficRoutingInput,
  live: Ingress,
): { annotations: Record<string, string>; spec: Ingress['spec'] } | string {
  const { rollout } = input;
  const { prefix, actionService } = albSpec(rollout);
  const managedRoutes = (rollout.spec.strategy.canary?.trafficRouting?.managedRoutes ?? []).map(
    (r) => r.name,
  );
  const annotations = { ...(live.metadata?.annotations ?? {}) };
  const spec = clone(live.spec ?? {});
  const add: string[] = [];
  const remove: string[] = [];
  const removePaths = (service: string) => {
    for (const rule of spec.rules ?? []) {
      if (rule.http?.paths)
        rule.http.paths = rule.http.paths.filter((p) => p.backend?.service?.name !== service);
    }
  };

  const weightKey = `${prefix}/actions.${actionService}`;
  const weighted = weightedAction(input);
  if (typeof weighted !== 'string') return weighted.error;
  annotations[weightKey] = weighted;
  add.push(weightKey);

  let pathsChanged = false;
  if (input.removeManagedRoutes) {
    for (const name of managedRoutes) {
      const keys = [`${prefix}/actions.${name}`, `${prefix}/conditions.${name}`];
      for (const key of keys) delete annotations[key];
      remove.push(...keys);
      removePaths(name);
      pathsChanged = true;
    }
  } else {
    for (const route of input.headerRoutes ?? []) {
      const actionKey = `${prefix}/actions.${route.name}`;
      const conditionKey = `${prefix}/conditions.${route.name}`;
      if (route.match) {
        const action = forwardAction(rollout, [{ service: routedServices(rollout).canary, weight: 100 }]);
        if (typeof action !== 'string') return action.error;
        annotations[actionKey] = action;
        annotations[conditionKey] = JSON.stringify(
          route.match.map((m) => ({
            field: 'http-header',
            httpHeaderConfig: { httpHeaderName: m.headerName, values: [m.headerValue.exact ?? ''] },
          })),
        );
        add.push(actionKey, conditionKey);
        if (!hasRuleWithService({ spec }, route.name)) {
          for (const rule of spec.rules ?? []) {
            if (rule.http) rule.http.paths = [annotationPath(route.name), ...(rule.http.paths ?? [])];
          }
        }
      } else {
        delete annotations[actionKey];
        delete annotations[conditionKey];
        remove.push(actionKey, conditionKey);
        removePaths(route.name);
      }
      pathsChanged = true;
    }
  }
  if (pathsChanged) {
    for (const rule of spec.rules ?? []) {
      if (rule.http?.paths) rule.http.paths = sortPaths(rule.http.paths, managedRoutes);
    }
  }
  annotations[MANAGED_ALB_ANNOTATIONS] = withManagedKeys(
    annotations[MANAGED_ALB_ANNOTATIONS],
    rollout.metadata.name,
    add,
    remove,
  );
  return { annotations, spec };
}

function plan(input: TrafficRoutingInput): RouterPlan {
  const { rollout } = input;
  const { ingresses, actionService } = albSpec(rollout);
  if (ingresses.length === 0) {
    return { error: 'spec.strategy.canary.trafficRouting.alb needs ingress or ingresses' };
  }
  const writes: TrafficWrite[] = [];
  for (const name of ingresses) {
    const target = ref(INGRESSES, rollout.metadata.namespace, name);
    const live = findLive<Ingress>(input.live, target);
    if (!live) return { error: `Ingress ${target.namespace}/${name} not found` };
    if (!hasRuleWithService(live, actionService)) {
      return { error: `ingress \`${name}\` does not have service \`${actionService}\` in rules` };
    }
    const desired = desiredIngress(input, live);
    if (typeof desired === 'string') return { error: desired };
    const patch = mergePatchBetween(
      { metadata: { annotations: live.metadata?.annotations ?? {} }, spec: live.spec ?? {} },
      { metadata: { annotations: desired.annotations }, spec: desired.spec },
    );
    if (!patch) continue;
    writes.push({
      op: 'mergePatch',
      target,
      patch,
      ...('spec' in patch && live.metadata?.resourceVersion
        ? { resourceVersion: live.metadata.resourceVersion }
        : {}),
      event: {
        type: 'Normal',
        reason: 'PatchingALBIngress',
        message: `Updating Ingress \`${name}\` to desiredWeight '${input.desiredWeight}'`,
      },
    });
  }
  return { writes };
}

function verifyWeight(input: TrafficRoutingInput): boolean {
  const { rollout } = input;
  const { ingresses, prefix, actionService } = albSpec(rollout);
  const { canary, stable } = routedServices(rollout);
  const additional = input.additionalDestinations ?? [];
  const wanted = new Map<string, number>([
    [canary, input.desiredWeight],
    ...additional.map((d): [string, number] => [d.serviceName, d.weight]),
    [stable, stableWeight(rollout, input.desiredWeight, additional)],
  ]);
  return ingresses.every((name) => {
    const live = findLive(input.live, ref(INGRESSES, rollout.metadata.namespace, name));
    const value = live?.metadata?.annotations?.[`${prefix}/actions.${actionService}`];
    if (!value) return false;
    let groups: unknown[];
    try {
      groups = asArray(field(JSON.parse(value), 'ForwardConfig', 'TargetGroups'));
    } catch {
      return false;
    }
    return [...wanted].every(([service, weight]) =>
      groups.some((g) => field(g, 'ServiceName') === service && asWeight(field(g, 'Weight')) === weight),
    );
  });
}

export const albRouter = defineRouter('ALB', { referencedObjects, plan, verifyWeight });
