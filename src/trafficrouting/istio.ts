// Istio: weights on VirtualService http/tls/tcp routes (host-level split between the canary
// and stable Services, or subset-level split with DestinationRule subsets labelled with
// rollouts-pod-template-hash), one or more VirtualServices (`name` or `name.namespace`), and
// managed header/mirror routes placed first in managedRoutes order, removed at the end.
import { MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL } from '../api/labels.js';
import type { KubeObject } from '../kube/object.js';
import type { ApiResource } from '../kube/resource.js';
import type {
  ObjectRef,
  RoutedRollout,
  RouterPlan,
  SetHeaderRoute,
  SetMirrorRoute,
  TrafficRouterConfig,
  TrafficRoutingInput,
  TrafficWrite,
} from './router.js';
import { defineRouter } from './router.js';
import {
  asArray,
  asString,
  clone,
  field,
  findLive,
  isObject,
  type Json,
  type JsonObject,
  mergePatchBetween,
  mergePatchOf,
  ref,
} from './router-objects.js';
import { routedServices, stableWeight } from './weight.js';

interface VirtualServiceSpec {
  name: string;
  routes: string[];
  tlsRoutes: { port?: number; sniHosts?: string[] }[];
  tcpRoutes: { port?: number }[];
}

interface DestinationRuleSpec {
  name: string;
  canarySubsetName: string;
  stableSubsetName: string;
}

function istioResources(config: TrafficRouterConfig | undefined): {
  virtualServices: ApiResource;
  destinationRules: ApiResource;
} {
  const version = config?.istioApiVersion ?? 'v1alpha3';
  const group = 'networking.istio.io';
  return {
    virtualServices: { group, version, plural: 'virtualservices', kind: 'VirtualService', namespaced: true },
    destinationRules: {
      group,
      version,
      plural: 'destinationrules',
      kind: 'DestinationRule',
      namespaced: true,
    },
  };
}

function istioSpec(rollout: RoutedRollout): {
  virtualServices: VirtualServiceSpec[];
  destinationRule: DestinationRuleSpec | undefined;
} {
  const istio = rollout.spec.strategy.canary?.trafficRouting?.istio;
  const raw: unknown[] = istio?.virtualServices ?? (istio?.virtualService ? [istio.virtualService] : []);
  const virtualServices = raw.map((vs) => ({
    name: asString(field(vs, 'name')) ?? '',
    routes: asArray(field(vs, 'routes')).filter((r): r is string => typeof r === 'string'),
    tlsRoutes: asArray(field(vs, 'tlsRoutes')).map((t) => ({
      port: typeof field(t, 'port') === 'number' ? (field(t, 'port') as number) : undefined,
      sniHosts: asArray(field(t, 'sniHosts')).filter((h): h is string => typeof h === 'string'),
    })),
    tcpRoutes: asArray(field(vs, 'tcpRoutes')).map((t) => ({
      port: typeof field(t, 'port') === 'number' ? (field(t, 'port') as number) : undefined,
    })),
  }));
  return { virtualServices, destinationRule: istio?.destinationRule };
}

/** `name` or `name.namespace`, as Argo Rollouts reads a VirtualService reference. */
function virtualServiceRef(rollout: RoutedRollout, resource: ApiResource, name: string): ObjectRef {
  const [vsName = '', namespace] = name.split('.');
  return ref(resource, namespace || rollout.metadata.namespace, vsName);
}

function referencedObjects(rollout: RoutedRollout, config?: TrafficRouterConfig): ObjectRef[] {
  const resources = istioResources(config);
  const { virtualServices, destinationRule } = istioSpec(rollout);
  const refs = virtualServices.map((vs) => virtualServiceRef(rollout, resources.virtualServices, vs.name));
  if (destinationRule) {
    refs.unshift(ref(resources.destinationRules, rollout.metadata.namespace, destinationRule.name));
  }
  return refs;
}

/** Host up to the first dot, as Argo compares `svc`, `svc.ns` and `svc.ns.svc.cluster.local`. */
function shortHost(destination: unknown): string {
  const host = asString(field(destination, 'destination', 'host')) ?? '';
  const dot = host.indexOf('.');
  return dot < 0 ? host : dot === 0 ? '' : host.slice(0, dot);
}

interface PlanContext {
  input: TrafficRoutingInput;
  canaryService: string;
  stableService: string;
  destinationRule: DestinationRuleSpec | undefined;
  /** The DestinationRule's host: where header and mirror routes send traffic when subsets are used. */
  destinationRuleHost: string | undefined;
  managedRouteNames: string[];
}

