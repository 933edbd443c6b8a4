// A real Kubernetes control plane on loopback, for tests and `slipway dev`: etcd,
// kube-apiserver (RBAC on), kube-controller-manager, kube-scheduler and kwok with fake
// nodes, each a child process we started and stop by its own PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { CLUSTER_ASSETS_DIR } from '../package-paths.js';
import { binaryPaths, type ControlPlaneBinaries, ensureBinaries } from './binaries.js';
import { createCertificates } from './certificates.js';

export interface ControlPlaneOptions {
  /** Directory for certificates, etcd data, logs and the kubeconfig; created if missing. */
  dataDir: string;
  /** Number of fake kwok nodes. */
  nodes?: number;
  /** Progress lines (what is starting, what is ready). */
  log?: (line: string) => void;
  /** Build missing binaries first (prints progress; minutes when cold). Default true. */
  build?: boolean;
  /**
   * Start the processes in their own process group, so a Ctrl-C to the terminal's group
   * reaches only the caller, which then stops them last (after its clients released their
   * Leases). `slipway dev` sets it; tests leave it off so a killed runner takes them along.
   */
  ownProcessGroup?: boolean;
  /**
   * Extra token users (group system:masters), each with its own kubeconfig, so a benchmark can
   * tell one client's requests apart in the audit log.
   */
  users?: string[];
  /**
   * Write an audit log (JSON lines, level Metadata, one line per finished request) here, for
   * the requests of `auditUsers` only (all users when empty).
   */
  auditLogPath?: string;
  auditUsers?: string[];
}

export interface RunningControlPlane {
  kubeconfigPath: string;
  server: string;
  /** Bearer token of the cluster admin (group system:masters). */
  adminToken: string;
  caCertPath: string;
  binaries: ControlPlaneBinaries;
  /** Kubeconfig path of each extra user from options.users. */
  userKubeconfigs: Record<string, string>;
  /** PIDs of the processes we started, in start order. */
  pids: number[];
  /** Stops every process: SIGTERM, then SIGKILL after `graceMs` (default 5000) each. */
  stop(graceMs?: number): Promise<void>;
  /**
   * Stops one component (SIGTERM, then SIGKILL after 5 s), e.g. to test an API outage; the
   * rest keeps running. startComponent starts it again with the same arguments and ports.
   */
  stopComponent(name: ControlPlaneComponent): Promise<void>;
  /** Starts a stopped component again; for kube-apiserver, resolves once /readyz answers 200. */
  startComponent(name: ControlPlaneComponent): Promise<void>;
}

export type ControlPlaneComponent = 'etcd' | 'kube-apiserver';

interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logPath: string;
  binary: string;
  args: string[];
}

const FAKE_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** A free TCP port on 127.0.0.1 (for tests, benchmarks and the processes started here). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

let ownProcessGroup = false;

function startProcess(name: string, binary: string, args: string[], logDir: string): ManagedProcess {
  const logPath = join(logDir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', fd, fd], detached: ownProcessGroup });
  closeSync(fd);
  child.on('error', (error) => {
    writeFileSync(logPath, `\nslipway: failed to start ${binary}: ${error.message}\n`, { flag: 'a' });
  });
  return { name, child, logPath, binary, args };
}

async function stopProcess(proc: ManagedProcess, graceMs = 5000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise<void>((done) => proc.child.once('exit', () => done()));
  proc.child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    proc.child.kill('SIGKILL');
    await exited;
  }
}

