// spec.restartAt: every pod created before that time is evicted, through the eviction API
// so PodDisruptionBudgets hold, at most max(maxUnavailable, 1) pods unavailable at a time,
// stable pods first; when none is left, status.restartedAt records the restart as done.
import { POD_TEMPLATE_HASH_LABEL } from '../api/labels.js';
import type { RolloutPass } from './pass.js';
import { resolveMaxSurgeAndUnavailable } from './replica-math.js';
import { availableReplicas, hashOf, specReplicas } from './replicasets.js';
import type { Pod } from './workload-types.js';

/** How often to look again while pods are being replaced (pod changes are not watched). */
const RESTART_RECHECK_MS = 2000;

export function isRestartPending(
  restartAt: string | undefined,
  restartedAt: string | undefined,
  now: Date,
): boolean {
  if (!restartAt) return false;
  const at = Date.parse(restartAt);
  if (Number.isNaN(at) || at > now.getTime()) return false;
  return !restartedAt || Date.parse(restartedAt) < at;
}

/**
 * Plans this pass's evictions and returns the restartedAt to record (the previous one while
 * the restart is still running, restartAt once it is done).
 */
export function planRestart(
  pass: RolloutPass,
  pods: readonly Pod[] | undefined,
  maxUnavailableSpec: number | string | undefined,
): string | undefined {
  const { rollout, previous, now } = pass;
  const restartAt = rollout.spec.restartAt;
  if (!isRestartPending(restartAt, previous.restartedAt, now) || !restartAt || pods === undefined) {
    return previous.restartedAt;
  }
  const cutoff = Date.parse(restartAt);
  const ownedHashes = new Set(pass.owned.map(hashOf));
  const stale = pods.filter(
    (pod) =>
      !pod.metadata?.deletionTimestamp &&
      ownedHashes.has(pod.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL]) &&
      Date.parse(pod.metadata?.creationTimestamp ?? '') < cutoff,
  );
  if (stale.length === 0) {
    pass.emit('RolloutRestarted', `Rollout restarted: all pods created after ${restartAt}`);
    return restartAt;
  }
  pass.requeueAfterMs(RESTART_RECHECK_MS);
  const { maxUnavailable } = resolveMaxSurgeAndUnavailable(pass.replicas, undefined, maxUnavailableSpec);
  const unavailable = pass.owned.reduce(
    (n, rs) => n + Math.max(0, specReplicas(rs) - availableReplicas(rs)),
    0,
  );
  const terminating = pods.filter((pod) => pod.metadata?.deletionTimestamp).length;
  const budget = Math.max(maxUnavailable, 1) - unavailable - terminating;
  if (budget <= 0) return previous.restartedAt;
  const stableHash = previous.stableRS;
  const order = [...stale].sort((a, b) => {
    const aStable = a.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === stableHash ? 0 : 1;
    const bStable = b.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === stableHash ? 0 : 1;
    return (
      aStable - bStable ||
      Date.parse(a.metadata?.creationTimestamp ?? '') - Date.parse(b.metadata?.creationTimestamp ?? '')
    );
  });
  for (const pod of order.slice(0, budget)) {
    pass.actions.push({ kind: 'evictPod', name: pod.metadata?.name ?? '' });
  }
  return previous.restartedAt;
}
