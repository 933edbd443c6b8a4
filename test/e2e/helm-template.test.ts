// Given the chart, when Helm 3 and Helm 4 lint and render it with several value sets, then
// the objects are what a careful platform team expects: hardened pods, the flags the
// processes accept, least-privilege RBAC, the namespaced mode, the optional objects, and a
// typo'd value rejected by the schema. No cluster is needed: this is `helm template`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { controllerCommand } from '../../src/cmd/controller.js';
import { gitSyncCommand } from '../../src/cmd/git-sync.js';
import { dashboardCommand } from '../../src/dashboard/command.js';
import {
  CHART_DIR,
  findManifest,
  type Helm,
  helmBinaries,
  type Manifest,
  mustHelm,
  renderChart,
  renderChartError,
  runHelm,
  valuesFile,
} from './support/helm.js';
import {
  CONTROLLER_GRANTS,
  GIT_SYNC_GRANTS,
  leaseGrants,
  namespacedControllerGrants,
  sortedGrants,
} from './support/rbac.js';

interface Container {
  name: string;
  image: string;
  args: string[];
  env?: { name: string; value?: string }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface Deployment extends Manifest {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        serviceAccountName: string;
        automountServiceAccountToken?: boolean;
        securityContext: Record<string, unknown>;
        containers: Container[];
        volumes?: { name: string; emptyDir?: object; secret?: object }[];
      };
    };
  };
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface RoleManifest extends Manifest {
  rules: Rule[];
}

interface Binding extends Manifest {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace: string }[];
}

interface Service extends Manifest {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
}

const NS = 'slipway-system';
const RELEASE = 'slipway';
const CONTROLLER = 'slipway-controller';
const GIT_SYNC = 'slipway-git-sync';

/** RBAC rules as `group/resource[#name]` → sorted verbs, so a test states them as a table. */
function grants(rules: Rule[]): Record<string, string[]> {
  const table: Record<string, Set<string>> = {};
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const names = rule.resourceNames?.length ? rule.resourceNames : [''];
        for (const name of names) {
          const key = `${group || 'core'}/${resource}${name ? `#${name}` : ''}`;
          table[key] ??= new Set();
          for (const verb of rule.verbs) table[key].add(verb);
        }
      }
    }
  }
  return sortedGrants(Object.fromEntries(Object.entries(table).map(([key, verbs]) => [key, [...verbs]])));
}

const deployments = (manifests: Manifest[]) =>
  manifests.filter((m) => m.kind === 'Deployment') as Deployment[];
const containerOf = (manifests: Manifest[], name: string) =>
  (findManifest(manifests, 'Deployment', name) as Deployment).spec.template.spec.containers[0] as Container;
const roleRules = (manifests: Manifest[], kind: string, name: string) =>
  grants((findManifest(manifests, kind, name) as RoleManifest).rules);

/** Parses args with the process's own flag parser: the chart passes only flags it accepts. */
function parseArgs(command: Command, args: string[]): Record<string, unknown> {
  expect(args[0]).toBe(command.name());
  const parser = command
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .action(() => {});
  parser.parse(args.slice(1), { from: 'user' });
  return parser.opts();
}
const parseControllerArgs = (args: string[]) => parseArgs(controllerCommand(), args);
const parseGitSyncArgs = (args: string[]) => parseArgs(gitSyncCommand(), args);