function tailOf(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface ApiResponse {
  status: number;
  body: string;
}

function apiCall(
  server: string,
  ca: Buffer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  return new Promise((resolveCall, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${server}${path}`,
      {
        method,
        ca,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolveCall({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function waitFor(
  what: string,
  deadlineMs: number,
  check: () => Promise<boolean>,
  explain: () => string,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error(`local control plane: timed out waiting for ${what}\n${explain()}`);
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<RunningControlPlane> {
  const log = options.log ?? (() => {});
  if (options.build !== false) ensureBinaries();
  ownProcessGroup = options.ownProcessGroup === true;
  const binaries = binaryPaths();
  const dir = options.dataDir;
  const logDir = join(dir, 'logs');
  const pkiDir = join(dir, 'pki');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(pkiDir, { recursive: true });

  const processes: ManagedProcess[] = [];
  // If our process exits without calling stop() (a crash, an uncaught error), take the
  // control plane with us rather than leaving orphans on the machine.
  const killOnExit = () => {
    for (const proc of processes) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    }
  };
  process.once('exit', killOnExit);
  const stop = async (graceMs = 5000): Promise<void> => {
    process.removeListener('exit', killOnExit);
    for (const proc of [...processes].reverse()) await stopProcess(proc, graceMs);
  };
  const explainAll = () =>
    processes
      .map(
        (p) =>
          `--- ${p.name} (pid ${p.child.pid ?? '?'}, exit ${p.child.exitCode ?? 'running'}) ${p.logPath}\n${tailOf(p.logPath)}`,
      )
      .join('\n');

  try {
    log('creating certificates');
    const certs = createCertificates(pkiDir);
    const adminToken = randomBytes(24).toString('hex');
    const tokenFile = join(pkiDir, 'tokens.csv');
    const userTokens = new Map((options.users ?? []).map((user) => [user, randomBytes(24).toString('hex')]));
    writeFileSync(
      tokenFile,
      `${[
        `${adminToken},slipway-admin,slipway-admin,"system:masters"`,
        ...[...userTokens].map(([user, token]) => `${token},${user},${user},"system:masters"`),
      ].join('\n')}\n`,
      { mode: 0o600 },
    );
    const auditArgs: string[] = [];
    if (options.auditLogPath) {
      const policyPath = join(pkiDir, 'audit-policy.yaml');
      const users = options.auditUsers ?? [];
      writeFileSync(
        policyPath,
        stringify({
          apiVersion: 'audit.k8s.io/v1',
          kind: 'Policy',
          // One line per request, when it finished (or failed).
          omitStages: ['RequestReceived', 'ResponseStarted'],
          rules: [{ level: 'Metadata', ...(users.length > 0 ? { users } : {}) }, { level: 'None' }],
        }),
      );
      auditArgs.push(
        `--audit-policy-file=${policyPath}`,
        `--audit-log-path=${options.auditLogPath}`,
        '--audit-log-format=json',
        '--audit-log-maxsize=0',
        '--audit-log-mode=batch',
        '--audit-log-batch-max-wait=1s',
      );
    }

    const [etcdClientPort, etcdPeerPort, apiPort, kwokPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const ca = readFileSync(certs.caCert);

    log(`starting etcd on 127.0.0.1:${etcdClientPort}`);
    processes.push(
      startProcess(
        'etcd',
        binaries.etcd,
        [
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${etcdClientPort}`,
          `--advertise-client-urls=http://127.0.0.1:${etcdClientPort}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
          `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
          '--unsafe-no-fsync',
          '--log-level=warn',
          '--quota-backend-bytes=8589934592',
        ],
        logDir,
      ),
    );

    log(`starting kube-apiserver on ${server}`);
    processes.push(
      startProcess(
        'kube-apiserver',
        binaries.kubeApiserver,
        [
          `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          `--cert-dir=${pkiDir}`,
          `--tls-cert-file=${certs.servingCert}`,
          `--tls-private-key-file=${certs.servingKey}`,
          `--client-ca-file=${certs.caCert}`,
          `--token-auth-file=${tokenFile}`,
          '--authorization-mode=RBAC',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${certs.serviceAccountPub}`,
          `--service-account-signing-key-file=${certs.serviceAccountKey}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          '--allow-privileged=true',
          '--endpoint-reconciler-type=none',
          '--profiling=false',
          '--max-requests-inflight=2000',
          '--max-mutating-requests-inflight=1000',
          '--enable-priority-and-fairness=false',
          ...auditArgs,
        ],
        logDir,
      ),
    );
    await waitFor(
      'kube-apiserver /readyz',
      90_000,
      async () => (await apiCall(server, ca, adminToken, 'GET', '/readyz')).status === 200,
      explainAll,
    );

    const writeKubeconfig = (path: string, user: string, token: string) =>
      writeFileSync(
        path,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'slipway-local',
              cluster: { server, 'certificate-authority-data': ca.toString('base64') },
            },
          ],
          users: [{ name: user, user: { token } }],
          contexts: [{ name: 'slipway-local', context: { cluster: 'slipway-local', user } }],
          'current-context': 'slipway-local',
        }),
        { mode: 0o600 },
      );
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, 'slipway-admin', adminToken);
    const userKubeconfigs: Record<string, string> = {};
    for (const [user, token] of userTokens) {
      userKubeconfigs[user] = join(dir, `kubeconfig-${user}`);
      writeKubeconfig(userKubeconfigs[user], user, token);
    }

    log('starting kube-controller-manager, kube-scheduler and kwok');
    processes.push(
      startProcess(
        'kube-controller-manager',
        binaries.kubeControllerManager,
        [
          `--kubeconfig=${kubeconfigPath}`,
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          '--secure-port=0',
          `--service-account-private-key-file=${certs.serviceAccountKey}`,
          `--root-ca-file=${certs.caCert}`,
          '--use-service-account-credentials=false',
          // No client throttle (as kwokctl runs it for scale): at 10,000 Rollouts the pods'
          // creates and their Events are 20,000 requests, minutes at a few hundred per second.
          '--kube-api-qps=5000',
          '--kube-api-burst=10000',
          '--concurrent-replicaset-syncs=50',
          '--node-monitor-grace-period=120s',
        ],
        logDir,
      ),
    );
    processes.push(
      startProcess(
        'kube-scheduler',
        binaries.kubeScheduler,
        [
          `--kubeconfig=${kubeconfigPath}`,
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          '--secure-port=0',
          // Its default (50 per second, burst 100) spends two requests per pod (binding,
          // Event): 10,000 pods took minutes of waiting on its own limiter. kwok has none.
          '--kube-api-qps=5000',
          '--kube-api-burst=10000',
        ],
        logDir,
      ),
    );
    processes.push(
      startProcess(
        'kwok',
        binaries.kwok,
        [
          `--kubeconfig=${kubeconfigPath}`,
          '--manage-all-nodes=false',
          `--manage-nodes-with-annotation-selector=${FAKE_NODE_ANNOTATION}=fake`,
          `--config=${join(CLUSTER_ASSETS_DIR, 'kwok-stages.yaml')}`,
          `--server-address=127.0.0.1:${kwokPort}`,
          '--cidr=10.244.0.0/16',
          '--node-ip=10.255.0.1',
        ],
        logDir,
      ),
    );

    const nodeCount = options.nodes ?? 3;
    for (let i = 0; i < nodeCount; i++) {
      const name = `kwok-node-${i}`;
      const res = await apiCall(server, ca, adminToken, 'POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { [FAKE_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok' },
        },
      });
      if (res.status !== 201 && res.status !== 409) {
        throw new Error(`local control plane: creating node ${name} failed: HTTP ${res.status} ${res.body}`);
      }
    }
    await waitFor(
      `${nodeCount} kwok nodes Ready`,
      60_000,
      async () => {
        const res = await apiCall(server, ca, adminToken, 'GET', '/api/v1/nodes');
        const list = JSON.parse(res.body) as {
          items: { status?: { conditions?: { type: string; status: string }[] } }[];
        };
        const ready = list.items.filter((n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length >= nodeCount;
      },
      explainAll,
    );
    await waitFor(
      'the default ServiceAccount',
      60_000,
      async () =>
        (await apiCall(server, ca, adminToken, 'GET', '/api/v1/namespaces/default/serviceaccounts/default'))
          .status === 200,
      explainAll,
    );

    const pids = processes.map((p) => p.child.pid ?? 0);
    const writePids = () =>
      writeFileSync(join(dir, 'pids'), `${processes.map((p) => p.child.pid ?? 0).join('\n')}\n`);
    writePids();
    log(`ready: KUBECONFIG=${kubeconfigPath}`);
    const component = (name: ControlPlaneComponent): ManagedProcess => {
      const proc = processes.find((p) => p.name === name);
      if (!proc) throw new Error(`local control plane: no component ${name}`);
      return proc;
    };
    const stopComponent = async (name: ControlPlaneComponent): Promise<void> => {
      await stopProcess(component(name));
    };
    const startComponent = async (name: ControlPlaneComponent): Promise<void> => {
      const old = component(name);
      if (old.child.exitCode === null && old.child.signalCode === null) return;
      const restarted = startProcess(name, old.binary, old.args, logDir);
      processes[processes.indexOf(old)] = restarted;
      writePids();
      if (name === 'kube-apiserver') {
        await waitFor(
          'kube-apiserver /readyz after a restart',
          120_000,
          async () => (await apiCall(server, ca, adminToken, 'GET', '/readyz')).status === 200,
          explainAll,
        );
      }
    };
    return {
      kubeconfigPath,
      server,
      adminToken,
      caCertPath: certs.caCert,
      binaries,
      userKubeconfigs,
      pids,
      stop,
      stopComponent,
      startComponent,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
