// Given example Rollouts run by the real Argo Rollouts v1.10.2 controller, some Healthy and
// some paused mid-update (canary, timed canary pause, blue-green, Istio subsets), when Argo
// is stopped and Slipway takes over its Lease, and later Argo takes it back, then no
// ReplicaSet is created, no pod is replaced, and steps, pause start times, Service selectors
// and router weights stay as they were.
//
// Opt-in (`npm run test:switch`): it needs Argo's controller, built from its Go module.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadKubeConfig } from '../../src/kube/config.js';
import { PACKAGE_ROOT } from '../../src/package-paths.js';
import { type ControllerProcess, startControllerProcess } from '../../src/process/controller-process.js';
import { CONTROLLERS } from '../../src/process/controllers.js';
import { createLogger } from '../../src/process/logger.js';
import { getJson, kubectl, patch } from '../e2e/support/kubectl.js';
import { eventually } from '../e2e/support/wait.js';
import {
  type ArgoController,
  ensureArgoController,
  freePort,
  reconcileCounts,
  startArgoController,
} from './argo-controller.js';

// ../shared beside the repository (or beside the worktrees folder of a worktree).
const EXAMPLES = [join(PACKAGE_ROOT, '..'), join(PACKAGE_ROOT, '..', '..')]
  .map((dir) => join(dir, 'shared', 'compat', 'argo-rollouts-examples'))
  .find((dir) => existsSync(dir))!;
const ARGO_LEASE = 'argo-rollouts-controller-lock';
const namespace = `switch-${Date.now().toString(36)}`;
const logDir = mkdtempSync(join(tmpdir(), 'slipway-switch-'));

interface Case {
  /** The Rollout's name in the cluster. */
  name: string;
  file: string;
  /** Renames every occurrence of the example's name (objects, labels, hosts) for a second copy. */
  rename?: [from: string, to: string];
  edit?: (text: string) => string;
  /** Updated under Argo until it pauses mid-update. */
  paused: boolean;
  /** Example files the Rollout needs (Services, routes, analysis templates), applied first. */
  needs?: string[];
}

const CASES: Case[] = [
  { name: 'rollout-canary', file: 'rollout-canary.yaml', paused: false },
  {
    name: 'rollout-canary-paused',
    file: 'rollout-canary.yaml',
    rename: ['rollout-canary', 'rollout-canary-paused'],
    paused: true,
  },
  {
    name: 'rollout-canary-timed',
    file: 'rollout-canary.yaml',
    rename: ['rollout-canary', 'rollout-canary-timed'],
    // A timed pause long enough to be running at every switch.
    edit: (text) => text.replace('- pause: {}', '- pause: {duration: 1h}'),
    paused: true,
  },
  { name: 'rollout-rollingupdate', file: 'rollout-rolling-update.yaml', paused: false },
  { name: 'rollout-bluegreen', file: 'rollout-bluegreen.yaml', paused: false },
  {
    name: 'rollout-bluegreen-paused',
    file: 'rollout-bluegreen.yaml',
    rename: ['rollout-bluegreen', 'rollout-bluegreen-paused'],
    paused: true,
  },
  { name: 'istio-subset-split', file: 'istio_istio-subset-split.yaml', paused: false },
  {
    name: 'istio-subset-split-paused',
    file: 'istio_istio-subset-split.yaml',
    rename: ['istio-subset-split', 'istio-subset-split-paused'],
    paused: true,
  },
  { name: 'rollout-ref-deployment', file: 'workload-ref_workload-ref.yaml', paused: false },
  { name: 'istio-host-split', file: 'istio_istio-mirror.yaml', paused: false },
  // Not rollout-analysis-step.yaml: it names a ClusterAnalysisTemplate, which Argo run for one
  // namespace (--namespaced) does not see, so Argo holds it InvalidSpec.
  {
    name: 'rollout-background-analysis',
    file: 'rollout-background-analysis.yaml',
    needs: ['analysis-templates.yaml'],
    paused: false,
  },
  { name: 'rollout-secret', file: 'rollout-secret.yaml', paused: false },
  {
    name: 'rollout-experiment-step',
    file: 'rollout-experiment-step.yaml',
    needs: ['analysis-templates.yaml'],
    paused: false,
  },
  { name: 'rollout-canary-preview', file: 'rollout-canary-preview.yaml', paused: false },
  { name: 'rollout-baseline-vs-canary', file: 'rollout-baseline-vs-canary.yaml', paused: false },
  {
    name: 'rollout-smi-experiment',
    file: 'traffic-routing-experiment-step_rollout-smi-experiment-step.yaml',
    paused: false,
  },
  {
    name: 'rollout-apisix-canary',
    file: 'apisix_rollout.yaml',
    needs: ['apisix_services.yaml', 'apisix_route.yaml'],
    paused: false,
  },
  {
    name: 'echo-rollout',
    file: 'ambassador_rollout.yaml',
    needs: ['ambassador_echo-service.yaml', 'ambassador_echo-mapping.yaml'],
    paused: false,
  },
];

