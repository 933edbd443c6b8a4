// A kubeconfig for the e2e cluster that authenticates as a ServiceAccount, so RBAC applies as
// it does to an installed controller (the admin kubeconfig would be allowed everything).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { inject } from 'vitest';
import { parse, stringify } from 'yaml';
import { kubectl } from './kubectl.js';

interface KubeConfigFile {
  'current-context'?: string;
  contexts: { name: string; context: { cluster: string } }[];
  clusters: { name: string; cluster: Record<string, string> }[];
}

/** Writes `<dir>/<serviceAccount>.kubeconfig` with the admin's cluster and an hour's token of the account only. */
export function serviceAccountKubeconfig(namespace: string, serviceAccount: string, dir: string): string {
  const adminPath = inject('kubeconfig');
  const admin = parse(readFileSync(adminPath, 'utf8')) as KubeConfigFile;
  const contextName = admin['current-context'] ?? admin.contexts[0]?.name;
  const clusterName = admin.contexts.find((c) => c.name === contextName)?.context.cluster;
  const cluster = { ...admin.clusters.find((c) => c.name === clusterName)?.cluster };
  const ca = cluster['certificate-authority'];
  if (ca && !isAbsolute(ca)) cluster['certificate-authority'] = resolve(dirname(adminPath), ca);
  const token = kubectl(['create', 'token', serviceAccount, '-n', namespace, '--duration', '1h']).trim();
  const path = join(dir, `${serviceAccount}.kubeconfig`);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster }],
      users: [{ name: serviceAccount, user: { token } }],
      contexts: [{ name: serviceAccount, context: { cluster: 'e2e', user: serviceAccount, namespace } }],
      'current-context': serviceAccount,
    }),
    { mode: 0o600 },
  );
  return path;
}
