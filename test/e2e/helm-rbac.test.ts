import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type SlipwayProcess, spawnSlipway } from './support/controller.js';
import { findManifest, type Helm, helmBinaries, type Manifest, renderChart } from './support/helm.js';
import { apply, getJson, getJsonAsync, kubectl, tryKubectl, tryKubectlAsync } from './support/kubectl.js';
import { serviceCanary } from './support/manifests.js';
import {
  CONTROLLER_GRANTS,
  canIKeys,
  GIT_SYNC_GRANTS as GIT_SYNC_GRANTS_BY_GROUP,
  leaseGrants as leaseGrantsByGroup,
  namespacedControllerGrants,
} from './support/rbac.js';
import { eventReasons, operate, readyPodsByHash, setImage, waitForPhase } from './support/rollouts.js';
import { serviceAccountKubeconfig } from './support/service-account.js';
import { eventually } from './support/wait.js';

const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

interface Deployment extends Manifest {
  spec: { template: { spec: { containers: { args: string[] }[] } } };
}

/** `kubectl auth can-i --list` as the ServiceAccount: resource → sorted verbs, without the defaults every account has. */
function canIList(namespace: string, serviceAccount: string, where: string): Record<string, string[]> {
  const output = kubectl([
    'auth',
    'can-i',
    '--list',
    `--as=system:serviceaccount:${namespace}:${serviceAccount}`,
    '-n',
    where,
  ]);
  const table: Record<string, string[]> = {};
  for (const line of output.split('\n').slice(1)) {
    const match = /^(\S+)\s+(\[[^\]]*\])\s+(\[[^\]]*\])\s+\[([^\]]*)\]\s*$/.exec(line.trim());
    if (!match?.[1] || match[2] !== '[]') continue; // non-resource URLs (discovery, /version) are everyone's
    const [, resource, , names, verbs] = match;
    if (/^self(subjectaccess|subjectrules|subject)reviews\./.test(resource)) continue; // every account's
    const key = names && names !== '[]' ? `${resource}#${names.slice(1, -1)}` : resource;
    table[key] = (verbs ?? '').split(' ').filter(Boolean).sort();
  }
  return table;
}

/** The controller's grants as `kubectl auth can-i --list` names them. */
const controllerGrants = (clusterWide: boolean) =>
  canIKeys(clusterWide ? CONTROLLER_GRANTS : namespacedControllerGrants());

const GIT_SYNC_GRANTS = canIKeys(GIT_SYNC_GRANTS_BY_GROUP);

/**
 * Notifications: list and watch of the notification ConfigMap and Secret, by name, in the
 * release namespace (informers with a metadata.name fieldSelector).
 */
const NOTIFICATION_GRANTS = {
  'configmaps#argo-rollouts-notification-configmap': ['list', 'watch'],
  'secrets#argo-rollouts-notification-secret': ['list', 'watch'],
};

const leaseGrants = (lease: string) => canIKeys(leaseGrantsByGroup(lease));

/** `kubectl auth can-i` as the ServiceAccount: 'yes' or 'no' (its first line; warnings follow). */
const canI = (namespace: string, serviceAccount: string, args: string[]) =>
  tryKubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${namespace}:${serviceAccount}`])
    .output.trim()
    .split('\n')[0];

type RunningProcess = SlipwayProcess;

/** Runs `slipway <args>` (a Deployment's args) as that pod would, on loopback ports. */
async function startProcess(args: string[], kubeconfig: string, namespace: string): Promise<RunningProcess> {
  // Only what a pod gets from elsewhere: the token's kubeconfig and loopback ports.
  return spawnSlipway([...args, '--loglevel', 'debug'], { kubeconfig, env: { POD_NAMESPACE: namespace } });
}

async function waitForLease(namespace: string, name: string): Promise<void> {
  await eventually(`a holder of the Lease ${namespace}/${name}`, async () => {
    const lease = await tryKubectlAsync(['get', 'lease', name, '-n', namespace, '-o', 'json']);
    return lease.ok &&
      (JSON.parse(lease.output) as { spec?: { holderIdentity?: string } }).spec?.holderIdentity
      ? true
      : undefined;
  });
}

async function waitForReady(proc: RunningProcess): Promise<void> {
  await eventually('/readyz', async () =>
    (await fetch(`http://127.0.0.1:${proc.healthPort}/readyz`).catch(() => undefined))?.status === 200
      ? true
      : undefined,
  );
}

