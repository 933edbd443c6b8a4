// Where the local control plane's binaries live, and building them on first use.
// test/cluster/versions.env pins the versions; test/cluster/build-binaries.sh builds them
// from Go modules into a cache outside the repo, keyed by version.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_ASSETS_DIR } from '../package-paths.js';

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
  helm: string;
}

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
}

export function cacheDir(): string {
  return process.env.SLIPWAY_CACHE_DIR ?? join(homedir(), '.cache', 'slipway');
}

export function pinnedVersions(): PinnedVersions {
  const text = readFileSync(join(CLUSTER_ASSETS_DIR, 'versions.env'), 'utf8');
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(\S+)$/.exec(line.trim());
    if (match?.[1] && match[2]) values.set(match[1], match[2]);
  }
  const get = (key: string): string => {
    const value = values.get(key);
    if (!value) throw new Error(`test/cluster/versions.env: ${key} is missing`);
    return value;
  };
  return {
    kubernetes: get('K8S_VERSION'),
    etcd: get('ETCD_VERSION'),
    kwok: get('KWOK_VERSION'),
    helm: get('HELM_VERSION'),
  };
}

export function binaryPaths(versions = pinnedVersions()): ControlPlaneBinaries {
  const bin = join(cacheDir(), 'bin');
  const k8s = join(bin, `kubernetes-v${versions.kubernetes}`);
  return {
    etcd: join(bin, `etcd-v${versions.etcd}`, 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubectl: join(k8s, 'kubectl'),
    kwok: join(bin, `kwok-v${versions.kwok}`, 'kwok'),
  };
}

/**
 * Builds whatever is missing. The build script prints its progress (a cold build of the
 * Kubernetes binaries takes minutes) and is a no-op when every binary is cached.
 */
export function ensureBinaries(components: string[] = ['etcd', 'kwok', 'kubernetes']): void {
  const script = join(CLUSTER_ASSETS_DIR, 'build-binaries.sh');
  const result = spawnSync('bash', [script, ...components], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(
      `building the local control plane failed (exit ${result.status ?? result.signal}); see the output above, then re-run ${script}`,
    );
  }
  const paths = binaryPaths();
  for (const [name, path] of Object.entries(paths)) {
    if (!existsSync(path))
      throw new Error(`local control plane: ${name} is missing at ${path} after the build`);
  }
}
