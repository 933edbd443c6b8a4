// Ambassador (Emissary): for each listed Mapping, a canary Mapping `<mapping>-canary` cloned
// from it (spec only, service switched to the canary Service, port kept) with spec.weight.
// At weight 0 Argo sets the weight to 0 and deletes the canary Mapping 5 s later; here the
// delete is the next pass's write once the live Mapping carries weight 0 (requeue in 5 s).
import type { KubeObject } from '../kube/object.js';
import type { ApiResource } from '../kube/resource.js';
import type {
  ObjectRef,
  RoutedRollout,
  RouterPlan,
  TrafficRouterConfig,
  TrafficRoutingInput,
  TrafficWrite,
} from './router.js';
import { defineRouter } from './router.js';
import { asString, asWeight, clone, field, findLive, isObject, ref } from './router-objects.js';
import { routedServices } from './weight.js';

const PROPAGATION_DELAY_MS = 5000;

function mappings(config: TrafficRouterConfig | undefined): ApiResource {
  const apiVersion = config?.ambassadorApiVersion ?? 'getambassador.io/v2';
  const parts = apiVersion.split('/');
  const group = parts.length > 1 ? (parts[0] ?? 'getambassador.io') : 'getambassador.io';
  const version = parts[parts.length - 1] ?? 'v2';
  const plural = group === 'x.getambassador.io' ? 'ambassadormappings' : 'mappings';
  const kind = group === 'x.getambassador.io' ? 'AmbassadorMapping' : 'Mapping';
  return { group, version, plural, kind, namespaced: true };
}

export function canaryMappingName(name: string): string {
  return `${name.slice(0, 246)}-canary`;
}

function mappingNames(rollout: RoutedRollout): string[] {
  return rollout.spec.strategy.canary?.trafficRouting?.ambassador?.mappings ?? [];
}

function referencedObjects(rollout: RoutedRollout, config?: TrafficRouterConfig): ObjectRef[] {
  const resource = mappings(config);
  return mappingNames(rollout).flatMap((name) => [
    ref(resource, rollout.metadata.namespace, name),
    ref(resource, rollout.metadata.namespace, canaryMappingName(name)),
  ]);
}

/** `svc:port` keeps its numeric port on the canary Service; anything else becomes the bare name. */
function canaryServiceOf(baseService: string, canaryService: string): string {
  const parts = baseService.split(':');
  const port = parts[parts.length - 1] ?? '';
  return parts.length >= 2 && /^-?\d+$/.test(port) ? `${canaryService}:${port}` : canaryService;
}

function plan(input: TrafficRoutingInput): RouterPlan {
  const { rollout } = input;
  const resource = mappings(input.config);
  const namespace = rollout.metadata.namespace;
  const weight = input.desiredWeight;
  const writes: TrafficWrite[] = [];
  let requeue = false;
  for (const baseName of mappingNames(rollout)) {
    const name = canaryMappingName(baseName);
    const target = ref(resource, namespace, name);
    const canary = findLive(input.live, target);
    if (!canary) {
      if (weight === 0) continue;
      const base = findLive(input.live, ref(resource, namespace, baseName));
      if (!base) return { error: `Ambassador mapping "${baseName}" not found` };
      if ((asWeight(field(base, 'spec', 'weight')) ?? 0) !== 0) {
        return { error: `Ambassador mapping "${baseName}" can not define weight` };
      }
      const spec = isObject(field(base, 'spec')) ? clone(field(base, 'spec') as Record<string, unknown>) : {};
      spec.service = canaryServiceOf(asString(spec.service) ?? '', routedServices(rollout).canary);
      spec.weight = weight;
      const object: KubeObject & { spec: unknown } = {
        apiVersion: base.apiVersion ?? `${resource.group}/${resource.version}`,
        kind: base.kind ?? resource.kind,
        metadata: { name, namespace },
        spec,
      };
      writes.push({
        op: 'create',
        target,
        object,
        event: {
          type: 'Normal',
          reason: 'CanaryMappingWeightUpdate',
          message: `Set canary mapping weight to ${weight}`,
        },
      });
      continue;
    }
    const current = asWeight(field(canary, 'spec', 'weight')) ?? 0;
    if (current !== weight) {
      writes.push({
        op: 'mergePatch',
        target,
        patch: { spec: { weight } },
        event: {
          type: 'Normal',
          reason: 'CanaryMappingWeightUpdate',
          message: `Set canary mapping weight to ${weight}`,
        },
      });
      if (weight === 0) requeue = true;
    } else if (weight === 0) {
      writes.push({ op: 'delete', target, ...(canary.metadata?.uid ? { uid: canary.metadata.uid } : {}) });
    }
  }
  return requeue ? { writes, requeueAfterMs: PROPAGATION_DELAY_MS } : { writes };
}

function verifyWeight(input: TrafficRoutingInput): boolean {
  const resource = mappings(input.config);
  return mappingNames(input.rollout).every((baseName) => {
    const canary = findLive(
      input.live,
      ref(resource, input.rollout.metadata.namespace, canaryMappingName(baseName)),
    );
    if (!canary) return input.desiredWeight === 0;
    return (asWeight(field(canary, 'spec', 'weight')) ?? 0) === input.desiredWeight;
  });
}

export const ambassadorRouter = defineRouter('Ambassador', { referencedObjects, plan, verifyWeight });