describe.each([3, 4] as const)('the chart with Helm %i', (major) => {
  let helm: Helm;
  beforeAll(() => {
    const found = helmBinaries().find((h) => h.major === major);
    if (!found) throw new Error(`no Helm ${major} in test/cluster/versions.env`);
    helm = found;
  }, 20 * 60_000);

  const render = (values?: object) => renderChart(helm, { release: RELEASE, namespace: NS, values });

  it('passes helm lint --strict, with defaults and with every option on', () => {
    expect(mustHelm(helm, ['lint', '--strict', CHART_DIR])).toContain('0 chart(s) failed');
    const everything = valuesFile({
      namespaced: true,
      controller: {
        replicas: 2,
        podDisruptionBudget: { enabled: true },
        secretNamespaces: [NS],
        selfServiceNotifications: true,
      },
      gitSync: {
        podDisruptionBudget: { enabled: true },
        secretNamespaces: [NS],
        webhook: { enabled: true, secretName: 'slipway-webhook' },
      },
      dashboard: { enabled: true, actions: { enabled: true }, ingress: { enabled: true } },
      networkPolicy: { enabled: true },
      metrics: { serviceMonitor: { enabled: true } },
      argocd: { customizations: { enabled: true } },
    });
    const lint = mustHelm(helm, ['lint', '--strict', CHART_DIR, '--namespace', NS, '-f', everything]);
    expect(lint).toContain('0 chart(s) failed');
  });

  it('renders on the oldest Kubernetes it declares', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { kubeVersion: string };
    const oldest = /\d+\.\d+\.\d+/.exec(chart.kubeVersion)?.[0] ?? '';
    expect(mustHelm(helm, ['template', RELEASE, CHART_DIR, '--kube-version', oldest])).toContain(
      'kind: Deployment',
    );
    const tooOld = runHelm(helm, ['template', RELEASE, CHART_DIR, '--kube-version', '1.20.0']);
    expect(tooOld.ok).toBe(false);
  });

  describe('with default values', () => {
    let manifests: Manifest[];
    beforeAll(() => {
      manifests = render();
    });

    it('renders the controller and git-sync, and no optional object', () => {
      const kinds = manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();
      expect(kinds).toEqual(
        [
          `ClusterRole/${CONTROLLER}`,
          `ClusterRole/${GIT_SYNC}`,
          'ClusterRole/slipway-aggregate-to-edit',
          'ClusterRole/slipway-aggregate-to-view',
          `ClusterRoleBinding/${CONTROLLER}`,
          `ClusterRoleBinding/${GIT_SYNC}`,
          `Deployment/${CONTROLLER}`,
          `Deployment/${GIT_SYNC}`,
          `Role/${CONTROLLER}-leader-election`,
          `Role/${GIT_SYNC}-leader-election`,
          `Role/${CONTROLLER}-notifications`,
          `Role/${GIT_SYNC}-notifications`,
          `RoleBinding/${CONTROLLER}-leader-election`,
          `RoleBinding/${GIT_SYNC}-leader-election`,
          `RoleBinding/${CONTROLLER}-notifications`,
          `RoleBinding/${GIT_SYNC}-notifications`,
          `Service/${CONTROLLER}-metrics`,
          `Service/${GIT_SYNC}-metrics`,
          `ServiceAccount/${CONTROLLER}`,
          `ServiceAccount/${GIT_SYNC}`,
        ].sort(),
      );
      for (const m of manifests) {
        expect(m.metadata.labels?.['app.kubernetes.io/instance'], `${m.kind}/${m.metadata.name}`).toBe(
          RELEASE,
        );
      }
      // Notifications list and watch only their ConfigMap and Secret, by name.
      for (const component of [CONTROLLER, GIT_SYNC]) {
        expect(roleRules(manifests, 'Role', `${component}-notifications`)).toEqual({
          'core/configmaps#argo-rollouts-notification-configmap': ['list', 'watch'],
          'core/secrets#argo-rollouts-notification-secret': ['list', 'watch'],
        });
      }
    });

    it('runs every pod as 65532, non-root, read-only, without privileges, with seccomp', () => {
      for (const deployment of deployments(manifests)) {
        const pod = deployment.spec.template.spec;
        expect(pod.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 65532,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        for (const container of pod.containers) {
          expect(container.securityContext, deployment.metadata.name).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          });
          expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
          expect(pod.volumes?.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
        }
      }
    });

    it('sets requests and limits, and probes /healthz and /readyz on 8080', () => {
      for (const deployment of deployments(manifests)) {
        for (const container of deployment.spec.template.spec.containers) {
          expect(Object.keys(container.resources.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
          expect(Object.keys(container.resources.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
          expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'healthz' });
          expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'healthz' });
          expect(container.ports.find((p) => p.name === 'healthz')?.containerPort).toBe(8080);
        }
      }
    });

    it('starts the controller with leader election in the release namespace and flags it accepts', () => {
      const controller = containerOf(manifests, CONTROLLER);
      expect(controller.image).toBe('ghcr.io/slipway-dev/slipway:0.1.0');
      expect(controller.args).toEqual([
        'controller',
        '--leader-election-namespace',
        NS,
        '--healthz-port',
        '8080',
        '--metrics-port',
        '8090',
        '--loglevel',
        'info',
        '--metric-provider-denied-networks',
        '169.254.0.0/16,fd00:ec2::254/128',
      ]);
      expect(parseControllerArgs(controller.args)).toMatchObject({
        namespaced: false,
        leaderElect: true,
        leaderElectionNamespace: NS,
        healthzPort: 8080,
        metricsPort: 8090,
        loglevel: 'info',
        metricProviderDeniedNetworks: ['169.254.0.0/16', 'fd00:ec2::254/128'],
      });
      expect(controller.env?.map((e) => e.name)).toEqual(['POD_NAMESPACE', 'POD_NAME']);
    });

    it.each([
      [[], ''],
      [['10.0.0.0/8', '169.254.169.254'], '10.0.0.0/8,169.254.169.254'],
    ])('passes controller.metricProviderDeniedNetworks %j to the controller', (networks, flag) => {
      const controller = containerOf(
        render({ controller: { metricProviderDeniedNetworks: networks } }),
        CONTROLLER,
      );
      expect(controller.args.slice(-2)).toEqual(['--metric-provider-denied-networks', flag]);
      expect(parseControllerArgs(controller.args).metricProviderDeniedNetworks).toEqual(networks);
    });

    it('starts git-sync with leader election in the release namespace and flags it accepts', () => {
      const gitSync = containerOf(manifests, GIT_SYNC);
      expect(gitSync.args).toEqual([
        'git-sync',
        '--leader-election-namespace',
        NS,
        '--healthz-port',
        '8080',
        '--metrics-port',
        '8091',
        '--max-file-size',
        '1Mi',
        '--registry-token-hosts',
        'auth.docker.io',
        '--loglevel',
        'info',
      ]);
      expect(parseGitSyncArgs(gitSync.args)).toMatchObject({
        leaderElect: true,
        leaderElectionNamespace: NS,
        healthzPort: 8080,
        metricsPort: 8091,
        workDir: '/tmp/slipway-git-sync',
        maxFileSize: 1024 * 1024,
        registryTokenHosts: ['auth.docker.io'],
      });
      expect(parseGitSyncArgs(gitSync.args).namespace).toBeUndefined();
      expect(gitSync.env).toContainEqual({ name: 'HOME', value: '/tmp' });
    });

    it('grants the controller exactly its rules, cluster-wide, and the Lease in one namespace by name', () => {
      expect(roleRules(manifests, 'ClusterRole', CONTROLLER)).toEqual(CONTROLLER_GRANTS);
      const lease = findManifest(manifests, 'Role', `${CONTROLLER}-leader-election`) as RoleManifest;
      expect(lease.metadata.namespace).toBe(NS);
      expect(grants(lease.rules)).toEqual(leaseGrants('slipway-controller-lock'));
      const binding = findManifest(manifests, 'ClusterRoleBinding', CONTROLLER) as Binding;
      expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: CONTROLLER });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: CONTROLLER, namespace: NS }]);
    });

    it('grants git-sync its own kinds, Events and its Lease', () => {
      expect(roleRules(manifests, 'ClusterRole', GIT_SYNC)).toEqual(GIT_SYNC_GRANTS);
      expect(roleRules(manifests, 'Role', `${GIT_SYNC}-leader-election`)).toEqual(
        leaseGrants('slipway-git-sync-lock'),
      );
    });

    it('grants no wildcard verb, no Secret and no Lease cluster-wide', () => {
      for (const role of manifests.filter((m) => m.kind === 'ClusterRole') as RoleManifest[]) {
        for (const rule of role.rules) {
          expect(rule.verbs, role.metadata.name).not.toContain('*');
          expect(rule.apiGroups, role.metadata.name).not.toContain('*');
          expect(rule.resources, role.metadata.name).not.toContain('secrets');
          expect(rule.resources, role.metadata.name).not.toContain('leases');
          expect(
            rule.resources.filter((r) => r.includes('*')),
            role.metadata.name,
          ).toEqual([]);
        }
      }
    });

    it('selects each component with its Services', () => {
      const podLabels = (name: string) =>
        (findManifest(manifests, 'Deployment', name) as Deployment).spec.template.metadata.labels;
      const cases: [string, string, string, number][] = [
        [`${CONTROLLER}-metrics`, CONTROLLER, 'metrics', 8090],
        [`${GIT_SYNC}-metrics`, GIT_SYNC, 'metrics', 8091],
      ];
      for (const [service, deployment, port, number] of cases) {
        const svc = findManifest(manifests, 'Service', service) as Service;
        expect(podLabels(deployment)).toMatchObject(svc.spec.selector);
        expect(svc.spec.ports).toEqual([{ name: port, port: number, targetPort: port, protocol: 'TCP' }]);
      }
      const controllerPods = podLabels(CONTROLLER);
      expect(
        (findManifest(manifests, 'Service', `${GIT_SYNC}-metrics`) as Service).spec.selector,
      ).not.toEqual(
        expect.objectContaining({
          'app.kubernetes.io/component': controllerPods['app.kubernetes.io/component'],
        }),
      );
    });
  });

  describe('namespaced: true', () => {
    let manifests: Manifest[];
    beforeAll(() => {
      manifests = render({
        namespaced: true,
        controller: { secretNamespaces: [NS] },
        gitSync: { secretNamespaces: [NS] },
      });
    });

    it('creates nothing cluster-scoped: Roles and RoleBindings in the release namespace', () => {
      const kinds = new Set(manifests.map((m) => m.kind));
      expect(kinds).not.toContain('ClusterRole');
      expect(kinds).not.toContain('ClusterRoleBinding');
      for (const m of manifests) expect(m.metadata.namespace, `${m.kind}/${m.metadata.name}`).toBe(NS);
      const binding = findManifest(manifests, 'RoleBinding', CONTROLLER) as Binding;
      expect(binding.roleRef).toMatchObject({ kind: 'Role', name: CONTROLLER });
    });

    it('grants the same rules in a Role, without the cluster-scoped ClusterAnalysisTemplates', () => {
      expect(roleRules(manifests, 'Role', CONTROLLER)).toEqual(namespacedControllerGrants());
      expect(roleRules(manifests, 'Role', GIT_SYNC)).toEqual(GIT_SYNC_GRANTS);
      expect(roleRules(manifests, 'Role', `${CONTROLLER}-secrets`)).toEqual({ 'core/secrets': ['get'] });
      expect(roleRules(manifests, 'Role', `${GIT_SYNC}-secrets`)).toEqual({ 'core/secrets': ['get'] });
    });

    it('confines both processes to the release namespace with their own flags', () => {
      const controller = containerOf(manifests, CONTROLLER);
      expect(controller.args.slice(0, 4)).toEqual(['controller', '--namespaced', '--namespace', NS]);
      expect(parseControllerArgs(controller.args)).toMatchObject({ namespaced: true, namespace: NS });
      // git-sync has no --namespaced: its --namespace alone watches one namespace.
      const gitSync = containerOf(manifests, GIT_SYNC);
      expect(gitSync.args.slice(0, 3)).toEqual(['git-sync', '--namespace', NS]);
      expect(parseGitSyncArgs(gitSync.args)).toMatchObject({ namespace: NS, leaderElectionNamespace: NS });
    });

    it('refuses Secret access in another namespace', () => {
      const error = renderChartError(helm, {
        namespace: NS,
        values: { namespaced: true, controller: { secretNamespaces: ['payments'] } },
      });
      expect(error).toContain('controller.secretNamespaces: "payments" is not the release namespace');
      const gitSyncError = renderChartError(helm, {
        namespace: NS,
        values: { namespaced: true, gitSync: { secretNamespaces: ['payments'] } },
      });
      expect(gitSyncError).toContain('gitSync.secretNamespaces: "payments" is not the release namespace');
    });
  });

  it('self-service notifications: the flag, and list/watch of the two names in every namespace only cluster-wide', () => {
    const notificationNames = {
      'core/configmaps#argo-rollouts-notification-configmap': ['list', 'watch'],
      'core/secrets#argo-rollouts-notification-secret': ['list', 'watch'],
    };
    const selfService = `${CONTROLLER}-notifications-self-service`;
    const off = render();
    expect(off.filter((m) => m.metadata.name === selfService)).toEqual([]);
    expect(parseControllerArgs(containerOf(off, CONTROLLER).args).selfServiceNotificationEnabled).toBe(false);

    const on = render({ controller: { selfServiceNotifications: true } });
    expect(parseControllerArgs(containerOf(on, CONTROLLER).args).selfServiceNotificationEnabled).toBe(true);
    expect(roleRules(on, 'ClusterRole', selfService)).toEqual(notificationNames);
    const binding = findManifest(on, 'ClusterRoleBinding', selfService) as Binding;
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: selfService });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: CONTROLLER, namespace: NS }]);

    // Namespaced, the Rollouts' namespace is the release namespace, whose Role already has them.
    const namespaced = render({ namespaced: true, controller: { selfServiceNotifications: true } });
    expect(namespaced.filter((m) => m.metadata.name === selfService)).toEqual([]);
    expect(roleRules(namespaced, 'Role', `${CONTROLLER}-notifications`)).toEqual(notificationNames);
  });

  it('grants Secret get only in the listed namespaces, one Role each, per component', () => {
    const manifests = render({
      controller: { secretNamespaces: ['payments', 'shop'] },
      gitSync: { secretNamespaces: ['team-a'] },
    });
    const cases: [string, string[]][] = [
      [CONTROLLER, ['payments', 'shop']],
      [GIT_SYNC, ['team-a']],
    ];
    for (const [component, namespaces] of cases) {
      const roles = manifests.filter((m) => m.kind === 'Role' && m.metadata.name === `${component}-secrets`);
      expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(namespaces);
      for (const role of roles as RoleManifest[])
        expect(grants(role.rules)).toEqual({ 'core/secrets': ['get'] });
      const bindings = manifests.filter(
        (m) => m.kind === 'RoleBinding' && m.metadata.name === `${component}-secrets`,
      );
      expect(bindings).toHaveLength(namespaces.length);
      for (const binding of bindings as Binding[]) {
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: component, namespace: NS }]);
      }
    }
  });

  it('serves the git-sync webhook only with a mounted secret', () => {
    const manifests = render({ gitSync: { webhook: { enabled: true, secretName: 'slipway-webhook' } } });
    const gitSync = containerOf(manifests, GIT_SYNC);
    expect(parseGitSyncArgs(gitSync.args)).toMatchObject({
      webhookPort: 8092,
      webhookSecretFile: '/etc/slipway/webhook/webhook-secret',
      webhookMaxAge: 300,
    });
    expect(gitSync.volumeMounts).toContainEqual({
      name: 'webhook-secret',
      mountPath: '/etc/slipway/webhook',
      readOnly: true,
    });
    const pod = (findManifest(manifests, 'Deployment', GIT_SYNC) as Deployment).spec.template.spec;
    expect(pod.volumes?.find((v) => v.name === 'webhook-secret')).toMatchObject({
      secret: { secretName: 'slipway-webhook', defaultMode: 0o440 },
    });
    const svc = findManifest(manifests, 'Service', `${GIT_SYNC}-webhook`) as Service;
    expect(svc.spec.ports).toEqual([{ name: 'webhook', port: 8092, targetPort: 'webhook', protocol: 'TCP' }]);
    const error = renderChartError(helm, { values: { gitSync: { webhook: { enabled: true } } } });
    expect(error).toContain('gitSync.webhook.enabled needs gitSync.webhook.secretName');
  });

  it('adds only the traffic routers turned on', () => {
    const manifests = render({ controller: { trafficRouters: { istio: true, nginx: true } } });
    const table = roleRules(manifests, 'ClusterRole', CONTROLLER);
    expect(table['networking.istio.io/virtualservices']).toEqual(['get', 'list', 'patch', 'watch']);
    expect(table['networking.k8s.io/ingresses']).toEqual(['create', 'get', 'list', 'patch', 'watch']);
    const extra = Object.keys(table).filter((key) => !(key in CONTROLLER_GRANTS));
    expect(extra.sort()).toEqual([
      'networking.istio.io/destinationrules',
      'networking.istio.io/virtualservices',
      'networking.k8s.io/ingresses',
    ]);
  });

  it('runs 2 controllers with an instance id, and one without leader election', () => {
    const ha = render({
      controller: { replicas: 2, instanceId: 'blue', leaderElection: { namespace: 'kube-leases' } },
    });
    const deployment = findManifest(ha, 'Deployment', CONTROLLER) as Deployment;
    expect(deployment.spec.replicas).toBe(2);
    const args = parseControllerArgs(containerOf(ha, CONTROLLER).args);
    expect(args).toMatchObject({ instanceId: 'blue', leaderElectionNamespace: 'kube-leases' });
    const lease = findManifest(ha, 'Role', `${CONTROLLER}-leader-election`) as RoleManifest;
    expect(lease.metadata.namespace).toBe('kube-leases');
    expect(grants(lease.rules)).toEqual(leaseGrants('slipway-controller-lock-blue'));

    const single = render({ controller: { leaderElection: { enabled: false } } });
    expect(parseControllerArgs(containerOf(single, CONTROLLER).args)).toMatchObject({ leaderElect: false });
    expect(single.some((m) => m.metadata.name === `${CONTROLLER}-leader-election`)).toBe(false);
    const error = renderChartError(helm, {
      values: { controller: { replicas: 2, leaderElection: { enabled: false } } },
    });
    expect(error).toContain('set controller.replicas to 1 or turn leader election on');
  });

  it('renders NetworkPolicies that admit only health, metrics and webhook ports', () => {
    const scrapers = [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ];
    const manifests = render({ networkPolicy: { enabled: true, metricsFrom: scrapers } });
    interface Policy extends Manifest {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress: { ports: { port: number }[]; from?: unknown[] }[];
        egress?: unknown[];
      };
    }
    const controller = findManifest(manifests, 'NetworkPolicy', CONTROLLER) as Policy;
    expect(controller.spec.policyTypes).toEqual(['Ingress']);
    expect(controller.spec.ingress).toEqual([
      { ports: [{ port: 8080, protocol: 'TCP' }] },
      { ports: [{ port: 8090, protocol: 'TCP' }], from: scrapers },
    ]);
    const controllerPods = (findManifest(manifests, 'Deployment', CONTROLLER) as Deployment).spec.template
      .metadata.labels;
    expect(controllerPods).toMatchObject(controller.spec.podSelector.matchLabels);
    const gitSync = findManifest(manifests, 'NetworkPolicy', GIT_SYNC) as Policy;
    expect(gitSync.spec.ingress.map((i) => i.ports[0]?.port)).toEqual([8080, 8091]);
    const webhooks = render({
      networkPolicy: { enabled: true, webhookFrom: scrapers },
      gitSync: { webhook: { enabled: true, secretName: 'slipway-webhook' } },
    });
    const withWebhook = findManifest(webhooks, 'NetworkPolicy', GIT_SYNC) as Policy;
    expect(withWebhook.spec.ingress[2]).toEqual({ ports: [{ port: 8092, protocol: 'TCP' }], from: scrapers });

    const apiServer = [
      { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ port: 443, protocol: 'TCP' }] },
    ];
    const restricted = render({ networkPolicy: { enabled: true, egress: { restrict: true, apiServer } } });
    const egress = findManifest(restricted, 'NetworkPolicy', CONTROLLER) as Policy;
    expect(egress.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(egress.spec.egress).toEqual([
      {
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
      ...apiServer,
    ]);
    const error = renderChartError(helm, {
      values: { networkPolicy: { enabled: true, egress: { restrict: true } } },
    });
    expect(error).toContain('networkPolicy.egress.restrict needs networkPolicy.egress.apiServer');
  });

  it('renders ServiceMonitors that select only the metrics Services', () => {
    const manifests = render({ metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } } });
    interface Monitor extends Manifest {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; interval: string }[];
      };
    }
    const monitors = manifests.filter((m) => m.kind === 'ServiceMonitor') as Monitor[];
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([CONTROLLER, GIT_SYNC]);
    const services = manifests.filter((m) => m.kind === 'Service');
    for (const monitor of monitors) {
      expect(monitor.metadata.labels?.release).toBe('prom');
      expect(monitor.spec.endpoints).toEqual([
        { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
      ]);
      const selected = services.filter((s) =>
        Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v),
      );
      expect(selected.map((s) => s.metadata.name)).toEqual([`${monitor.metadata.name}-metrics`]);
    }
  });

  it('renders PodDisruptionBudgets that never block a drain by default', () => {
    const manifests = render({
      controller: { replicas: 2, podDisruptionBudget: { enabled: true } },
      gitSync: { podDisruptionBudget: { enabled: true, minAvailable: 1 } },
    });
    interface Budget extends Manifest {
      spec: {
        minAvailable?: number;
        maxUnavailable?: number;
        selector: { matchLabels: Record<string, string> };
      };
    }
    const controller = findManifest(manifests, 'PodDisruptionBudget', CONTROLLER) as Budget;
    expect(controller.spec).toMatchObject({ maxUnavailable: 1 });
    expect(controller.spec.minAvailable).toBeUndefined();
    expect(
      (findManifest(manifests, 'Deployment', CONTROLLER) as Deployment).spec.selector.matchLabels,
    ).toEqual(controller.spec.selector.matchLabels);
    expect((findManifest(manifests, 'PodDisruptionBudget', GIT_SYNC) as Budget).spec).toMatchObject({
      minAvailable: 1,
    });
  });

  it('leaves git-sync out entirely when disabled, and adds the dashboard when enabled', () => {
    const manifests = render({ gitSync: { enabled: false }, dashboard: { enabled: true } });
    expect(manifests.filter((m) => m.metadata.name.startsWith(GIT_SYNC))).toEqual([]);
    const dashboard = containerOf(manifests, 'slipway-dashboard');
    expect(dashboard.args).toEqual([
      'dashboard',
      '--namespace',
      NS,
      '--address',
      '0.0.0.0',
      '--port',
      '3100',
      '--healthz-port',
      '8080',
      '--read-only',
      '--loglevel',
      'info',
    ]);
    expect(parseArgs(dashboardCommand(), dashboard.args)).toMatchObject({
      address: '0.0.0.0',
      port: 3100,
      healthzPort: 8080,
      readOnly: true,
    });
    expect(roleRules(manifests, 'ClusterRole', 'slipway-dashboard')).toEqual({
      'apps/replicasets': ['list', 'watch'],
      'argoproj.io/analysisruns': ['get', 'list', 'watch'],
      'argoproj.io/experiments': ['get', 'list', 'watch'],
      'argoproj.io/rollouts': ['get', 'list', 'watch'],
      'core/events': ['list'],
      'core/pods': ['list', 'watch'],
    });
    expect(manifests.filter((m) => m.kind === 'Ingress')).toEqual([]);
  });

  it('lets the dashboard patch Rollouts only with actions enabled, and exposes it through an Ingress', () => {
    const manifests = render({
      namespaced: true,
      dashboard: {
        enabled: true,
        actions: { enabled: true },
        rootPath: '/rollouts',
        ingress: { enabled: true, className: 'nginx', host: 'ops.example.com' },
      },
    });
    const args = containerOf(manifests, 'slipway-dashboard').args;
    expect(args).not.toContain('--read-only');
    expect(parseArgs(dashboardCommand(), args)).toMatchObject({
      namespaced: true,
      namespace: NS,
      rootPath: '/rollouts',
      readOnly: false,
    });
    expect(roleRules(manifests, 'Role', 'slipway-dashboard')).toMatchObject({
      'argoproj.io/rollouts': ['get', 'list', 'patch', 'watch'],
      'argoproj.io/rollouts/status': ['patch'],
    });
    const ingress = findManifest(manifests, 'Ingress', 'slipway-dashboard') as Manifest & {
      spec: { ingressClassName: string; rules: { host: string; http: { paths: unknown[] } }[] };
    };
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules).toEqual([
      {
        host: 'ops.example.com',
        http: {
          paths: [
            {
              path: '/rollouts',
              pathType: 'Prefix',
              backend: { service: { name: 'slipway-dashboard', port: { name: 'http' } } },
            },
          ],
        },
      },
    ]);
  });

  it('renders the Argo CD health checks and actions as a fragment ConfigMap, never as argocd-cm', () => {
    interface ConfigMap extends Manifest {
      data: Record<string, string>;
    }
    const generated = (name: string) =>
      (parse(readFileSync(join(CHART_DIR, 'files', name), 'utf8')) as ConfigMap).data;
    const manifests = render({ argocd: { customizations: { enabled: true } } });
    const fragment = findManifest(manifests, 'ConfigMap', 'argocd-cm-slipway') as ConfigMap;
    expect(fragment.metadata.namespace).toBe(NS);
    expect(fragment.metadata.annotations?.['slipway.dev/merge-into']).toBe('argocd-cm');
    expect(fragment.data).toEqual(generated('argocd-cm.generated.yaml'));

    const paused = render({
      argocd: {
        customizations: {
          enabled: true,
          pausedAsHealthy: true,
          configMapName: 'slipway-lua',
          namespace: 'argocd',
        },
      },
    });
    const variant = findManifest(paused, 'ConfigMap', 'slipway-lua') as ConfigMap;
    expect(variant.metadata.namespace).toBe('argocd');
    expect(variant.data).toEqual(generated('argocd-cm-paused-healthy.generated.yaml'));
    expect(variant.data).not.toEqual(fragment.data);

    const error = renderChartError(helm, {
      values: { argocd: { customizations: { enabled: true, configMapName: 'argocd-cm' } } },
    });
    expect(error).toContain('must not be argocd-cm');
  });

  it('rejects a typo or a wrong type through values.schema.json', () => {
    const cases: [object, string][] = [
      [{ controller: { replica: 2 } }, "additional properties 'replica' not allowed"],
      [{ gitsync: { enabled: false } }, "additional properties 'gitsync' not allowed"],
      [{ networkPolicy: { enable: true } }, "additional properties 'enable' not allowed"],
      [{ controller: { logLevel: 'verbose' } }, 'logLevel'],
      [{ controller: { ports: { metrics: 'ninety' } } }, 'metrics'],
      [{ controller: { trafficRouters: { linkerd: true } } }, "additional properties 'linkerd' not allowed"],
    ];
    for (const [values, message] of cases) {
      const error = renderChartError(helm, { values });
      expect(error, JSON.stringify(values)).toContain("values don't meet the specifications of the schema");
      expect(error, JSON.stringify(values)).toContain(message);
    }
  });
});
