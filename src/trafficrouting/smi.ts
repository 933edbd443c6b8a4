// SMI: a TrafficSplit (`trafficSplitName`, default the Rollout's name), created and owned by
// the Rollout, splitting `rootService` (default the stable Service) between the canary,
// experiment and stable backends. v1alpha1 weights are quantities (strings), v1alpha2/3 integers.

import type { KubeObject } from '../kube/object.js';
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
  isControlledBy,
  mergePatchBetween,
  ownedByRollout,
  ref,
} from './router-objects.js';
import { stableWeight } from './weight.js';

function trafficSplits(config: TrafficRouterConfig | undefined): ApiResource {
  const version = config?.smiApiVersion ?? 'v1alpha1';
  return {
    group: 'split.smi-spec.io',
    version,
    plural: 'trafficsplits',
    kind: 'TrafficSplit',
    namespaced: true,
  };
}

function splitTarget(rollout: RoutedRollout, config: TrafficRouterConfig | undefined): ObjectRef {
  const name = rollout.spec.strategy.canary?.trafficRouting?.smi?.trafficSplitName || rollout.metadata.name;
  return ref(trafficSplits(config), rollout.metadata.namespace, name);
}

function referencedObjects(rollout: RoutedRollout, config?: TrafficRouterConfig): ObjectRef[] {
  return [splitTarget(rollout, config)];
}

function desiredSpec(input: TrafficRoutingInput): {
  service: string;
  backends: { service: string; weight: number | string }[];
} {
  const { rollout } = input;
  const canary = rollout.spec.strategy.canary;
  const quantity = (input.config?.smiApiVersion ?? 'v1alpha1') === 'v1alpha1';
  const weight = (n: number) => (quantity ? String(n) : n);
  const additional = input.additionalDestinations ?? [];
  return {
    service: canary?.trafficRouting?.smi?.rootService || canary?.stableService || '',
    backends: [
      { service: canary?.canaryService ?? '', weight: weight(input.desiredWeight) },
      ...additional.map((d) => ({ service: d.serviceName, weight: weight(d.weight) })),
      {
        service: canary?.stableService ?? '',
        weight: weight(stableWeight(rollout, input.desiredWeight, additional)),
      },
    ],
  };
}

function plan(input: TrafficRoutingInput): RouterPlan {
  const { rollout } = input;
  const target = splitTarget(rollout, input.config);
  const live = findLive(input.live, target);
  const spec = desiredSpec(input);
  if (!live) {
    const object: KubeObject & { spec: unknown } = {
      apiVersion: `${target.resource.group}/${target.resource.version}`,
      kind: 'TrafficSplit',
      metadata: {
        name: target.name,
        namespace: target.namespace,
        ownerReferences: ownedByRollout(rollout),
      },
      spec,
    };
    return {
      writes: [
        {
          op: 'create',
          target,
          object,
          event: {
            type: 'Normal',
            reason: 'TrafficSplitCreated',
            message: `TrafficSplit \`${target.name}\` created`,
          },
        },
      ],
    };
  }
  if (!isControlledBy(live, rollout))
    return { error: `Rollout does not own TrafficSplit \`${target.name}\`` };
  const patch = mergePatchBetween({ spec: field(live, 'spec') ?? {} }, { spec });
  return { writes: patch ? [{ op: 'mergePatch', target, patch }] : [] };
}

function verifyWeight(input: TrafficRoutingInput): boolean {
  const live = findLive(input.live, splitTarget(input.rollout, input.config));
  const backends = asArray(field(live, 'spec', 'backends'));
  return desiredSpec(input).backends.every((want) =>
    backends.some(
      (b) => field(b, 'service') === want.service && asWeight(field(b, 'weight')) === asWeight(want.weight),
    ),
  );
}

export const smiRouter = defineRouter('SMI', { referencedObjects, plan, verifyWeight });