/** The API requests a process made, from its controller_clientset_k8s_request_total series. */
async function requestsMade(proc: RunningProcess): Promise<Record<string, string>[]> {
  const metrics = await (await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`)).text();
  return [...metrics.matchAll(/^controller_clientset_k8s_request_total\{([^}]*)\}/gm)].map((m) =>
    Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]])),
  );
}

/** Waits until the process has made each of these `verb resource` requests; returns all it made. */
async function expectRequests(proc: RunningProcess, expected: string[]): Promise<Record<string, string>[]> {
  let missing: string[] = expected;
  try {
    return await eventually('the expected API requests', async () => {
      const requests = await requestsMade(proc);
      const used = new Set(requests.map((r) => `${r.verb?.toLowerCase()} ${r.kind}`));
      missing = expected.filter((request) => !used.has(request));
      return missing.length === 0 ? requests : undefined;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; never made: ${missing.join(', ')}`);
  }
}

/**
 * Nothing this test's workload needed was refused. A cluster-wide process also sees objects
 * other test files left in other namespaces (a Rollout using a traffic router the chart did
 * not enable is refused, as it should be), so only cluster-scoped requests and those in
 * `namespaces` count.
 */
function expectNothingRefused(
  proc: RunningProcess,
  requests: Record<string, string>[],
  namespaces: readonly string[],
): void {
  const ours = (namespace: string | undefined) => !namespace || namespaces.includes(namespace);
  expect(requests.filter((r) => r.status_code === '403' && ours(r.namespace))).toEqual([]);
  const others = getJson<{ items: { metadata: { name: string } }[] }>(['namespaces'])
    .items.map((n) => n.metadata.name)
    .filter((n) => !namespaces.includes(n));
  // A request path names its namespace; one of another file may be gone by now (a namespace
  // deleted while this process still had it cached), so a path counts only when it is ours.
  const pathNamespace = (line: string) => /\/namespaces\/([a-z0-9-]+)\//.exec(line)?.[1];
  const refusedLines = proc.lines.filter((line) => {
    if (!/forbidden/i.test(line)) return false;
    const namespace = pathNamespace(line);
    if (namespace !== undefined) return namespaces.includes(namespace);
    return !others.some((n) => line.includes(`"${n}/`));
  });
  expect(refusedLines).toEqual([]);
}

const modes = [
  { mode: 'cluster-wide', namespaced: false },
  { mode: 'namespaced', namespaced: true },
] as const;

