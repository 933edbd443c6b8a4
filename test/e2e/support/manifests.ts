// Manifest builders for e2e tests: the Rollout, Service and AnalysisTemplate shapes most files
// apply, so a test names only what it is about (the strategy, a replica count, an image).
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';

/** Argo Rollouts' example manifests, as shared/compat keeps them beside the repository. */
export const ARGO_EXAMPLES = join(PACKAGE_ROOT, '..', 'shared', 'compat', 'argo-rollouts-examples');

export interface RolloutOptions {
  /** canary or blueGreen, as in the Rollout spec. */
  strategy: Record<string, unknown>;
  replicas?: number;
  image?: string;
  /** The `app` label of the selector and the pods (default: the Rollout's name). */
  app?: string;
  /** More fields of the container (ports, ...). */
  container?: Record<string, unknown>;
  /** More fields of the pod spec (nodeSelector, ...). */
  podSpec?: Record<string, unknown>;
  /** More fields of the Rollout spec (progressDeadlineSeconds, revisionHistoryLimit, ...). */
  spec?: Record<string, unknown>;
  /** More metadata (labels, annotations). */
  metadata?: Record<string, unknown>;
}

/** A Rollout of one container `app` running `image` (default web:1), 2 replicas unless told. */
/** `namespace` undefined: for `kubectl apply -n`. */
export function rolloutManifest(namespace: string | undefined, name: string, options: RolloutOptions) {
  const {
    strategy,
    replicas = 2,
    image = 'web:1',
    app = name,
    container = {},
    podSpec = {},
    spec = {},
    metadata = {},
  } = options;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace, ...metadata },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: { containers: [{ name: 'app', image, ...container }], ...podSpec },
      },
      strategy,
      ...spec,
    },
  };
}

/** rolloutManifest with the strategy `kind` given its spec (the `canary:` or `blueGreen:` block). */
const withStrategy =
  (kind: 'canary' | 'blueGreen') =>
  (
    namespace: string | undefined,
    name: string,
    strategy: Record<string, unknown>,
    options: Omit<RolloutOptions, 'strategy'> = {},
  ) =>
    rolloutManifest(namespace, name, { ...options, strategy: { [kind]: strategy } });

export const canaryRollout = withStrategy('canary');
export const blueGreenRollout = withStrategy('blueGreen');

/** A Service selecting `app=<app>` on port 80. */
export function serviceManifest(
  namespace: string | undefined,
  name: string,
  app: string,
  targetPort?: number,
) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app }, ports: [{ port: 80, ...(targetPort ? { targetPort } : {}) }] },
  };
}

/**
 * A Job metric provider whose pod exits with `exitCode` on the kwok nodes (the
 * slipway.dev/kwok-exit-code annotation; 0 when undefined).
 */
export function jobProvider(exitCode?: number, container = 'smoke', command = ['true']) {
  return {
    job: {
      spec: {
        backoffLimit: 0,
        template: {
          metadata:
            exitCode === undefined ? {} : { annotations: { 'slipway.dev/kwok-exit-code': String(exitCode) } },
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: container, image: 'busybox', command }],
          },
        },
      },
    },
  };
}

/** An AnalysisTemplate with the given metrics. */
export function analysisTemplateManifest(
  namespace: string,
  name: string,
  metrics: Record<string, unknown>[],
) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name, namespace },
    spec: { metrics },
  };
}

/** An Experiment with one one-replica template, `baseline` (pods `app=<name>-b`), and `spec` on top. */
export function experimentManifest(
  namespace: string | undefined,
  name: string,
  spec: Record<string, unknown>,
) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Experiment',
    metadata: { name, ...(namespace && { namespace }) },
    spec: {
      templates: [
        {
          name: 'baseline',
          replicas: 1,
          selector: { matchLabels: { app: `${name}-b` } },
          template: {
            metadata: { labels: { app: `${name}-b` } },
            spec: { containers: [{ name: 'app', image: 'web:1' }] },
          },
        },
      ],
      ...spec,
    },
  };
}

/**
 * A canary that splits by Service, with its Services `<name>-canary` and `<name>-stable`
 * (selecting `app=<name>`, port 80), to apply together.
 */
export function serviceCanary(
  namespace: string | undefined,
  name: string,
  canary: Record<string, unknown>,
  options: Omit<RolloutOptions, 'strategy'> = {},
): object[] {
  return [
    serviceManifest(namespace, `${name}-canary`, name, 80),
    serviceManifest(namespace, `${name}-stable`, name, 80),
    canaryRollout(
      namespace,
      name,
      { canaryService: `${name}-canary`, stableService: `${name}-stable`, ...canary },
      options,
    ),
  ];
}
