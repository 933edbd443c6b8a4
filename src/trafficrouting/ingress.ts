// The networking.k8s.io/v1 Ingress as the NGINX and ALB routers read it: its resource and
// the walk over rules and paths to the backend Services.
import type { KubeObject } from '../kube/object.js';
import type { ApiResource } from '../kube/resource.js';
import type { RoutedRollout } from './router.js';

export const INGRESSES: ApiResource = {
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'ingresses',
  kind: 'Ingress',
  namespaced: true,
};

export interface IngressPath {
  path?: string;
  pathType?: string;
  backend?: {
    service?: { name?: string; port?: { name?: string; number?: number } };
    resource?: Record<string, unknown>;
  };
}

export interface IngressRule {
  host?: string;
  http?: { paths?: IngressPath[] };
}

export interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string;
    defaultBackend?: unknown;
    tls?: unknown[];
    rules?: IngressRule[];
  };
}

export function hasRuleWithService(ingress: Ingress, service: string): boolean {
  return (ingress.spec?.rules ?? []).some((rule) =>
    (rule.http?.paths ?? []).some((path) => path.backend?.service?.name === service),
  );
}

/** `<rollout>-<ingress>-canary`, trimmed to the 253 characters a name may have. */
export function canaryIngressName(rollout: RoutedRollout, stableIngress: string): string {
  const suffix = '-canary';
  return `${`${rollout.metadata.name}-${stableIngress}`.slice(0, 253 - suffix.length)}${suffix}`;
}
