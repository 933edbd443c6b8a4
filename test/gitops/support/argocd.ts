// Real Argo CD for the gitops tier: v3.5.3 built from its Go module (test/gitops/build-argocd.sh),
// run as local processes against the test cluster: Redis (Debian's redis-server), the
// repo-server, the application-controller and argocd-server (`--insecure --disable-auth` on
// loopback, driven through its REST API). Each is stopped by its own PID.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';
import { freePort } from '../../e2e/support/controller.js';
import { ensureDebianBinary, stopDebianService } from '../../e2e/support/debian.js';

export const REDIS_BINARY = '/usr/bin/redis-server';

/** Builds (or finds cached) Argo CD; the build script prints its progress on stderr. */
export function argoCdBinDir(): string {
  return execFileSync(join(PACKAGE_ROOT, 'test', 'gitops', 'build-argocd.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** Debian's redis-server, installed with apt-get when missing (root, as on CI). */
export function ensureRedis(log: (line: string) => void): string {
  // The package starts a system service on :6379; the tier runs its own instance instead.
  return ensureDebianBinary(REDIS_BINARY, 'redis-server', log, () => stopDebianService('redis-server'));
}

export interface ResourceStatus {
  group?: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
  status?: string;
  health?: { status?: string; message?: string };
  hook?: boolean;
}

export interface Application {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    resources?: ResourceStatus[];
    operationState?: {
      phase?: string;
      message?: string;
      syncResult?: {
        revision?: string;
        resources?: { kind: string; name: string; hookType?: string; hookPhase?: string; status?: string }[];
      };
    };
  };
}

export interface ResourceRef {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface ResourceAction {
  name: string;
  disabled?: boolean;
  displayName?: string;
}

export interface ArgoCd {
  /** Namespace of Argo CD's own objects (Applications, ConfigMaps, cluster Secret). */
  readonly namespace: string;
  /** The cluster Secret's server URL, for Application destinations. */
  readonly clusterServer: string;
  readonly apiUrl: string;
  readonly logDir: string;
  /** GET the Application; `refresh` asks Argo CD to look at Git again, as a webhook would. */
  app(name: string, refresh?: 'normal' | 'hard'): Promise<Application>;
  sync(name: string): Promise<void>;
  actions(app: string, resource: ResourceRef): Promise<ResourceAction[]>;
  runAction(app: string, resource: ResourceRef, action: string): Promise<void>;
  /**
   * Every state of the Application that Argo CD's watch stream reports from now on, for states
   * too short-lived to be caught by polling (a Degraded Rollout that git-sync rolls back within
   * a second). `close()` ends the stream.
   */
  watch(name: string): { seen: Application[]; close(): void };
  stop(): Promise<void>;
}

interface Kube {
  kubectl(args: string[], input?: string): string;
  kubeconfig: string;
}

interface Process {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

export async function startArgoCd(options: {
  kube: Kube;
  workDir: string;
  /** data of argocd-cm (the Lua keys and any setting). */
  argocdCm: Record<string, string>;
  log: (line: string) => void;
}): Promise<ArgoCd> {
  const { kube, workDir, log } = options;
  const binDir = argoCdBinDir();
  const redis = ensureRedis(log);
  const namespace = `argocd-${Date.now().toString(36)}`;
  const logDir = join(workDir, 'logs');
  const pathDir = join(workDir, 'path');
  for (const dir of [logDir, pathDir, join(workDir, 'home'), join(workDir, 'tmp')])
    mkdirSync(dir, { recursive: true });
  // The repo-server runs git-verify-wrapper.sh (from argo-cd's hack/, copied by the build) by
  // name on every manifest generation.
  symlinkSync(join(binDir, 'git-verify-wrapper.sh'), join(pathDir, 'git-verify-wrapper.sh'));

  // Argo CD's CRDs, its namespace, settings, the default project and the destination cluster.
  kube.kubectl(['apply', '--server-side', '-f', join(binDir, 'crds')]);
  // `kubectl wait` fails at once, instead of waiting, while a just-created CRD has no conditions.
  for (let attempt = 1; ; attempt++) {
    try {
      kube.kubectl(['wait', '--for=condition=Established', 'crd/applications.argoproj.io', '--timeout=60s']);
      break;
    } catch (error) {
      if (attempt >= 30) throw error;
      await sleep(1000);
    }
  }
  kube.kubectl(['create', 'namespace', namespace]);
  const kubeconfig = parse(readFileSync(kube.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
    users: { user: { token?: string } }[];
  };
  const cluster = kubeconfig.clusters[0]!.cluster;
  const token = kubeconfig.users[0]!.user.token;
  if (!token)
    throw new Error('the gitops tier needs a kubeconfig with a bearer token (the local cluster has one)');
  const label = { 'app.kubernetes.io/part-of': 'argocd' };
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', labels: label },
      data: options.argocdCm,
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-rbac-cm', labels: label }, data: {} },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cmd-params-cm', labels: label },
      data: {},
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'argocd-secret', labels: label },
      stringData: { 'server.secretkey': randomBytes(32).toString('base64') },
    },
    {
      // Outside a pod there is no https://kubernetes.default.svc: the test cluster is declared
      // as a cluster Secret with the kubeconfig's server, token and CA.
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'cluster-test',
        labels: { ...label, 'argocd.argoproj.io/secret-type': 'cluster' },
      },
      stringData: {
        name: 'test',
        server: cluster.server,
        config: JSON.stringify({
          bearerToken: token,
          tlsClientConfig: { insecure: false, caData: cluster['certificate-authority-data'] },
        }),
      },
    },
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default' },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    },
  ];
  kube.kubectl(
    ['apply', '-n', namespace, '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );

  const [redisPort, repoPort, repoMetrics, ctrlMetrics, serverPort, serverMetrics] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const env = {
    ...process.env,
    PATH: `${pathDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: join(workDir, 'home'),
    TMPDIR: join(workDir, 'tmp'),
    KUBECONFIG: kube.kubeconfig,
    ARGOCD_GPG_ENABLED: 'false',
  };
  const processes: Process[] = [];
  const start = (name: string, command: string, args: string[]) => {
    const out = createWriteStream(join(logDir, `${name}.log`));
    const child = spawn(command, args, { env, cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    processes.push({ name, child, exited });
  };
  const stop = async () => {
    for (const p of [...processes].reverse()) {
      if (p.child.exitCode === null && p.child.signalCode === null && p.child.pid !== undefined)
        process.kill(p.child.pid, 'SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      await p.exited;
      clearTimeout(timer);
    }
  };
  const waitFor = async (name: string, url: string) => {
    const deadline = Date.now() + 180_000;
    while (!(await answers(url))) {
      const p = processes.find((q) => q.name === name);
      if (p?.child.exitCode !== null && p?.child.exitCode !== undefined) {
        await stop();
        throw new Error(`${name} exited with ${p.child.exitCode}; see ${join(logDir, `${name}.log`)}`);
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${name} did not answer ${url} within 180 s; see ${join(logDir, `${name}.log`)}`);
      }
      await sleep(250);
    }
  };
  const redisAddr = `127.0.0.1:${redisPort}`;
  try {
    start('redis', redis, [
      '--bind',
      '127.0.0.1',
      '--port',
      String(redisPort),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      workDir,
    ]);
    start('repo-server', join(binDir, 'argocd-repo-server'), [
      '--address',
      '127.0.0.1',
      '--port',
      String(repoPort),
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      String(repoMetrics),
      '--disable-tls',
      '--client-ca-path',
      '',
      '--redis',
      redisAddr,
      // Branch lookups are cached for 3 minutes by default; a commit must be seen sooner.
      '--revision-cache-expiration',
      '15s',
      '--loglevel',
      'info',
    ]);
    await waitFor('repo-server', `http://127.0.0.1:${repoMetrics}/healthz`);
    // What the application controller and the API server share: the cluster, the repo-server, Redis.
    const common = [
      '--kubeconfig',
      kube.kubeconfig,
      '--namespace',
      namespace,
      '--repo-server',
      `127.0.0.1:${repoPort}`,
      '--repo-server-plaintext',
      '--redis',
      redisAddr,
    ];
    start('application-controller', join(binDir, 'argocd-application-controller'), [
      ...common,
      '--metrics-port',
      String(ctrlMetrics),
      '--app-resync',
      '10',
      '--app-resync-jitter',
      '0',
      '--status-processors',
      '2',
      '--operation-processors',
      '2',
      // Each resource's health (with its message) in the Application's status, where the tier reads it.
      '--persist-resource-health',
      '--loglevel',
      'info',
    ]);
    start('server', join(binDir, 'argocd-server'), [
      ...common,
      '--insecure',
      '--disable-auth',
      '--address',
      '127.0.0.1',
      '--port',
      String(serverPort),
      '--metrics-port',
      String(serverMetrics),
      '--dex-server',
      '',
      '--loglevel',
      'info',
    ]);
    await waitFor('application-controller', `http://127.0.0.1:${ctrlMetrics}/healthz`);
    await waitFor('server', `http://127.0.0.1:${serverPort}/healthz`);
  } catch (error) {
    await stop();
    throw error;
  }
  const apiUrl = `http://127.0.0.1:${serverPort}`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Argo CD ${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
    return (text === '' ? {} : JSON.parse(text)) as T;
  };
  const resourceQuery = (r: ResourceRef) =>
    new URLSearchParams({
      namespace: r.namespace,
      resourceName: r.name,
      version: r.version,
      group: r.group,
      kind: r.kind,
    }).toString();
  return {
    namespace,
    clusterServer: cluster.server,
    apiUrl,
    logDir,
    app: (name, refresh) =>
      call<Application>('GET', `/api/v1/applications/${name}${refresh ? `?refresh=${refresh}` : ''}`),
    sync: async (name) => {
      await call('POST', `/api/v1/applications/${name}/sync`, { name });
    },
    actions: async (app, resource) =>
      (
        await call<{ actions?: ResourceAction[] }>(
          'GET',
          `/api/v1/applications/${app}/resource/actions?${resourceQuery(resource)}`,
        )
      ).actions ?? [],
    runAction: async (app, resource, action) => {
      await call('POST', `/api/v1/applications/${app}/resource/actions/v2`, {
        name: app,
        namespace: resource.namespace,
        resourceName: resource.name,
        version: resource.version,
        group: resource.group,
        kind: resource.kind,
        action,
      });
    },
    watch: (name) => {
      const seen: Application[] = [];
      const abort = new AbortController();
      void (async () => {
        const response = await fetch(`${apiUrl}/api/v1/stream/applications?name=${name}`, {
          signal: abort.signal,
        });
        if (!response.body) return;
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (line === '') continue;
            const event = JSON.parse(line) as { result?: { application?: Application } };
            if (event.result?.application) seen.push(event.result.application);
          }
        }
      })().catch(() => {
        // closed, or the server stopped: `seen` keeps what arrived
      });
      return { seen, close: () => abort.abort() };
    },
    stop,
  };
}