describe.each(modes)('the chart RBAC, $mode', ({ mode, namespaced }) => {
  const id = `${mode === 'namespaced' ? 'ns' : 'cw'}-${Date.now().toString(36)}`;
  const release = `rbac-${id}`;
  const releaseNs = `slipway-rbac-${id}`;
  // Cluster-wide, the Rollout lives elsewhere; namespaced, it must live in the release namespace.
  const appNs = namespaced ? releaseNs : `rbac-app-${id}`;
  const controllerSa = `${release}-slipway-controller`;
  const gitSyncSa = `${release}-slipway-git-sync`;

  /**
   * The ServiceAccount's grants in each namespace: its own rules (`own`), its Lease and the
   * notification objects in the release namespace, Secrets `get` where applications are; when
   * namespaced, nothing at all outside the release namespace.
   */
  function expectGrants(serviceAccount: string, own: Record<string, string[]>, lease: string): void {
    expect(canIList(releaseNs, serviceAccount, releaseNs)).toEqual({
      ...own,
      ...leaseGrants(lease),
      ...NOTIFICATION_GRANTS,
      ...(appNs === releaseNs ? { secrets: ['get'] } : {}),
    });
    if (namespaced) {
      expect(canIList(releaseNs, serviceAccount, 'default')).toEqual({});
    } else {
      expect(canIList(releaseNs, serviceAccount, appNs)).toEqual({ ...own, secrets: ['get'] });
      expect(canIList(releaseNs, serviceAccount, 'default')).toEqual(own);
    }
  }
  const rollout = 'rbac-demo';
  let helm: Helm;
  let manifests: Manifest[];
  /** What the tests started, killed after the last. */
  const started: RunningProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'slipway-rbac-'));
  const argsOf = (deployment: string) => {
    const args = (findManifest(manifests, 'Deployment', deployment) as Deployment).spec.template.spec
      .containers[0]?.args;
    if (!args) throw new Error(`the Deployment ${deployment} has no args`);
    return args;
  };

  /**
   * The chart's Deployment for `serviceAccount`, run as that ServiceAccount with the Deployment's
   * arguments, once it holds `lease` and is ready.
   */
  async function startAs(serviceAccount: string, lease: string): Promise<RunningProcess> {
    const kubeconfig = serviceAccountKubeconfig(releaseNs, serviceAccount, dir);
    const running = await startProcess(argsOf(serviceAccount), kubeconfig, releaseNs);
    started.push(running);
    await waitForLease(releaseNs, lease);
    await waitForReady(running);
    return running;
  }

  beforeAll(() => {
    const found = helmBinaries().find((h) => h.major === 3);
    if (!found) throw new Error('no Helm 3 in test/cluster/versions.env');
    helm = found;
    manifests = renderChart(helm, {
      release,
      namespace: releaseNs,
      values: {
        namespaced,
        controller: { secretNamespaces: [appNs] },
        gitSync: { secretNamespaces: [appNs] },
      },
    });
    kubectl(['create', 'namespace', releaseNs]);
    if (appNs !== releaseNs) kubectl(['create', 'namespace', appNs]);
    const rbac = manifests.filter((m) => RBAC_KINDS.has(m.kind));
    kubectl(['apply', '-f', '-'], rbac.map((m) => stringify(m)).join('---\n'));
  }, 20 * 60_000);

  afterAll(() => {
    for (const running of started) running.child.kill('SIGKILL');
    tryKubectl(['delete', 'clusterrole,clusterrolebinding', '-l', `app.kubernetes.io/instance=${release}`]);
    rmSync(dir, { recursive: true, force: true }); // kubeconfigs with ServiceAccount tokens
  });

  it('runs the real controller on a ServiceAccount token, and it drives a canary through a step to Healthy', async () => {
    const running = await startAs(controllerSa, 'slipway-controller-lock');

    apply(
      serviceCanary(
        appNs,
        rollout,
        { steps: [{ setWeight: 50 }, { pause: {} }] },
        { image: 'nginx:1.26', spec: { revisionHistoryLimit: 0 } },
      ),
    );
    const first = await waitForPhase(appNs, rollout, 'Healthy');
    const stable = first.status?.stableRS ?? '';

    setImage(appNs, rollout, 'nginx:1.27');
    const paused = await waitForPhase(appNs, rollout, 'Paused', (s) => s.currentStepIndex === 1);
    const canary = paused.status?.currentPodHash ?? '';
    await eventually('1 canary and 1 stable pod', async () => {
      const pods = await readyPodsByHash(appNs, `app=${rollout}`);
      return pods[canary] === 1 && pods[stable] === 1 ? true : undefined;
    });

    operate(appNs, rollout, 'promote');
    const done = await waitForPhase(appNs, rollout, 'Healthy', (s) => s.stableRS === canary);
    expect(done.status?.currentStepIndex).toBe(2);
    const selector = (svc: string) =>
      getJson<{ spec: { selector: Record<string, string> } }>(['service', svc, '-n', appNs]).spec.selector[
        'rollouts-pod-template-hash'
      ];
    await eventually('both Services on the new revision', () =>
      selector(`${rollout}-stable`) === canary && selector(`${rollout}-canary`) === canary ? true : undefined,
    );
    await eventually('the old ReplicaSet deleted (revisionHistoryLimit 0)', async () =>
      (await tryKubectlAsync(['get', 'replicaset', `${rollout}-${stable}`, '-n', appNs])).ok
        ? undefined
        : true,
    );
    expect(await eventReasons(appNs, rollout)).toEqual(
      expect.arrayContaining(['RolloutUpdated', 'RolloutCompleted']),
    );

    // Nothing was refused: no 403 in the request metrics, no "forbidden" in the log.
    // Each grant today's code needs was used (the Lease renewal comes within seconds), and
    // nothing was refused: no 403 in the request metrics, no "forbidden" in the log.
    const requests = await expectRequests(running, [
      'list rollouts',
      'watch rollouts',
      'patch rollouts',
      'update rollouts', // the status subresource
      'create replicasets',
      'patch replicasets',
      'delete replicasets',
      'patch services',
      'create events',
      'create leases',
      'update leases',
      // The notification configuration's informers (by name, see NOTIFICATION_GRANTS).
      'list configmaps',
      'watch configmaps',
      'list secrets',
      'watch secrets',
    ]);
    expectNothingRefused(running, requests, [releaseNs, appNs]);
  });

  it('runs the real git-sync on a ServiceAccount token: it leads, reads a pull Secret and records status', async () => {
    const running = await startAs(gitSyncSa, 'slipway-git-sync-lock');

    // A registry that refuses connections: the check fails after the pull Secret was read,
    // and git-sync writes that into the ImageWatch's status and an Event.
    const dockerConfig = { auths: { '127.0.0.1:9': { auth: Buffer.from('bot:token').toString('base64') } } };
    apply([
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'registry-pull', namespace: appNs },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': JSON.stringify(dockerConfig) },
      },
      {
        apiVersion: 'slipway.dev/v1alpha1',
        kind: 'GitTarget',
        metadata: { name: 'deploy-repo', namespace: appNs },
        spec: { url: 'file:///nonexistent/deploy.git', branch: 'main' },
      },
      {
        apiVersion: 'slipway.dev/v1alpha1',
        kind: 'ImageWatch',
        metadata: { name: 'web', namespace: appNs },
        spec: {
          image: '127.0.0.1:9/acme/web',
          pullSecret: { name: 'registry-pull' },
          interval: '1h',
          policy: { strategy: 'semver', semver: { constraint: '^1' } },
          targets: [{ gitTarget: 'deploy-repo', path: 'values.yaml', yaml: { path: 'image.tag' } }],
        },
      },
    ]);
    interface Condition {
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }
    const ready = await eventually('the ImageWatch status written by git-sync', async () => {
      const watch = await getJsonAsync<{ status?: { conditions?: Condition[] } }>([
        'imagewatch',
        'web',
        '-n',
        appNs,
      ]);
      const condition = watch.status?.conditions?.find((c) => c.type === 'Ready');
      return condition?.reason && condition.reason !== 'Checking' ? condition : undefined;
    });
    expect(ready.status).toBe('False');
    expect(ready.message ?? '').not.toMatch(/forbidden|Secret .* not found/i);

    const requests = await expectRequests(running, [
      'list imagewatches',
      'watch imagewatches',
      'list gittargets',
      'get secrets',
      'patch imagewatches',
      'create leases',
      'list configmaps',
      'watch configmaps',
    ]);
    expectNothingRefused(running, requests, [releaseNs, appNs]);
  });

  it('grants the controller exactly its rules, the Lease in the release namespace and Secrets where listed', () => {
    expectGrants(controllerSa, controllerGrants(!namespaced), 'slipway-controller-lock');
  });

  it('never lets the controller list Secrets, touch other Leases, or use a wildcard', () => {
    const cases: [string[], string][] = [
      [['get', 'secrets', '-n', 'default'], 'no'],
      [['list', 'secrets', '-n', appNs], 'no'],
      [['get', 'secrets', '-n', appNs], 'yes'],
      [['list', 'secrets', '--all-namespaces'], 'no'],
      // Only the notification Secret, by name, in the release namespace.
      [['list', 'secrets', '-n', releaseNs], 'no'],
      [['watch', 'secrets', '-n', releaseNs], 'no'],
      [['list', 'secrets/argo-rollouts-notification-secret', '-n', releaseNs], 'yes'],
      [['get', 'secrets/argo-rollouts-notification-secret', '-n', releaseNs], namespaced ? 'yes' : 'no'],
      [['get', 'leases/kube-controller-manager', '-n', 'kube-system'], 'no'],
      [['update', 'leases/someone-else', '-n', releaseNs], 'no'],
      [['update', 'leases/slipway-controller-lock', '-n', releaseNs], 'yes'],
      [['create', 'pods', '-n', appNs], 'no'],
      [['delete', 'pods', '-n', appNs], 'no'],
      [['update', 'rollouts.argoproj.io', '-n', appNs], 'no'],
      [['*', '*', '-n', appNs], 'no'],
      [['create', 'clusterrolebindings'], 'no'],
    ];
    for (const [args, answer] of cases) {
      expect(canI(releaseNs, controllerSa, args), `can-i ${args.join(' ')}`).toBe(answer);
    }
  });

  it('grants git-sync its own kinds, Events, its Lease and Secrets only where listed', () => {
    expectGrants(gitSyncSa, GIT_SYNC_GRANTS, 'slipway-git-sync-lock');
    if (!namespaced) expect(canI(releaseNs, gitSyncSa, ['get', 'secrets', '-n', releaseNs])).toBe('no');
    expect(canI(releaseNs, gitSyncSa, ['list', 'secrets', '-n', appNs])).toBe('no');
    expect(canI(releaseNs, gitSyncSa, ['patch', 'rollouts.argoproj.io', '-n', appNs])).toBe('no');
    expect(canI(releaseNs, gitSyncSa, ['update', 'leases/slipway-controller-lock', '-n', releaseNs])).toBe(
      'no',
    );
  });
});
