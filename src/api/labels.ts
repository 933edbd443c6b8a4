// Every label and annotation name Slipway reads or writes on objects, in one place. The Argo
// names are part of the wire contract: Argo CD, the Argo Rollouts plugin and notifications
// read them, and a cluster can switch controllers only if both write the same ones.

// Rollouts and their ReplicaSets, pods and Services (Argo Rollouts v1.10.2).

/** On ReplicaSets, their selector and their pods: which pod template they run. */
export const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash';
/** On the Rollout and its ReplicaSets: the revision number of a template. */
export const REVISION_ANNOTATION = 'rollout.argoproj.io/revision';
/** On ReplicaSets: the revisions a template had before (not copied from the Rollout). */
export const REVISION_HISTORY_ANNOTATION = 'rollout.argoproj.io/revision-history';
/** On ReplicaSets: the Rollout's spec.replicas when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS_ANNOTATION = 'rollout.argoproj.io/desired-replicas';
/** On ReplicaSets waiting to be scaled down: when (RFC 3339). */
export const SCALE_DOWN_DEADLINE_ANNOTATION = 'scale-down-deadline';
/** On Services whose selector a Rollout manages: the Rollout's name. */
export const MANAGED_BY_ANNOTATION = 'argo-rollouts.argoproj.io/managed-by-rollouts';
/** On Rollouts (and what they create) handled by a controller started with --instance-id. */
export const INSTANCE_ID_LABEL = 'argo-rollouts.argoproj.io/controller-instance-id';
/** On ReplicaSets: canary/stable metadata we injected into the pod template. */
export const EPHEMERAL_METADATA_ANNOTATION = 'rollout.argoproj.io/ephemeral-metadata';
/** On workloadRef Rollouts: the generation of the referenced Deployment. */
export const WORKLOAD_GENERATION_ANNOTATION = 'rollout.argoproj.io/workload-generation';
/** On ALB Ingresses: the annotation keys the ALB router wrote, so it can remove them again. */
export const MANAGED_ALB_ANNOTATIONS = 'rollouts.argoproj.io/managed-alb-annotations';
/** On Gateway API routes during an update (the default of the plugin's inProgressLabelKey). */
export const GATEWAY_API_CANARY_LABEL = 'rollouts.argoproj.io/gatewayapi-canary';

// AnalysisRuns and the Jobs of the Job provider.

/** On AnalysisRuns a Rollout creates: which analysis of the Rollout the run is. */
export const ROLLOUT_TYPE_LABEL = 'rollout-type';
/** On step AnalysisRuns: the canary step index. */
export const STEP_INDEX_LABEL = 'step-index';
/** On Jobs: the uid of the AnalysisRun they measure for (the controller's Job cache selects on it). */
export const ANALYSIS_RUN_UID_LABEL = 'analysisrun.argoproj.io/uid';
export const ANALYSIS_RUN_NAME_ANNOTATION = 'analysisrun.argoproj.io/name';
export const ANALYSIS_RUN_NAMESPACE_ANNOTATION = 'analysisrun.argoproj.io/namespace';
export const ANALYSIS_RUN_METRIC_ANNOTATION = 'analysisrun.argoproj.io/metric-name';

// Experiments.

/** On an Experiment's ReplicaSets (and a canary's experiment ReplicaSets): the Experiment. */
export const EXPERIMENT_NAME_ANNOTATION = 'experiment.argoproj.io/name';
/** On an Experiment's ReplicaSets: the template they run. */
export const EXPERIMENT_TEMPLATE_NAME_ANNOTATION = 'experiment.argoproj.io/template-name';

// Notifications (argoproj/notifications-engine).

/** Subscriptions are `notifications.argoproj.io/subscribe.<trigger>.<service>` annotations. */
export const NOTIFICATIONS_ANNOTATION_PREFIX = 'notifications.argoproj.io';
/** What was sent already, so a restart does not send it again. */
export const NOTIFIED_ANNOTATION = `notified.${NOTIFICATIONS_ANNOTATION_PREFIX}`;

// Slipway's own (slipway.dev).

/** On a PromotionPipeline: the image a person releases from hold (removed once honoured). */
export const RELEASE_HOLD_ANNOTATION = 'slipway.dev/release-hold';
/** On a PromotionPipeline: `slipway.dev/approve.<environment>: <image>` approves leaving it with that image. */
export const APPROVE_ANNOTATION_PREFIX = 'slipway.dev/approve.';
/**
 * On a Rollout manifest in Git: `<pod-template-hash>` (blue-green) or `<pod-template-hash>/<step>`
 * (canary) releases the indefinite pause of that revision (and step). Written by a merged
 * release-pause pull request; honoured by the rollout controller.
 */
export const RELEASE_PAUSE_ANNOTATION = 'slipway.dev/release-pause';
/** On an ImageWatch: stamped (RFC 3339 UTC) by the Argo CD action ImageWatch/check-now. */
export const CHECK_REQUESTED_ANNOTATION = 'slipway.dev/check-requested-at';
/** On a GitTarget: stamped (RFC 3339 UTC) by the Argo CD action GitTarget/sync-now. */
export const SYNC_REQUESTED_ANNOTATION = 'slipway.dev/sync-requested-at';
