// NGINX Ingress: a canary Ingress `<rollout>-<ingress>-canary`, owned by the Rollout, cloned
// from each stable Ingress (only the rules with a path to the stable Service, pointed at the
// canary Service; TLS and ingressClassName kept), annotated `<prefix>/canary: "true"` and
// `<prefix>/canary-weight` (+ `canary-weight-total` with maxTrafficWeight). Header and cookie
// routing come from additionalIngressAnnotations, so setHeaderRoute has nothing to do here;
// at the end the canary Ingress stays, at weight 0, as Argo leaves it.

import type { KubeObject } from '../kube/object.js';
import { canaryIngressName, INGRESSES, type Ingress, type IngressRule } from './ingress.js';
import type { ObjectRef, RoutedRollout, RouterPlan, TrafficRoutingInput, TrafficWrite } from './router.js';
import { defineRouter } from './router.js';
import { clone, findLive, isControlledBy, mergePatchBetween, ownedByRollout, ref } from './router-objects.js';
import { routedServices } from './weight.js';

const DEFAULT_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io';
const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

function nginxSpec(rollout: RoutedRollout) {
  const nginx = rollout.spec.strategy.canary?.trafficRouting?.nginx;
  const stableIngresses = nginx?.stableIngresses ?? (nginx?.stableIngress ? [nginx.stableIngress] : []);
  return {
    stableIngresses,
    prefix: nginx?.annotationPrefix || DEFAULT_ANNOTATION_PREFIX,
    additional: nginx?.additionalIngressAnnotations ?? {},
    canaryAnnotations: nginx?.canaryIngressAnnotations ?? {},
  };
}

function referencedObjects(rollout: RoutedRollout): ObjectRef[] {
  const namespace = rollout.metadata.namespace;
  return nginxSpec(rollout).stableIngresses.flatMap((name) => [
    ref(INGRESSES, namespace, name),
    ref(INGRESSES, namespace, canaryIngressName(rollout, name)),
  ]);
}

/** The canary Ingress's annotations, labels and spec for `weight`, or why there is none. */
function desiredCanaryIngress(
  input: TrafficRoutingInput,
  stable: Ingress,
):
  | {
      metadata: { annotations: Record<string, string>; labels?: Record<string, string> };
      spec: Ingress['spec'];
    }
  | string {
  const { rollout } = input;
  const { stable: stableService, canary: canaryService } = routedServices(rollout);
  const { prefix, additional, canaryAnnotations } = nginxSpec(rollout);
  const rules: IngressRule[] = [];
  for (const rule of stable.spec?.rules ?? []) {
    const copy = clone(rule);
    let usesStable = false;
    for (const path of copy.http?.paths ?? []) {
      if (path.backend?.service?.name === stableService) {
        usesStable = true;
        path.backend.service.name = canaryService;
      }
    }
    if (usesStable) rules.push(copy);
  }
  if (rules.length === 0) {
    return `ingress \`${stable.metadata?.name ?? ''}\` has no rules using service ${stableService} backend`;
  }
  const annotations: Record<string, string> = {};
  const ingressClass = stable.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (ingressClass !== undefined) annotations[INGRESS_CLASS_ANNOTATION] = ingressClass;
  for (const [key, value] of Object.entries(additional)) {
    annotations[key.startsWith(prefix) ? key : `${prefix}/${key}`] = value;
  }
  Object.assign(annotations, canaryAnnotations);
  annotations[`${prefix}/canary`] = 'true';
  annotations[`${prefix}/canary-weight`] = String(input.desiredWeight);
  const total = rollout.spec.strategy.canary?.trafficRouting?.maxTrafficWeight;
  if (total !== undefined) annotations[`${prefix}/canary-weight-total`] = String(total);
  return {
    metadata: { annotations },
    spec: {
      ...(stable.spec?.ingressClassName !== undefined
        ? { ingressClassName: stable.spec.ingressClassName }
        : {}),
      ...(stable.spec?.tls !== undefined ? { tls: clone(stable.spec.tls) } : {}),
      rules,
    },
  };
}

function plan(input: TrafficRoutingInput): RouterPlan {
  const { rollout } = input;
  const namespace = rollout.metadata.namespace;
  const { stableIngresses } = nginxSpec(rollout);
  if (stableIngresses.length === 0) {
    return { error: 'spec.strategy.canary.trafficRouting.nginx needs stableIngress or stableIngresses' };
  }
  const writes: TrafficWrite[] = [];
  for (const stableName of stableIngresses) {
    const stable = findLive<Ingress>(input.live, ref(INGRESSES, namespace, stableName));
    if (!stable) return { error: `stable Ingress ${namespace}/${stableName} not found` };
    const name = canaryIngressName(rollout, stableName);
    const target = ref(INGRESSES, namespace, name);
    const desired = desiredCanaryIngress(input, stable);
    if (typeof desired === 'string') return { error: desired };
    const canary = findLive<Ingress>(input.live, target);
    if (!canary) {
      const object: KubeObject & { spec: Ingress['spec'] } = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name,
          namespace,
          annotations: desired.metadata.annotations,
          ownerReferences: ownedByRollout(rollout),
        },
        spec: desired.spec,
      };
      writes.push({
        op: 'create',
        target,
        object,
        event: {
          type: 'Normal',
          reason: 'CreatingCanaryIngress',
          message: `Creating canary ingress \`${name}\` with weight \`${input.desiredWeight}\``,
        },
      });
      continue;
    }
    if (!isControlledBy(canary, rollout)) {
      return { error: `canary ingress \`${name}\` controlled by different object` };
    }
    // Annotations, labels and spec of the canary Ingress are entirely the Rollout's.
    const patch = mergePatchBetween(
      {
        metadata: { annotations: canary.metadata?.annotations ?? {}, labels: canary.metadata?.labels ?? {} },
        spec: canary.spec ?? {},
      },
      { metadata: { annotations: desired.metadata.annotations, labels: {} }, spec: desired.spec },
    );
    if (!patch) continue;
    writes.push({
      op: 'mergePatch',
      target,
      patch,
      event: {
        type: 'Normal',
        reason: 'PatchingCanaryIngress',
        message: `Updating Ingress \`${name}\` to desiredWeight '${input.desiredWeight}'`,
      },
    });
  }
  return { writes };
}

function verifyWeight(input: TrafficRoutingInput): boolean {
  const { rollout } = input;
  const { stableIngresses, prefix } = nginxSpec(rollout);
  return stableIngresses.every((stableName) => {
    const canary = findLive(
      input.live,
      ref(INGRESSES, rollout.metadata.namespace, canaryIngressName(rollout, stableName)),
    );
    return canary?.metadata?.annotations?.[`${prefix}/canary-weight`] === String(input.desiredWeight);
  });
}

export const nginxRouter = defineRouter('Nginx', { referencedObjects, plan, verifyWeight });
