// The ReplicaSets `undo` chooses from: one per revision of the Rollout `web`.

// Not annotated: the plugin's ReplicaSetObject and the operations' RevisionedReplicaSet both take it.
/** The ReplicaSet of `revision`, running `image`, with the pod template hash label `h<revision>`. */
export const revisionSet = (revision: number, image: string) => ({
  metadata: { name: `web-${revision}`, annotations: { 'rollout.argoproj.io/revision': String(revision) } },
  spec: {
    template: {
      metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': `h${revision}` } },
      spec: { containers: [{ name: 'app', image }] },
    },
  },
});