type RouteKind = 'http' | 'tls' | 'tcp';

/** The weighted routes of one kind, by index, checked to carry both canary and stable destinations. */
function weightedRouteIndexes(
  kind: RouteKind,
  routes: Json[],
  vs: VirtualServiceSpec,
  ctx: PlanContext,
): number[] | string {
  let indexes: number[] = [];
  if (kind === 'http') {
    const managed = new Set(ctx.managedRouteNames);
    if (vs.routes.length === 0) {
      const unmanaged = routes.flatMap((r, i) => (managed.has(asString(field(r, 'name')) ?? '') ? [] : [i]));
      if (unmanaged.length > 1) {
        return 'spec.http[] must have exactly one route when spec.strategy.canary.trafficRouting.istio.virtualService.routes is omitted';
      }
      indexes = unmanaged;
    } else {
      for (const name of vs.routes) {
        const index = routes.findIndex((r) => field(r, 'name') === name);
        if (index < 0) return `HTTP Route '${name}' is not found in the defined Virtual Service.`;
        indexes.push(index);
      }
    }
    // Managed mirror routes carry the weights too, so mirrored traffic keeps the split.
    routes.forEach((r, i) => {
      if (
        isObject(r) &&
        r.mirror !== undefined &&
        managed.has(asString(r.name) ?? '') &&
        !indexes.includes(i)
      ) {
        indexes.push(i);
      }
    });
  } else {
    const wanted = kind === 'tls' ? vs.tlsRoutes : vs.tcpRoutes;
    if (wanted.length === 0) {
      if (routes.length > 1) {
        return `spec.${kind}[] must have exactly one route when spec.strategy.canary.trafficRouting.istio.virtualService.${kind}Routes is omitted`;
      }
      indexes = routes.length === 1 ? [0] : [];
    } else {
      for (const want of wanted) {
        const found = routes.flatMap((r, i) => (matchesPortAndSni(r, want) ? [i] : []));
        if (found.length === 0) {
          return `No matching ${kind.toUpperCase()} routes found in the defined Virtual Service.`;
        }
        indexes.push(...found);
      }
    }
  }
  for (const index of indexes) {
    const problem = missingDestinations(field(routes[index], 'route'), ctx);
    if (problem) return problem;
  }
  return indexes;
}

function matchesPortAndSni(route: Json | undefined, want: { port?: number; sniHosts?: string[] }): boolean {
  const matches = asArray(field(route, 'match'));
  const ports = new Set(matches.map((m) => field(m, 'port') ?? 0));
  if (ports.size > 1) return false;
  const port = ports.size === 1 ? [...ports][0] : 0;
  if (port !== (want.port ?? 0)) return false;
  if (want.sniHosts === undefined) return true;
  const sni = new Set(matches.flatMap((m) => asArray(field(m, 'sniHosts')).map(String)));
  return sni.size === want.sniHosts.length && want.sniHosts.every((h) => sni.has(h));
}

function missingDestinations(destinations: unknown, ctx: PlanContext): string | undefined {
  const list = asArray(destinations);
  if (ctx.destinationRule) {
    const subsets = new Set(list.map((d) => field(d, 'destination', 'subset')));
    if (!subsets.has(ctx.destinationRule.canarySubsetName)) {
      return `Canary DestinationRule subset '${ctx.destinationRule.canarySubsetName}' not found in route`;
    }
    if (!subsets.has(ctx.destinationRule.stableSubsetName)) {
      return `Stable DestinationRule subset '${ctx.destinationRule.stableSubsetName}' not found in route`;
    }
    return undefined;
  }
  const hosts = new Set(list.map(shortHost));
  if (!hosts.has(ctx.canaryService)) return `Canary Service '${ctx.canaryService}' not found in route`;
  if (!hosts.has(ctx.stableService)) return `Stable Service '${ctx.stableService}' not found in route`;
  return undefined;
}

