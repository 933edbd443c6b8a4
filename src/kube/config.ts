// Loads the KubeConfig every process uses. We resolve the source ourselves instead of the
// library's loadFromDefault, which silently falls back to http://localhost:8080 when it finds
// nothing and names no file when one is broken.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface LoadKubeConfigOptions {
  /** Explicit kubeconfig file (--kubeconfig); wins over everything else. */
  path?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Service account directory for in-cluster config; tests pass a temp dir. */
  serviceAccountDir?: string;
  /** Home directory for ~/.kube/config; defaults to os.homedir(). */
  homeDir?: string;
}

export type KubeConfigSource = 'path' | 'KUBECONFIG' | 'home' | 'in-cluster';

/**
 * Order: options.path, then $KUBECONFIG (files joined by ':' are merged, first wins),
 * then ~/.kube/config, then the pod's service account. Throws one line naming what failed.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): {
  kubeConfig: KubeConfig;
  source: KubeConfigSource;
} {
  const env = options.env ?? process.env;
  if (options.path) {
    return { kubeConfig: withContext(loadFiles([options.path]), options.context), source: 'path' };
  }
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).filter((file) => file !== '');
  if (fromEnv.length > 0) {
    return { kubeConfig: withContext(loadFiles(fromEnv), options.context), source: 'KUBECONFIG' };
  }
  const homeConfig = path.join(options.homeDir ?? os.homedir(), '.kube', 'config');
  if (existsSync(homeConfig)) {
    return { kubeConfig: withContext(loadFiles([homeConfig]), options.context), source: 'home' };
  }
  if (env.KUBERNETES_SERVICE_HOST) {
    return {
      kubeConfig: loadInCluster(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR),
      source: 'in-cluster',
    };
  }
  throw new Error(
    `no Kubernetes config found: pass --kubeconfig, set KUBECONFIG, create ${homeConfig}, or run in a pod with a service account`,
  );
}

function loadFiles(files: string[]): KubeConfig {
  let merged: KubeConfig | undefined;
  for (const file of files) {
    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromFile(file);
    } catch (error) {
      throw new Error(`kubeconfig ${file}: ${errorMessage(error)}`, { cause: error });
    }
    if (merged) {
      try {
        merged.mergeConfig(kubeConfig, true);
      } catch (error) {
        throw new Error(`kubeconfig ${file}: cannot merge with ${files[0]}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
    } else {
      merged = kubeConfig;
    }
  }
  if (!merged) {
    throw new Error('kubeconfig: no file given');
  }
  const source = files.join(path.delimiter);
  if (!merged.getCurrentContext()) {
    throw new Error(`kubeconfig ${source}: current-context is not set; set it or pass --context`);
  }
  return checkCluster(merged, source);
}

function withContext(kubeConfig: KubeConfig, context: string | undefined): KubeConfig {
  if (context === undefined) {
    return kubeConfig;
  }
  if (!kubeConfig.getContextObject(context)) {
    const known = kubeConfig.getContexts().map((c) => c.name);
    throw new Error(
      `kubeconfig: context "${context}" not found; known contexts: ${known.join(', ') || 'none'}`,
    );
  }
  kubeConfig.setCurrentContext(context);
  return checkCluster(kubeConfig, `context ${context}`);
}

function checkCluster(kubeConfig: KubeConfig, source: string): KubeConfig {
  const context = kubeConfig.getCurrentContext();
  if (!kubeConfig.getContextObject(context)) {
    throw new Error(`kubeconfig ${source}: current-context "${context}" is not defined in contexts`);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new Error(
      `kubeconfig ${source}: context "${context}" names a cluster that is not defined in clusters`,
    );
  }
  return kubeConfig;
}

function loadInCluster(env: NodeJS.ProcessEnv, serviceAccountDir: string): KubeConfig {
  const tokenFile = path.join(serviceAccountDir, 'token');
  for (const file of [tokenFile, path.join(serviceAccountDir, 'ca.crt')]) {
    try {
      readFileSync(file);
    } catch (error) {
      throw new Error(
        `in-cluster config: KUBERNETES_SERVICE_HOST is set but ${file} is unreadable (${errorMessage(error)}); ` +
          'mount a service account token or pass --kubeconfig',
        { cause: error },
      );
    }
  }
  if (!env.KUBERNETES_SERVICE_PORT) {
    throw new Error('in-cluster config: KUBERNETES_SERVICE_HOST is set but KUBERNETES_SERVICE_PORT is not');
  }
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT}`;
  // Same shape as the library's loadFromCluster, which hard-codes the service account path.
  // The tokenFile auth provider re-reads the projected token as the kubelet rotates it.
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'inCluster', server, caFile: path.join(serviceAccountDir, 'ca.crt'), skipTLSVerify: false },
    { name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile } } },
  );
  return kubeConfig;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
