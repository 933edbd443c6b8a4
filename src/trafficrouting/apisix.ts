// Apache APISIX: weights of the canary and stable backends in the named http rules of an
// ApisixRoute (`route.rules`, default the rule named like the route). setHeaderRoute creates
// an ApisixRoute named after the header route, owned by the Rollout: a copy of the route whose
// rules send to the canary only (weight 100, stable backend removed, priority + 1) when the
// match expressions hold; it is deleted when the step drops it and at the end.

import type { KubeObject } from '../kube/object.js';
import type { ApiResource } from '../kube/resource.js';
import type {
  ObjectRef,
  RoutedRollout,
  RouterPlan,
  SetHeaderRoute,
  TrafficRouterConfig,
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
  isControlledBy,
  isObject,
  type Json,
  type JsonObject,
  mergePatchBetween,
  mergePatchOf,
  ownedByRollout,
  ref,
} from './router-objects.js';
import { routedServices, stableWeight } from './weight.js';

function apisixRoutes(config: TrafficRouterConfig | undefined): ApiResource {
  const [group = 'apisix.apache.org', version = 'v2'] = (
    config?.apisixApiVersion ?? 'apisix.apache.org/v2'
  ).split('/');
  return { group, version, plural: 'apisixroutes', kind: 'ApisixRoute', namespaced: true };
}

function apisixSpec(rollout: RoutedRollout): { route: string; rules: string[] } {
  const route = rollout.spec.strategy.canary?.trafficRouting?.apisix?.route;
  const name = route?.name ?? '';
  const rules = asArray(field(route, 'rules')).filter((r): r is string => typeof r === 'string');
  return { route: name, rules: rules.length > 0 ? rules : [name] };
}

function referencedObjects(rollout: RoutedRollout, config?: TrafficRouterConfig): ObjectRef[] {
  const resource = apisixRoutes(config);
  const namespace = rollout.metadata.namespace;
  const managed = (rollout.spec.strategy.canary?.trafficRouting?.managedRoutes ?? []).map((r) => r.name);
  return [apisixSpec(rollout).route, ...managed].map((name) => ref(resource, namespace, name));
}

/** Applies `edit` to each named rule's backends; the error names the missing rule or backend. */
function editRules(
  http: Json[],
  rules: string[],
  edit: (rule: JsonObject, backends: Json[]) => string | undefined,
): string | undefined {
  for (const name of rules) {
    const rule = http.find((r) => field(r, 'name') === name);
    if (!isObject(rule)) return `Apisix http route rule ${name} not found`;
    if (!Array.isArray(rule.backends)) return 'Apisix http route backends not found';
    const problem = edit(rule, rule.backends);
    if (problem) return problem;
  }
  return undefined;
}

function setBackendWeight(backends: Json[], service: string, weight: number): string | undefined {
  const index = backends.findIndex((b) => field(b, 'serviceName') === service);
  const backend = backends[index];
  if (!isObject(backend)) return `apisix route ${service} backend was not found`;
  backends[index] = { ...backend, weight };
  return undefined;
}

function weightedHttp(input: TrafficRoutingInput, live: KubeObject): Json[] | string {
  const http = field(live, 'spec', 'http');
  if (!Array.isArray(http)) return 'spec.http was not found in Apisix Route manifest';
  const copy = clone(http as Json[]);
  const { canary, stable } = routedServices(input.rollout);
  const problem = editRules(
    copy,
    apisixSpec(input.rollout).rules,
    (_rule, backends) =>
      setBackendWeight(backends, canary, input.desiredWeight) ??
      setBackendWeight(backends, stable, stableWeight(input.rollout, input.desiredWeight)),
  );
  return problem ?? copy;
}

function matchExpressions(route: SetHeaderRoute): Json[] {
  return (route.match ?? []).flatMap((m) => {
    const subject = { scope: 'Header', name: m.headerName };
    const exprs: Json[] = [];
    if (m.headerValue.exact) exprs.push({ subject, op: 'Equal', value: m.headerValue.exact });
    if (m.headerValue.regex) exprs.push({ subject, op: 'RegexMatch', value: m.headerValue.regex });
    if (m.headerValue.prefix) exprs.push({ subject, op: 'RegexMatch', value: `^${m.headerValue.prefix}.*` });
    return exprs;
  });
}