interface Meta {
  name: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RolloutObject {
  metadata: Meta;
  status?: {
    phase?: string;
    currentPodHash?: string;
    stableRS?: string;
    currentStepIndex?: number;
    currentStepHash?: string;
    pauseConditions?: { reason: string; startTime: string }[];
    controllerPause?: boolean;
    blueGreen?: { activeSelector?: string; previewSelector?: string };
    canary?: { weights?: unknown };
  };
}
interface ReplicaSetObject {
  metadata: Meta;
  spec: { replicas?: number };
  status?: { replicas?: number; availableReplicas?: number };
}

/** What must not change across a switch. */
interface Snapshot {
  replicaSets: Map<string, { name: string; hash: string; replicas: number; revision: string }>;
  pods: Map<string, string>;
  rollouts: Map<string, unknown>;
  services: Map<string, unknown>;
  routers: Map<string, unknown>;
}

function items<T>(kind: string): T[] {
  return getJson<{ items: T[] }>([kind, '-n', namespace]).items;
}

/** The Rollouts' whole status, kept in the log folder for comparing the two controllers by eye. */
function saveStatuses(round: string): void {
  const statuses = Object.fromEntries(
    items<RolloutObject>('rollouts').map((ro) => [ro.metadata.name, ro.status]),
  );
  writeFileSync(join(logDir, `status-${round}.json`), `${JSON.stringify(statuses, null, 2)}\n`);
}

function snapshot(): Snapshot {
  const replicaSets = new Map(
    items<ReplicaSetObject>('replicasets').map((rs) => [
      rs.metadata.uid,
      {
        name: rs.metadata.name,
        hash: rs.metadata.labels?.['rollouts-pod-template-hash'] ?? '',
        replicas: rs.spec.replicas ?? 0,
        revision: rs.metadata.annotations?.['rollout.argoproj.io/revision'] ?? '',
      },
    ]),
  );
  const pods = new Map(items<{ metadata: Meta }>('pods').map((pod) => [pod.metadata.uid, pod.metadata.name]));
  // The whole status: steps, pause conditions and their start times, weights, conditions
  // with their timestamps. A controller that agrees with the one before writes nothing.
  const rollouts = new Map(items<RolloutObject>('rollouts').map((ro) => [ro.metadata.name, ro.status]));
  const services = new Map(
    items<{ metadata: Meta; spec: { selector?: unknown } }>('services').map((svc) => [
      svc.metadata.name,
      svc.spec.selector,
    ]),
  );
  const routers = new Map<string, unknown>([
    ...items<{ metadata: Meta; spec: { http?: unknown } }>('virtualservices.networking.istio.io').map(
      (vs) => [`VirtualService/${vs.metadata.name}`, vs.spec.http] as const,
    ),
    ...items<{ metadata: Meta; spec: { subsets?: unknown } }>('destinationrules.networking.istio.io').map(
      (dr) => [`DestinationRule/${dr.metadata.name}`, dr.spec.subsets] as const,
    ),
  ]);
  return { replicaSets, pods, rollouts, services, routers };
}

interface SwitchReport {
  newReplicaSets: string[];
  deletedReplicaSets: string[];
  scaledReplicaSets: string[];
  podChanges: number;
  rolloutChanges: string[];
  serviceChanges: string[];
  routerChanges: string[];
}

function compare(before: Snapshot, after: Snapshot): SwitchReport {
  const changedKeys = (a: Map<string, unknown>, b: Map<string, unknown>) =>
    [...new Set([...a.keys(), ...b.keys()])].filter(
      (key) => JSON.stringify(a.get(key)) !== JSON.stringify(b.get(key)),
    );
  const podUids = new Set([...before.pods.keys(), ...after.pods.keys()]);
  return {
    newReplicaSets: [...after.replicaSets]
      .filter(([uid]) => !before.replicaSets.has(uid))
      .map(([, rs]) => rs.name),
    deletedReplicaSets: [...before.replicaSets]
      .filter(([uid]) => !after.replicaSets.has(uid))
      .map(([, rs]) => rs.name),
    scaledReplicaSets: [...after.replicaSets]
      .filter(
        ([uid, rs]) => before.replicaSets.has(uid) && before.replicaSets.get(uid)!.replicas !== rs.replicas,
      )
      .map(([uid, rs]) => `${rs.name}: ${before.replicaSets.get(uid)!.replicas} → ${rs.replicas}`),
    podChanges: [...podUids].filter((uid) => before.pods.has(uid) !== after.pods.has(uid)).length,
    rolloutChanges: changedKeys(before.rollouts, after.rollouts).map(
      (name) =>
        `${name}: ${JSON.stringify(before.rollouts.get(name))} → ${JSON.stringify(after.rollouts.get(name))}`,
    ),
    serviceChanges: changedKeys(before.services, after.services),
    routerChanges: changedKeys(before.routers, after.routers),
  };
}

function applyCase(c: Case): void {
  for (const file of c.needs ?? []) kubectl(['apply', '-n', namespace, '-f', join(EXAMPLES, file)]);
  let text = readFileSync(join(EXAMPLES, c.file), 'utf8');
  if (c.rename) text = text.replaceAll(c.rename[0], c.rename[1]);
  if (c.edit) text = c.edit(text);
  kubectl(['apply', '-n', namespace, '-f', '-'], text);
}

const phaseOf = (name: string) => getJson<RolloutObject>(['rollout', name, '-n', namespace]).status?.phase;
const statusLine = (name: string) => {
  const status = getJson<RolloutObject & { status?: { message?: string } }>([
    'rollout',
    name,
    '-n',
    namespace,
  ]).status;
  return `${status?.phase ?? '(no status)'} ${status?.message ?? ''}`.trim();
};

/** Every ReplicaSet runs all its pods, available (kwok makes them Ready). */
function replicaSetsSettled(): boolean {
  return items<ReplicaSetObject>('replicasets').every(
    (rs) =>
      (rs.status?.replicas ?? 0) === (rs.spec.replicas ?? 0) &&
      (rs.status?.availableReplicas ?? 0) === (rs.spec.replicas ?? 0),
  );
}

/**
 * Waits until the controller has reconciled every Rollout at least once, then annotates each
 * (a change that asks for nothing) and waits for one more reconcile of each: whatever the
 * first pass wrote, the second has seen.
 */
async function settle(counts: () => Promise<Map<string, number>>, round: string): Promise<void> {
  const names = CASES.map((c) => `${namespace}/${c.name}`);
  const reconciledAtLeast = async (min: Map<string, number>) => {
    const now = await counts();
    return names.every((name) => (now.get(name) ?? 0) >= (min.get(name) ?? 1)) ? now : undefined;
  };
  const first = await eventually(
    `${round}: every Rollout reconciled`,
    () => reconciledAtLeast(new Map()),
    120_000,
  );
  for (const c of CASES) {
    kubectl([
      'annotate',
      'rollout',
      c.name,
      '-n',
      namespace,
      `switch-test.slipway.dev/round=${round}`,
      '--overwrite',
    ]);
  }
  const next = new Map(names.map((name) => [name, (first.get(name) ?? 0) + 1]));
  await eventually(`${round}: every Rollout reconciled again`, () => reconciledAtLeast(next), 120_000);
  await eventually(`${round}: ReplicaSets settled`, () => (replicaSetsSettled() ? true : undefined), 120_000);
  saveStatuses(round);
}

async function argoCounts(argo: ArgoController): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${argo.metricsPort}/metrics`);
  return reconcileCounts(await response.text());
}

async function slipwayCounts(slipway: ControllerProcess): Promise<Map<string, number>> {
  return reconcileCounts(await slipway.metrics.scrape());
}

async function startSlipway(): Promise<ControllerProcess> {
  return startControllerProcess({
    kubeConfig: loadKubeConfig({ path: inject('kubeconfig') }).kubeConfig,
    logger: createLogger('controller', process.env.SLIPWAY_E2E_LOGLEVEL === 'debug' ? 'debug' : 'warn'),
    namespace,
    // The switch procedure: contend for Argo's Lease, so the two never run at once.
    leaderElection: true,
    leaderElectionNamespace: namespace,
    leaseName: ARGO_LEASE,
    bindAddress: '127.0.0.1',
    healthPort: 0,
    metricsPort: await freePort(),
    controllers: CONTROLLERS,
  });
}

const leaseHolder = () =>
  getJson<{ spec?: { holderIdentity?: string } }>(['lease', ARGO_LEASE, '-n', namespace]).spec
    ?.holderIdentity ?? '';

function log(line: string): void {
  process.stderr.write(`[switch] ${line}\n`);
}

function expectUnchanged(report: SwitchReport, direction: string): void {
  log(
    `${direction}: ${report.newReplicaSets.length} new ReplicaSets, ${report.podChanges} pod changes, ` +
      `${report.deletedReplicaSets.length} ReplicaSets deleted, ${report.scaledReplicaSets.length} scaled, ` +
      `${report.rolloutChanges.length} Rollout status changes, ${report.serviceChanges.length} Service and ` +
      `${report.routerChanges.length} router changes`,
  );
  expect(report, direction).toEqual({
    newReplicaSets: [],
    deletedReplicaSets: [],
    scaledReplicaSets: [],
    podChanges: 0,
    rolloutChanges: [],
    serviceChanges: [],
    routerChanges: [],
  });
}

describe('switching controllers between Argo Rollouts v1.10.2 and Slipway', () => {
  let argoBinary = '';
  let argo: ArgoController | undefined;
  let slipway: ControllerProcess | undefined;
  let underArgo: Snapshot;
  let underSlipway: Snapshot;

  beforeAll(() => {
    argoBinary = ensureArgoController();
    kubectl(['create', 'namespace', namespace]);
    log(`namespace ${namespace}; controller logs in ${logDir}`);
  });

  afterAll(async () => {
    await slipway?.shutdown();
    await argo?.stop();
  });

  const startArgo = (round: string) =>
    startArgoController({
      binary: argoBinary,
      kubeconfig: inject('kubeconfig'),
      namespace,
      logFile: join(logDir, `argo-${round}.log`),
    });

  it('runs the examples under Argo: Healthy, and paused mid-update', async () => {
    argo = await startArgo('1');
    for (const c of CASES) applyCase(c);
    await eventually(
      'every Rollout Healthy under Argo',
      () => {
        const notHealthy = CASES.map((c) => [c.name, statusLine(c.name)] as const).filter(
          ([, line]) => !line.startsWith('Healthy'),
        );
        if (notHealthy.length === 0) return true;
        throw new Error(notHealthy.map(([name, line]) => `${name}: ${line}`).join('; '));
      },
      180_000,
    );
    for (const c of CASES.filter((c) => c.paused)) {
      patch(
        'rollout',
        c.name,
        namespace,
        [
          {
            op: 'replace',
            path: '/spec/template/spec/containers/0/image',
            value: 'argoproj/rollouts-demo:yellow',
          },
        ],
        { type: 'json' },
      );
    }
    await eventually(
      'the updated Rollouts paused under Argo',
      () => (CASES.filter((c) => c.paused).every((c) => phaseOf(c.name) === 'Paused') ? true : undefined),
      180_000,
    );
    await settle(() => argoCounts(argo!), 'argo-1');
    underArgo = snapshot();
    log(
      `under Argo: ${underArgo.rollouts.size} Rollouts (${CASES.filter((c) => c.paused).length} paused mid-update), ` +
        `${underArgo.replicaSets.size} ReplicaSets, ${underArgo.pods.size} pods`,
    );
    // Mid-update really is mid-update: two ReplicaSets with pods for each paused Rollout.
    for (const c of CASES.filter((c) => c.paused)) {
      const status = underArgo.rollouts.get(c.name) as { currentPodHash?: string; stableRS?: string };
      expect(status.currentPodHash, c.name).not.toBe(status.stableRS);
    }
    expect(leaseHolder()).not.toBe('');
  });

  it('Slipway takes over from Argo without touching a ReplicaSet, pod, pause or route', async () => {
    const argoHolder = leaseHolder();
    slipway = await startSlipway();
    // Argo holds the Lease: Slipway waits for it.
    expect(slipway.isLeader()).toBe(false);
    expect(leaseHolder()).toBe(argoHolder);
    await argo!.stop();
    argo = undefined;
    await eventually('Slipway leads', () => (slipway!.isLeader() ? true : undefined), 60_000);
    await settle(() => slipwayCounts(slipway!), 'slipway');
    underSlipway = snapshot();
    expectUnchanged(compare(underArgo, underSlipway), 'Argo → Slipway');
  });

  it('Argo takes back over from Slipway without touching them either', async () => {
    argo = await startArgo('2');
    await slipway!.shutdown();
    slipway = undefined;
    await settle(() => argoCounts(argo!), 'argo-2');
    expectUnchanged(compare(underSlipway, snapshot()), 'Slipway → Argo');
  });
});