/** The destinations of one weighted route with the desired weights; other hosts are dropped. */
function weightedDestinations(destinations: Json[], ctx: PlanContext): Json[] {
  const { input } = ctx;
  const canaryWeight = input.desiredWeight;
  const additional = input.additionalDestinations ?? [];
  const rest = stableWeight(input.rollout, canaryWeight, additional);
  const unplaced = new Map(additional.map((d) => [d.serviceName, d]));
  const result: Json[] = [];
  for (const destination of destinations) {
    const host = shortHost(destination);
    if (!host || !isObject(destination)) {
      result.push(destination);
      continue;
    }
    const subset = asString(field(destination, 'destination', 'subset')) ?? '';
    const rule = ctx.destinationRule;
    let weight: number | undefined;
    if (host === ctx.canaryService || (subset !== '' && subset === rule?.canarySubsetName)) {
      weight = canaryWeight;
    } else if (host === ctx.stableService || (subset !== '' && subset === rule?.stableSubsetName)) {
      weight = rest;
    } else if (unplaced.has(host)) {
      weight = unplaced.get(host)?.weight ?? 0;
      unplaced.delete(host);
    }
    if (weight !== undefined) result.push({ ...destination, weight });
  }
  for (const dest of unplaced.values()) {
    result.push({ destination: { host: dest.serviceName }, weight: dest.weight });
  }
  return result;
}

function routeDestination(host: string, port: number | undefined, subset: string | undefined): JsonObject {
  return {
    host,
    ...(port ? { port: { number: port } } : {}),
    ...(subset ? { subset } : {}),
  };
}

function headerRoute(route: SetHeaderRoute, weightedRoute: Json | undefined, ctx: PlanContext): JsonObject {
  const port = field(weightedRoute, 'route', 0, 'destination', 'port', 'number');
  const host = ctx.destinationRuleHost || ctx.canaryService;
  const match = (route.match ?? []).map((m) => {
    const value: JsonObject = {};
    if (m.headerValue.exact) value.exact = m.headerValue.exact;
    if (m.headerValue.regex) value.regex = m.headerValue.regex;
    if (m.headerValue.prefix) value.prefix = m.headerValue.prefix;
    return { headers: { [m.headerName]: value } };
  });
  return {
    name: route.name,
    match,
    route: [
      {
        destination: routeDestination(
          host,
          typeof port === 'number' ? port : undefined,
          ctx.destinationRule?.canarySubsetName,
        ),
        weight: 100,
      },
    ],
  };
}

function mirrorRoute(route: SetMirrorRoute, weightedRoute: Json | undefined, ctx: PlanContext): JsonObject {
  const destinations = asArray(field(weightedRoute, 'route')).map((d) => {
    const host = asString(field(d, 'destination', 'host')) ?? '';
    const subset = asString(field(d, 'destination', 'subset'));
    const port = field(d, 'destination', 'port', 'number');
    return {
      destination: routeDestination(host, typeof port === 'number' ? port : undefined, subset),
      weight: typeof field(d, 'weight') === 'number' ? (field(d, 'weight') as number) : 0,
    };
  });
  const port = field(weightedRoute, 'route', 0, 'destination', 'port', 'number');
  const match = (route.match ?? []).map((m) => {
    const entry: JsonObject = {};
    if (m.method !== undefined) entry.method = m.method as Json;
    if (m.path !== undefined) entry.uri = m.path as Json;
    if (m.headers !== undefined) entry.headers = m.headers as Json;
    return entry;
  });
  return {
    name: route.name,
    match,
    route: destinations,
    mirror: routeDestination(
      ctx.destinationRuleHost || ctx.canaryService,
      typeof port === 'number' ? port : undefined,
      ctx.destinationRule?.canarySubsetName,
    ),
    mirrorPercentage: { value: route.percentage ?? 100 },
  };
}

/** Managed routes first, in managedRoutes order, then every other route in its order. */
function orderRoutes(routes: Json[], managedRouteNames: string[]): Json[] {
  if (managedRouteNames.length === 0) return routes;
  const managed = managedRouteNames.flatMap((name) => routes.filter((r) => field(r, 'name') === name));
  const others = routes.filter((r) => !managedRouteNames.includes(asString(field(r, 'name')) ?? '\0'));
  return [...managed, ...others];
}

