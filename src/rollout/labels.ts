// Label and annotation names Argo Rollouts uses. They are part of the wire contract: Argo CD,
// the Argo Rollouts plugin and notifications read them, and a cluster can switch controllers
// only if both write the same ones.

/** On ReplicaSets, their selector and their pods: which pod template they run. */
export const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash';
/** On the Rollout and its ReplicaSets: the revision number of a template. */
export const REVISION_ANNOTATION = 'rollout.argoproj.io/revision';
/** On ReplicaSets: the Rollout's spec.replicas when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS_ANNOTATION = 'rollout.argoproj.io/desired-replicas';
/** On ReplicaSets waiting to be scaled down: when (RFC 3339). */
export const SCALE_DOWN_DEADLINE_ANNOTATION = 'scale-down-deadline';
/** On Services whose selector a Rollout manages: the Rollout's name. */
export const MANAGED_BY_ANNOTATION = 'argo-rollouts.argoproj.io/managed-by-rollouts';
/** On Rollouts handled by a controller started with --instance-id. */
export const INSTANCE_ID_LABEL = 'argo-rollouts.argoproj.io/controller-instance-id';
/** On ReplicaSets: canary/stable metadata we injected into the pod template. */
export const EPHEMERAL_METADATA_ANNOTATION = 'rollout.argoproj.io/ephemeral-metadata';
/** On workloadRef Rollouts: the generation of the referenced Deployment. */
export const WORKLOAD_GENERATION_ANNOTATION = 'rollout.argoproj.io/workload-generation';
