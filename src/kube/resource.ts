// Identity of an API resource (group/version/plural) and the REST paths built from it.

export interface ApiResource {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Lower-case plural used in URLs, e.g. 'replicasets'. */
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ResourcePathOptions {
  namespace?: string;
  name?: string;
  subresource?: 'status' | 'scale';
}

export function apiVersionOf(resource: ApiResource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** `/api/v1/namespaces/ns/configmaps/name` and friends; no namespace means all namespaces. */
export function resourcePath(resource: ApiResource, options: ResourcePathOptions = {}): string {
  const { namespace, name, subresource } = options;
  if (!resource.namespaced && namespace) {
    throw new Error(
      `${resource.plural}.${resource.group || 'core'} is cluster-scoped: do not pass a namespace (got "${namespace}")`,
    );
  }
  if (subresource && !name) {
    throw new Error(`${resource.plural}: subresource "${subresource}" needs an object name`);
  }
  const root =
    resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const scope = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name ? `/${encodeURIComponent(name)}` : '';
  const sub = subresource ? `/${subresource}` : '';
  return `${root}${scope}/${resource.plural}${object}${sub}`;
}

/** Built-in resources the controllers and tests use; Argo and Slipway kinds live in src/api. */
export const coreResources = {
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  events: { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  services: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  secrets: { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  replicaSets: { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
} as const satisfies Record<string, ApiResource>;