/** The desired http/tls/tcp lists of one VirtualService, or the problem that prevents them. */
function desiredRoutes(
  live: KubeObject,
  vs: VirtualServiceSpec,
  ctx: PlanContext,
  withManagedRoutes: boolean,
): Partial<Record<RouteKind, Json[]>> | string {
  const spec = field(live, 'spec');
  const lists: Partial<Record<RouteKind, Json[]>> = {};
  for (const kind of ['http', 'tls', 'tcp'] as const) {
    const value = field(spec, kind);
    if (Array.isArray(value)) lists[kind] = clone(value as Json[]);
  }
  const { input, managedRouteNames } = ctx;
  const managedNames = new Set(managedRouteNames);
  if (withManagedRoutes && lists.http) {
    let http = lists.http;
    if (input.removeManagedRoutes) {
      http = http.filter((r) => !managedNames.has(asString(field(r, 'name')) ?? '\0'));
    } else if ((input.headerRoutes?.length ?? 0) > 0 || (input.mirrorRoutes?.length ?? 0) > 0) {
      const indexes = weightedRouteIndexes('http', http, vs, ctx);
      if (typeof indexes === 'string') return indexes;
      const weighted = indexes[0] === undefined ? undefined : clone(http[indexes[0]]);
      for (const mirror of input.mirrorRoutes ?? []) {
        http = http.filter((r) => field(r, 'name') !== mirror.name);
        if (mirror.match) http = [mirrorRoute(mirror, weighted, ctx), ...http];
      }
      for (const header of input.headerRoutes ?? []) {
        http = http.filter((r) => field(r, 'name') !== header.name);
        if (header.match) http = [...http, headerRoute(header, weighted, ctx)];
      }
      http = orderRoutes(http, managedRouteNames);
    }
    lists.http = http;
  } else if (withManagedRoutes && !input.removeManagedRoutes) {
    const asked = [...(input.headerRoutes ?? []), ...(input.mirrorRoutes ?? [])].filter((r) => r.match);
    if (asked.length > 0) return 'spec.http not found: header and mirror routes need HTTP routes';
  }
  for (const kind of ['http', 'tls', 'tcp'] as const) {
    const routes = lists[kind];
    if (!routes) continue;
    const indexes = weightedRouteIndexes(kind, routes, vs, ctx);
    if (typeof indexes === 'string') return indexes;
    for (const index of indexes) {
      const route = routes[index];
      if (!isObject(route)) continue;
      routes[index] = { ...route, route: weightedDestinations(asArray(route.route), ctx) };
    }
  }
  return lists;
}

function planContext(input: TrafficRoutingInput, destinationRuleHost: string | undefined): PlanContext {
  const { rollout } = input;
  const services = routedServices(rollout, false);
  return {
    input,
    canaryService: services.canary,
    stableService: services.stable,
    destinationRule: istioSpec(rollout).destinationRule,
    destinationRuleHost,
    managedRouteNames: (rollout.spec.strategy.canary?.trafficRouting?.managedRoutes ?? []).map((r) => r.name),
  };
}

function destinationRuleWrite(
  input: TrafficRoutingInput,
  target: ObjectRef,
  live: KubeObject,
  rule: DestinationRuleSpec,
): TrafficWrite | undefined {
  const setHash = (labels: Json | undefined, hash: string | undefined): JsonObject => {
    const next: JsonObject = isObject(labels) ? { ...labels } : {};
    if (hash) next[POD_TEMPLATE_HASH_LABEL] = hash;
    else delete next[POD_TEMPLATE_HASH_LABEL];
    return next;
  };
  const additional = new Map((input.additionalDestinations ?? []).map((d) => [d.serviceName, d]));
  // Like Argo, subsets other than canary, stable and the experiments' are dropped.
  const subsets: Json[] = [];
  for (const subset of asArray(field(live, 'spec', 'subsets'))) {
    if (!isObject(subset)) continue;
    const name = asString(subset.name) ?? '';
    if (name === rule.canarySubsetName) {
      subsets.push({ ...subset, labels: setHash(subset.labels, input.canaryHash) });
    } else if (name === rule.stableSubsetName) {
      subsets.push({ ...subset, labels: setHash(subset.labels, input.stableHash) });
    } else if (additional.has(name)) {
      subsets.push({ ...subset, labels: setHash(subset.labels, additional.get(name)?.podTemplateHash) });
      additional.delete(name);
    }
  }
  for (const dest of additional.values()) {
    subsets.push({ name: dest.serviceName, labels: { [POD_TEMPLATE_HASH_LABEL]: dest.podTemplateHash } });
  }
  const before = {
    metadata: { annotations: live.metadata?.annotations ?? {} },
    spec: { subsets: field(live, 'spec', 'subsets') ?? null },
  };
  const after = {
    metadata: {
      annotations: {
        ...(live.metadata?.annotations ?? {}),
        [MANAGED_BY_ANNOTATION]: input.rollout.metadata.name,
      },
    },
    spec: { subsets },
  };
  const patch = mergePatchBetween(before, after);
  if (!patch) return undefined;
  return mergePatchOf(target, patch, live, {
    type: 'Normal',
    reason: 'UpdatedDestinationRule',
    message: `DestinationRule ${rule.name} subset updated (${rule.canarySubsetName}: ${input.canaryHash ?? ''}, ${rule.stableSubsetName}: ${input.stableHash ?? ''})`,
  });
}

