// The RBAC the chart grants, stated once: helm-template.test.ts reads it from the rendered Roles,
// helm-rbac.test.ts asks the API server what the installed ServiceAccounts may do. Tables map
// `group/resource[/subresource][#name]` ('core' for the core group) to sorted verbs.

export type Grants = Record<string, string[]>;

/** Keys in order and each key's verbs sorted, so two tables compare (and print) alike. */
export function sortedGrants(table: Grants): Grants {
  return Object.fromEntries(
    Object.entries(table)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, verbs]) => [key, [...verbs].sort()]),
  );
}

/** What the controller may do in a default (cluster-wide) install, and nothing else. */
export const CONTROLLER_GRANTS = sortedGrants({
  'argoproj.io/rollouts': ['list', 'watch', 'patch'],
  'argoproj.io/rollouts/status': ['update'],
  'argoproj.io/rollouts/finalizers': ['update'],
  // get: a run or Experiment just created is read back when the cache has not seen it yet.
  // update: their status, with the object (no status subresource, as Argo's CRDs); /status
  // update where an older Slipway chart installed CRDs with the subresource.
  'argoproj.io/analysisruns': ['create', 'get', 'list', 'watch', 'patch', 'update', 'delete'],
  'argoproj.io/analysisruns/status': ['update'],
  'argoproj.io/analysisruns/finalizers': ['update'],
  'argoproj.io/experiments': ['create', 'get', 'list', 'watch', 'patch', 'update', 'delete'],
  'argoproj.io/experiments/status': ['update'],
  'argoproj.io/experiments/finalizers': ['update'],
  'argoproj.io/analysistemplates': ['list', 'watch'],
  'argoproj.io/clusteranalysistemplates': ['list', 'watch'],
  'apps/replicasets': ['list', 'watch', 'create', 'patch', 'delete'],
  'apps/deployments': ['list', 'watch', 'patch'],
  // create, get, delete: an Experiment template's Service.
  'core/services': ['create', 'get', 'list', 'watch', 'patch', 'delete'],
  'core/pods': ['list', 'watch', 'patch'],
  'core/pods/eviction': ['create'],
  'batch/jobs': ['create', 'get', 'list', 'watch', 'delete'],
  'core/events': ['create', 'patch'],
});

/** CONTROLLER_GRANTS of a namespaced install: a Role cannot grant the cluster-scoped templates. */
export function namespacedControllerGrants(): Grants {
  const { 'argoproj.io/clusteranalysistemplates': _cluster, ...namespaced } = CONTROLLER_GRANTS;
  return namespaced;
}

export const GIT_SYNC_GRANTS = sortedGrants({
  'slipway.dev/imagewatches': ['get', 'list', 'watch', 'patch'],
  'slipway.dev/gittargets': ['list', 'watch'],
  'slipway.dev/imagewatches/status': ['patch'],
  'slipway.dev/gittargets/status': ['patch'],
  'slipway.dev/promotionpipelines': ['get', 'list', 'watch', 'patch'],
  'slipway.dev/promotionpipelines/status': ['patch'],
  'argoproj.io/rollouts': ['list', 'watch'],
  'argoproj.io/analysisruns': ['list', 'watch'],
  'core/events': ['create', 'patch'],
});

/** A leader's Lease: create any, then get and update its own by name. */
export const leaseGrants = (lease: string): Grants => ({
  'coordination.k8s.io/leases': ['create'],
  [`coordination.k8s.io/leases#${lease}`]: ['get', 'update'],
});

/**
 * A table with the keys `kubectl auth can-i --list` prints: `resource.group[/subresource][#name]`,
 * a core resource without a group.
 */
export function canIKeys(table: Grants): Grants {
  return Object.fromEntries(
    Object.entries(table).map(([key, verbs]) => {
      const [path = '', name] = key.split('#');
      const [group, resource, ...subresource] = path.split('/');
      const qualified = group === 'core' ? resource : `${resource}.${group}`;
      return [`${[qualified, ...subresource].join('/')}${name ? `#${name}` : ''}`, verbs];
    }),
  );
}
