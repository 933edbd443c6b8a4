// Given the local cluster and a namespace that enforces the `restricted` Pod Security
// Standard, when Helm 3 and Helm 4 install the chart with HA options and then upgrade it,
// then the release's objects are in the API as the values say, the pods are admitted and
// Ready (kwok runs them; the image is never pulled), and uninstalling leaves nothing
// cluster-scoped behind but the CRDs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { CHART_DIR, type Helm, helmBinaries, mustHelm, runHelm, valuesFile } from './support/helm.js';
import { getJson, getJsonAsync, kubectl, tryKubectl } from './support/kubectl.js';
import { eventually } from './support/wait.js';

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

interface DeploymentObject {
  metadata: Meta;
  spec: {
    replicas: number;
    template: {
      spec: {
        serviceAccountName: string;
        containers: { args: string[]; securityContext: Record<string, unknown> }[];
      };
    };
  };
  status?: { readyReplicas?: number; updatedReplicas?: number };
}

interface PodObject {
  metadata: Meta;
  spec: { securityContext?: Record<string, unknown> };
  status?: { conditions?: { type: string; status: string }[] };
}

interface List<T> {
  items: T[];
}

interface HelmRelease {
  name: string;
  namespace: string;
  revision: string | number;
  status: string;
}

const listOf = <T>(kind: string, namespace: string, release: string): T[] =>
  getJson<List<T>>([kind, '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`]).items;

const names = (items: { metadata: Meta }[]) => items.map((i) => i.metadata.name).sort();

describe.each([3, 4] as const)('helm install and upgrade with Helm %i', (major) => {
  const id = Date.now().toString(36);
  const namespace = `slipway-install-h${major}-${id}`;
  const release = `install-h${major}`;
  const prefix = `${release}-slipway`;
  let helm: Helm;
  const kubeconfig = () => inject('kubeconfig');
  const helmIn = (args: string[]) =>
    mustHelm(helm, [...args, '--namespace', namespace], { kubeconfig: kubeconfig() });

  beforeAll(() => {
    const found = helmBinaries().find((h) => h.major === major);
    if (!found) throw new Error(`no Helm ${major} in test/cluster/versions.env`);
    helm = found;
    kubectl(['create', 'namespace', namespace]);
    kubectl([
      'label',
      'namespace',
      namespace,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/enforce-version=latest',
    ]);
  }, 20 * 60_000);

  afterAll(() => {
    if (helm) runHelm(helm, ['uninstall', release, '--namespace', namespace], { kubeconfig: kubeconfig() });
  });

  it('installs with 2 controllers, PDBs, NetworkPolicies and the Argo CD fragment, and every pod is admitted and Ready', () => {
    const values = valuesFile({
      controller: {
        replicas: 2,
        podDisruptionBudget: { enabled: true },
        secretNamespaces: [namespace],
        trafficRouters: { istio: true },
      },
      gitSync: { podDisruptionBudget: { enabled: true }, secretNamespaces: [namespace] },
      networkPolicy: { enabled: true },
      argocd: { customizations: { enabled: true } },
    });
    // The e2e setup installed the CRDs with `kubectl apply --server-side`. Helm 3 skips CRDs
    // that exist; Helm 4 server-side-applies crds/ and would conflict with kubectl's field
    // ownership, so, as the chart README says, it installs with --skip-crds.
    const crds = major === 4 ? ['--skip-crds'] : [];
    const notes = helmIn(['install', release, CHART_DIR, '-f', values, ...crds, '--wait', '--timeout', '3m']);
    expect(notes).toContain('kubectl get rollouts');
    expect(notes).toContain('configs.cm');

    const deployments = listOf<DeploymentObject>('deployments', namespace, release);
    expect(names(deployments)).toEqual([`${prefix}-controller`, `${prefix}-git-sync`]);
    for (const d of deployments) {
      expect(d.status?.readyReplicas, d.metadata.name).toBe(d.spec.replicas);
    }
    const controllerPods = getJson<List<PodObject>>([
      'pods',
      '-n',
      namespace,
      '-l',
      `app.kubernetes.io/instance=${release},app.kubernetes.io/component=controller`,
    ]).items;
    expect(controllerPods).toHaveLength(2);
    for (const pod of controllerPods) {
      expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
      expect(pod.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'Ready', status: 'True' }),
      );
    }

    expect(names(listOf('serviceaccounts', namespace, release))).toEqual([
      `${prefix}-controller`,
      `${prefix}-git-sync`,
    ]);
    expect(names(listOf('services', namespace, release))).toEqual([
      `${prefix}-controller-metrics`,
      `${prefix}-git-sync-metrics`,
    ]);
    expect(names(listOf('poddisruptionbudgets', namespace, release))).toEqual([
      `${prefix}-controller`,
      `${prefix}-git-sync`,
    ]);
    expect(names(listOf('networkpolicies', namespace, release))).toEqual([
      `${prefix}-controller`,
      `${prefix}-git-sync`,
    ]);
    expect(names(listOf('roles', namespace, release))).toEqual([
      `${prefix}-controller-leader-election`,
      `${prefix}-controller-notifications`,
      `${prefix}-controller-secrets`,
      `${prefix}-git-sync-leader-election`,
      `${prefix}-git-sync-notifications`,
      `${prefix}-git-sync-secrets`,
    ]);
    const clusterRoles = getJson<List<{ metadata: Meta; rules: { apiGroups: string[] }[] }>>([
      'clusterroles',
      '-l',
      `app.kubernetes.io/instance=${release}`,
    ]).items;
    expect(names(clusterRoles)).toEqual([
      `${prefix}-aggregate-to-edit`,
      `${prefix}-aggregate-to-view`,
      `${prefix}-controller`,
      `${prefix}-git-sync`,
    ]);
    const controllerRole = clusterRoles.find((r) => r.metadata.name === `${prefix}-controller`);
    expect(controllerRole?.rules.flatMap((r) => r.apiGroups)).toContain('networking.istio.io');

    const fragment = getJson<{ data: Record<string, string> }>([
      'configmap',
      'argocd-cm-slipway',
      '-n',
      namespace,
    ]);
    const generated = parse(readFileSync(join(CHART_DIR, 'files', 'argocd-cm.generated.yaml'), 'utf8')) as {
      data: Record<string, string>;
    };
    expect(fragment.data).toEqual(generated.data);

    const [listed] = JSON.parse(helmIn(['list', '--output', 'json'])) as HelmRelease[];
    expect(listed).toMatchObject({ name: release, status: 'deployed' });
    expect(String(listed?.revision)).toBe('1');
  });

  it('upgrades: git-sync off removes its objects, the controller gets the new flags', async () => {
    const values = valuesFile({ controller: { logLevel: 'debug' }, gitSync: { enabled: false } });
    helmIn(['upgrade', release, CHART_DIR, '-f', values, '--wait', '--timeout', '3m']);

    const deployments = listOf<DeploymentObject>('deployments', namespace, release);
    expect(names(deployments)).toEqual([`${prefix}-controller`]);
    const controller = deployments[0];
    expect(controller?.spec.replicas).toBe(1);
    expect(controller?.spec.template.spec.containers[0]?.args).toEqual(
      expect.arrayContaining(['--loglevel', 'debug']),
    );
    await eventually('the controller rolled out with one Ready replica', async () => {
      const d = await getJsonAsync<DeploymentObject>(['deployment', `${prefix}-controller`, '-n', namespace]);
      return d.status?.updatedReplicas === 1 && d.status.readyReplicas === 1 ? true : undefined;
    });
    expect(
      listOf('serviceaccounts', namespace, release).map((s) => (s as { metadata: Meta }).metadata.name),
    ).toEqual([`${prefix}-controller`]);
    expect(tryKubectl(['get', 'clusterrole', `${prefix}-git-sync`]).ok).toBe(false);
    expect(listOf('poddisruptionbudgets', namespace, release)).toEqual([]);
    expect(tryKubectl(['get', 'configmap', 'argocd-cm-slipway', '-n', namespace]).ok).toBe(false);

    const [listed] = JSON.parse(helmIn(['list', '--output', 'json'])) as HelmRelease[];
    expect(String(listed?.revision)).toBe('2');
  });

  it('uninstalls without leaving cluster-scoped objects, and keeps the CRDs', () => {
    helmIn(['uninstall', release, '--wait']);
    const leftovers = getJson<List<{ metadata: Meta }>>([
      'clusterroles,clusterrolebindings',
      '-l',
      `app.kubernetes.io/instance=${release}`,
    ]).items;
    expect(leftovers).toEqual([]);
    expect(tryKubectl(['get', 'crd', 'rollouts.argoproj.io']).ok).toBe(true);
  });
});