/**
 * A DestinationRule a Rollout no longer references goes back to how it was before the Rollout
 * managed it: no managed-by annotation, no pod-template-hash in its subsets (Argo's
 * IstioController.syncDestinationRule). Undefined when `rolloutName` does not manage it.
 */
export function releaseDestinationRuleWrite(
  live: KubeObject,
  rolloutName: string,
  config?: TrafficRouterConfig,
): TrafficWrite | undefined {
  if (live.metadata?.annotations?.[MANAGED_BY_ANNOTATION] !== rolloutName) return undefined;
  const subsets = asArray(field(live, 'spec', 'subsets')).map((subset) => {
    if (!isObject(subset) || !isObject(subset.labels)) return subset;
    const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...labels } = subset.labels;
    return { ...subset, labels };
  });
  return {
    op: 'mergePatch',
    target: {
      resource: istioResources(config).destinationRules,
      namespace: live.metadata?.namespace ?? '',
      name: live.metadata?.name ?? '',
    },
    patch: { metadata: { annotations: { [MANAGED_BY_ANNOTATION]: null } }, spec: { subsets } },
    ...(live.metadata?.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}),
  };
}

/** The DestinationRule resource (for listing the ones a Rollout may have left managed). */
export function destinationRuleResource(config?: TrafficRouterConfig): ApiResource {
  return istioResources(config).destinationRules;
}

function plan(input: TrafficRoutingInput): RouterPlan {
  const { rollout } = input;
  const resources = istioResources(input.config);
  const { virtualServices, destinationRule } = istioSpec(rollout);
  if (virtualServices.length === 0) {
    return { error: 'spec.strategy.canary.trafficRouting.istio needs virtualService or virtualServices' };
  }
  const writes: TrafficWrite[] = [];
  let destinationRuleHost: string | undefined;
  if (destinationRule) {
    const target = ref(resources.destinationRules, rollout.metadata.namespace, destinationRule.name);
    const live = findLive(input.live, target);
    if (!live) return { error: `DestinationRule ${target.namespace}/${target.name} not found` };
    destinationRuleHost = asString(field(live, 'spec', 'host'));
    const write = destinationRuleWrite(input, target, live, destinationRule);
    if (write) writes.push(write);
  }
  const ctx = planContext(input, destinationRuleHost);
  for (const vs of virtualServices) {
    const target = virtualServiceRef(rollout, resources.virtualServices, vs.name);
    const live = findLive(input.live, target);
    if (!live) return { error: `VirtualService ${target.namespace}/${target.name} not found` };
    const lists = desiredRoutes(live, vs, ctx, true);
    if (typeof lists === 'string')
      return { error: `VirtualService ${target.namespace}/${target.name}: ${lists}` };
    const before: JsonObject = {};
    for (const kind of Object.keys(lists) as RouteKind[]) before[kind] = field(live, 'spec', kind) as Json;
    const patch = mergePatchBetween({ spec: before }, { spec: lists });
    if (!patch) continue;
    writes.push(
      mergePatchOf(target, patch, live, {
        type: 'Normal',
        reason: 'Updated VirtualService',
        message: `VirtualService \`${target.name}\` set to desiredWeight '${input.desiredWeight}'`,
      }),
    );
  }
  return { writes };
}

function verifyWeight(input: TrafficRoutingInput): boolean {
  const resources = istioResources(input.config);
  const { virtualServices, destinationRule } = istioSpec(input.rollout);
  let destinationRuleHost: string | undefined;
  if (destinationRule) {
    const live = findLive(
      input.live,
      ref(resources.destinationRules, input.rollout.metadata.namespace, destinationRule.name),
    );
    destinationRuleHost = asString(field(live, 'spec', 'host'));
  }
  const ctx = planContext(input, destinationRuleHost);
  return virtualServices.every((vs) => {
    const live = findLive(input.live, virtualServiceRef(input.rollout, resources.virtualServices, vs.name));
    if (!live) return false;
    const lists = desiredRoutes(live, vs, ctx, false);
    if (typeof lists === 'string') return false;
    return (Object.keys(lists) as RouteKind[]).every(
      (kind) => mergePatchBetween({ v: field(live, 'spec', kind) }, { v: lists[kind] }) === undefined,
    );
  });
}

export const istioRouter = defineRouter('Istio', { referencedObjects, plan, verifyWeight });
