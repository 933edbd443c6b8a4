// Gateway API, as the argoproj-labs/gatewayAPI plugin does it (configured under
// trafficRouting.plugins["argoproj-labs/gatewayAPI"]): in every rule of the named HTTPRoutes,
// GRPCRoutes, TCPRoutes and TLSRoutes that has both the canary and the stable backendRef, the
// canary gets the weight and the stable the rest; the route carries the label
// `rollouts.argoproj.io/gatewayapi-canary: in-progress` while the weight is above 0.
// setHeaderRoute adds, for each such rule, a rule named after the managed route (`<name>`,
// `<name>-1`, ...) that sends requests with the headers to the canary; managed rules are found
// and removed by name. Not done: experiment backends and mirror routes, which the plugin
// has only in its newest releases.
import { GATEWAY_API_CANARY_LABEL } from '../api/labels.js';
import type { KubeObject } from '../kube/object.js';
import type { ApiResource } from '../kube/resource.js';
import type {
  ObjectRef,
  RoutedRollout,
  RouterPlan,
  SetHeaderRoute,
  TrafficRoutingInput,
  TrafficWrite,
} from './router.js';
import { defineRouter } from './router.js';
import {
  asArray,
  asString,
  asWeight,
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

export const GATEWAY_API_PLUGIN = 'argoproj-labs/gatewayAPI';
const GROUP = 'gateway.networking.k8s.io';
const IN_PROGRESS_VALUE = 'in-progress';

type RouteKind = 'HTTPRoute' | 'GRPCRoute' | 'TCPRoute' | 'TLSRoute';

export const GATEWAY_ROUTES: Record<RouteKind, ApiResource> = {
  HTTPRoute: { group: GROUP, version: 'v1', plural: 'httproutes', kind: 'HTTPRoute', namespaced: true },
  GRPCRoute: { group: GROUP, version: 'v1', plural: 'grpcroutes', kind: 'GRPCRoute', namespaced: true },
  TCPRoute: { group: GROUP, version: 'v1alpha2', plural: 'tcproutes', kind: 'TCPRoute', namespaced: true },
  TLSRoute: { group: GROUP, version: 'v1alpha2', plural: 'tlsroutes', kind: 'TLSRoute', namespaced: true },
};

interface RouteRef {
  kind: RouteKind;
  name: string;
  useHeaderRoutes: boolean;
}

interface PluginConfig {
  namespace: string;
  routes: RouteRef[];
  inProgressLabel: { key: string; value: string } | undefined;
}

function pluginConfig(rollout: RoutedRollout): PluginConfig {
  const raw = field(rollout.spec.strategy.canary?.trafficRouting?.plugins, GATEWAY_API_PLUGIN);
  const routes: RouteRef[] = [];
  const fields: [RouteKind, string, string][] = [
    ['HTTPRoute', 'httpRoute', 'httpRoutes'],
    ['GRPCRoute', 'grpcRoute', 'grpcRoutes'],
    ['TCPRoute', 'tcpRoute', 'tcpRoutes'],
    ['TLSRoute', 'tlsRoute', 'tlsRoutes'],
  ];
  for (const [kind, single, list] of fields) {
    for (const entry of asArray(field(raw, list))) {
      const name = asString(field(entry, 'name'));
      if (name) routes.push({ kind, name, useHeaderRoutes: field(entry, 'useHeaderRoutes') === true });
    }
    const name = asString(field(raw, single));
    if (name) routes.push({ kind, name, useHeaderRoutes: true });
  }
  const disabled = field(raw, 'disableInProgressLabel') === true;
  return {
    namespace: asString(field(raw, 'namespace')) || rollout.metadata.namespace,
    routes,
    inProgressLabel: disabled
      ? undefined
      : {
          key: asString(field(raw, 'inProgressLabelKey')) || GATEWAY_API_CANARY_LABEL,
          value: asString(field(raw, 'inProgressLabelValue')) || IN_PROGRESS_VALUE,
        },
  };
}

function routeTarget(config: PluginConfig, route: RouteRef): ObjectRef {
  return ref(GATEWAY_ROUTES[route.kind], config.namespace, route.name);
}

function referencedObjects(rollout: RoutedRollout): ObjectRef[] {
  const config = pluginConfig(rollout);
  return config.routes.map((route) => routeTarget(config, route));
}

const backendNames = (rule: Json | undefined) =>
  asArray(field(rule, 'backendRefs')).map((b) => field(b, 'name'));

/** A rule named `managed` or `managed-<n>`: the rules a header route created. */
function isManagedRule(rule: Json | undefined, managed: ReadonlySet<string>): boolean {
  const name = asString(field(rule, 'name'));
  if (!name) return false;
  if (managed.has(name)) return true;
  const dash = name.lastIndexOf('-');
  return dash > 0 && managed.has(name.slice(0, dash)) && /^\d+$/.test(name.slice(dash + 1));
}

function headerMatches(route: SetHeaderRoute): JsonObject[] | string {
  const matches: JsonObject[] = [];
  for (const m of route.match ?? []) {
    const { exact, prefix, regex } = m.headerValue;
    if (exact) matches.push({ name: m.headerName, type: 'Exact', value: exact });
    else if (prefix) matches.push({ name: m.headerName, type: 'RegularExpression', value: `${prefix}.*` });
    else if (regex) matches.push({ name: m.headerName, type: 'RegularExpression', value: regex });
    else return `setHeaderRoute ${route.name}: header ${m.headerName} needs exact, prefix or regex`;
  }
  return matches;
}

/** The managed rules for one header route: a copy of each weighted rule, matching the headers too. */
function headerRules(route: SetHeaderRoute, weighted: Json[], canary: string): Json[] | string {
  const headers = headerMatches(route);
  if (typeof headers === 'string') return headers;
  return weighted.map((rule, index) => {
    const canaryRef = asArray(field(rule, 'backendRefs')).find((b) => field(b, 'name') === canary);
    const port = field(canaryRef, 'port') as Json | undefined;
    const sourceMatches = asArray(field(rule, 'matches'));
    const matches =
      sourceMatches.length === 0
        ? [{ headers }]
        : sourceMatches.map((m) => ({
            ...(isObject(m) ? m : {}),
            headers: [...asArray(field(m, 'headers')), ...headers],
          }));
    return {
      name: index === 0 ? route.name : `${route.name}-${index}`,
      matches,
      filters: clone(asArray(field(rule, 'filters'))),
      backendRefs: [{ group: '', kind: 'Service', name: canary, ...(port !== undefined ? { port } : {}) }],
    };
  });
}

function desiredRoute(
  input: TrafficRoutingInput,
  config: PluginConfig,
  route: RouteRef,
  live: KubeObject,
): { rules: Json[]; labels: Record<string, string> } | string {
  const { rollout } = input;
  const { canary, stable } = routedServices(rollout);
  const rest = stableWeight(rollout, input.desiredWeight);
  let rules = clone(asArray(field(live, 'spec', 'rules')));
  const isWeighted = (rule: Json) => {
    const names = backendNames(rule);
    return names.includes(canary) && names.includes(stable);
  };
  if (!rules.some(isWeighted)) {
    return `${route.kind} ${config.namespace}/${route.name} has no rule with both backendRefs ${canary} and ${stable}`;
  }
  rules = rules.map((rule) =>
    isObject(rule) && isWeighted(rule)
      ? {
          ...rule,
          backendRefs: asArray(rule.backendRefs).map((b) => {
            if (!isObject(b)) return b;
            if (b.name === canary) return { ...b, weight: input.desiredWeight };
            if (b.name === stable) return { ...b, weight: rest };
            return b;
          }),
        }
      : rule,
  );
  const managedNames = (rollout.spec.strategy.canary?.trafficRouting?.managedRoutes ?? []).map((r) => r.name);
  if (route.useHeaderRoutes && (route.kind === 'HTTPRoute' || route.kind === 'GRPCRoute')) {
    if (input.removeManagedRoutes) {
      const managed = new Set(managedNames);
      rules = rules.filter((rule) => !isManagedRule(rule, managed));
    } else {
      for (const header of input.headerRoutes ?? []) {
        const own = new Set([header.name]);
        rules = rules.filter((rule) => !isManagedRule(rule, own));
        if (!header.match) continue;
        const added = headerRules(header, rules.filter(isWeighted), canary);
        if (typeof added === 'string') return added;
        rules = [...rules, ...added];
      }
    }
  }
  const labels = { ...(live.metadata?.labels ?? {}) };
  if (config.inProgressLabel) {
    if (input.desiredWeight > 0) labels[config.inProgressLabel.key] = config.inProgressLabel.value;
    else delete labels[config.inProgressLabel.key];
  }
  return { rules, labels };
}

function plan(input: TrafficRoutingInput): RouterPlan {
  const config = pluginConfig(input.rollout);
  if (config.routes.length === 0) {
    return {
      error: `plugins["${GATEWAY_API_PLUGIN}"] needs httpRoute(s), grpcRoute(s), tcpRoute(s) or tlsRoute(s)`,
    };
  }
  const writes: TrafficWrite[] = [];
  for (const route of config.routes) {
    const target = routeTarget(config, route);
    const live = findLive(input.live, target);
    if (!live) return { error: `${route.kind} ${target.namespace}/${target.name} not found` };
    const desired = desiredRoute(input, config, route, live);
    if (typeof desired === 'string') return { error: desired };
    const patch = mergePatchBetween(
      { metadata: { labels: live.metadata?.labels ?? {} }, spec: { rules: field(live, 'spec', 'rules') } },
      { metadata: { labels: desired.labels }, spec: { rules: desired.rules } },
    );
    if (!patch) continue;
    writes.push(mergePatchOf(target, patch, live));
  }
  return { writes };
}

function verifyWeight(input: TrafficRoutingInput): boolean {
  const config = pluginConfig(input.rollout);
  const { canary, stable } = routedServices(input.rollout);
  const rest = stableWeight(input.rollout, input.desiredWeight);
  return config.routes.every((route) => {
    const live = findLive(input.live, routeTarget(config, route));
    const weighted = asArray(field(live, 'spec', 'rules')).filter((rule) => {
      const names = backendNames(rule);
      return names.includes(canary) && names.includes(stable);
    });
    return (
      weighted.length > 0 &&
      weighted.every((rule) =>
        asArray(field(rule, 'backendRefs')).every((b) => {
          const weight = asWeight(field(b, 'weight'));
          if (field(b, 'name') === canary) return weight === input.desiredWeight;
          if (field(b, 'name') === stable) return weight === rest;
          return true;
        }),
      )
    );
  });
}

// The plugin's VerifyWeight answers Verified, so Argo writes verified: true.
export const gatewayApiRouter = defineRouter('GatewayAPI', { referencedObjects, plan, verifyWeight }, true);