/** The header route's http rules: canary only, with the match expressions (priority + 1 when new). */
function headerHttp(
  input: TrafficRoutingInput,
  source: KubeObject,
  route: SetHeaderRoute,
  isNew: boolean,
): Json[] | string {
  const http = field(source, 'spec', 'http');
  if (!Array.isArray(http)) return 'spec.http was not found in Apisix Route manifest';
  const copy = clone(http as Json[]);
  const { canary, stable } = routedServices(input.rollout);
  const problem = editRules(copy, apisixSpec(input.rollout).rules, (rule, backends) => {
    const missing = setBackendWeight(backends, canary, 100);
    if (missing) return missing;
    rule.backends = backends.filter((b) => field(b, 'serviceName') !== stable);
    if (isNew) rule.priority = (typeof rule.priority === 'number' ? rule.priority : 0) + 1;
    rule.match = { ...(isObject(rule.match) ? rule.match : {}), exprs: matchExpressions(route) };
    return undefined;
  });
  return problem ?? copy;
}

function plan(input: TrafficRoutingInput): RouterPlan {
  const { rollout } = input;
  const resource = apisixRoutes(input.config);
  const namespace = rollout.metadata.namespace;
  const { route } = apisixSpec(rollout);
  const target = ref(resource, namespace, route);
  const live = findLive(input.live, target);
  if (!live) return { error: `ApisixRoute ${namespace}/${route} not found` };
  const writes: TrafficWrite[] = [];

  const managed = (rollout.spec.strategy.canary?.trafficRouting?.managedRoutes ?? []).map((r) => r.name);
  const headerRoutes = input.removeManagedRoutes
    ? managed.map((name) => ({ name }) as SetHeaderRoute)
    : [...(input.headerRoutes ?? [])];
  for (const header of headerRoutes) {
    const headerTarget = ref(resource, namespace, header.name);
    const existing = findLive(input.live, headerTarget);
    if (existing && !isControlledBy(existing, rollout)) {
      if (input.removeManagedRoutes) continue;
      return { error: `duplicate ApisixRoute [${header.name}] already exists` };
    }
    if (!header.match) {
      if (existing) {
        writes.push({
          op: 'delete',
          target: headerTarget,
          ...(existing.metadata?.uid ? { uid: existing.metadata.uid } : {}),
        });
      }
      continue;
    }
    const http = headerHttp(input, existing ?? live, header, !existing);
    if (typeof http === 'string') return { error: http };
    if (existing) {
      const patch = mergePatchBetween(
        { spec: { http: field(existing, 'spec', 'http') } },
        { spec: { http } },
      );
      if (patch) {
        writes.push({
          op: 'mergePatch',
          target: headerTarget,
          patch,
          ...(existing.metadata?.resourceVersion
            ? { resourceVersion: existing.metadata.resourceVersion }
            : {}),
        });
      }
      continue;
    }
    const { labels, annotations } = live.metadata ?? {};
    const object: KubeObject & { spec: unknown } = {
      apiVersion: live.apiVersion ?? `${resource.group}/${resource.version}`,
      kind: live.kind ?? resource.kind,
      metadata: {
        name: header.name,
        namespace,
        ...(labels ? { labels } : {}),
        ...(annotations ? { annotations } : {}),
        ownerReferences: ownedByRollout(rollout),
      },
      spec: { ...(field(live, 'spec') as JsonObject), http },
    };
    writes.push({ op: 'create', target: headerTarget, object });
  }

  const http = weightedHttp(input, live);
  if (typeof http === 'string') return { error: http };
  const patch = mergePatchBetween({ spec: { http: field(live, 'spec', 'http') } }, { spec: { http } });
  if (patch) {
    writes.unshift(mergePatchOf(target, patch, live));
  }
  return { writes };
}

function verifyWeight(input: TrafficRoutingInput): boolean {
  const target = ref(
    apisixRoutes(input.config),
    input.rollout.metadata.namespace,
    apisixSpec(input.rollout).route,
  );
  const live = findLive(input.live, target);
  if (!live) return false;
  const desired = weightedHttp(input, live);
  if (typeof desired === 'string') return false;
  const { canary, stable } = routedServices(input.rollout);
  const weightsOf = (http: unknown) =>
    asArray(http).map((r) =>
      asArray(field(r, 'backends'))
        .filter((b) => [canary, stable].includes(asString(field(b, 'serviceName')) ?? ''))
        .map((b) => asWeight(field(b, 'weight'))),
    );
  return JSON.stringify(weightsOf(field(live, 'spec', 'http'))) === JSON.stringify(weightsOf(desired));
}

export const apisixRouter = defineRouter('Apisix', { referencedObjects, plan, verifyWeight });
