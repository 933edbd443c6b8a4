// spec.workloadRef: a Rollout that takes its pod template and selector from an existing
// Deployment, so a team can adopt progressive delivery without rewriting the Deployment.
// The Deployment is scaled down per scaleDown: never (default), onsuccess (to 0 once the
// Rollout is Healthy) or progressively (as the Rollout's pods become available).
import type { ObservedRolloutObject, RolloutPass } from './pass.js';
import type { Deployment } from './workload-types.js';

export type WorkloadResolution = { rollout: ObservedRolloutObject } | { problem: string };

/** The Rollout as if its template and selector were written inline. */
export function resolveWorkloadRef(
  rollout: ObservedRolloutObject,
  deployment: Deployment | undefined,
): WorkloadResolution {
  const ref = rollout.spec.workloadRef;
  if (!ref) return { rollout };
  if (ref.kind !== 'Deployment' || (ref.apiVersion ?? 'apps/v1') !== 'apps/v1') {
    return {
      problem: `spec.workloadRef must reference an apps/v1 Deployment, got ${ref.apiVersion ?? '(no apiVersion)'} ${ref.kind ?? '(no kind)'}`,
    };
  }
  if (!ref.name) return { problem: 'spec.workloadRef.name is required' };
  if (!deployment) {
    return { problem: `spec.workloadRef: Deployment ${rollout.metadata.namespace}/${ref.name} not found` };
  }
  const template = deployment.spec?.template;
  if (!template) return { problem: `spec.workloadRef: Deployment ${ref.name} has no spec.template` };
  return {
    rollout: {
      ...rollout,
      spec: {
        ...rollout.spec,
        template: template as NonNullable<ObservedRolloutObject['spec']['template']>,
        selector: rollout.spec.selector ?? deployment.spec?.selector,
      },
    },
  };
}

/** Scales the referenced Deployment down as scaleDown asks; returns the generation observed. */
export function planWorkloadScaleDown(
  pass: RolloutPass,
  deployment: Deployment,
  rolloutHealthy: boolean,
  availableReplicas: number,
): string {
  const mode = pass.rollout.spec.workloadRef?.scaleDown ?? 'never';
  const current = deployment.spec?.replicas ?? 1;
  const name = deployment.metadata?.name ?? '';
  let target = current;
  switch (mode) {
    case 'never':
      break;
    case 'onsuccess':
      if (rolloutHealthy) target = 0;
      break;
    case 'progressively':
      target = Math.min(current, Math.max(0, pass.replicas - availableReplicas));
      break;
  }
  if (target !== current) {
    pass.actions.push({ kind: 'scaleDeployment', name, to: target });
    pass.emitAfterActions(
      'ScalingReplicaSet',
      `Scaled down Deployment ${name} from ${current} to ${target} (scaleDown: ${mode})`,
    );
  }
  return String(deployment.metadata?.generation ?? 0);
}
