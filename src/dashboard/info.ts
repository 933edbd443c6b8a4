// Argo Rollouts' dashboard view of a Rollout (pkg/apiclient/rollout RolloutInfo and friends,
// filled as pkg/kubectl-argo-rollouts/info does), so clients of Argo's dashboard API read our
// answers unchanged. Argo marshals these Go structs with encoding/json and `omitempty`: zero
// values (0, false, '', empty lists) are left out, and so they are here (`compact`).
import type { AnalysisRun } from '../api/analysis.js';
import type { Experiment } from '../api/experiment.js';
import {
  EXPERIMENT_TEMPLATE_NAME_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  SCALE_DOWN_DEADLINE_ANNOTATION,
} from '../api/labels.js';
import type { CanaryStep, Rollout } from '../api/rollout.js';
import type { KubeObject, ObjectMeta } from '../kube/object.js';
import { weightAtStep } from '../rollout/steps.js';

export const ICONS = {
  waiting: '◷',
  progressing: '◌',
  warning: '⚠',
  unknown: '?',
  ok: '✔',
  bad: '✖',
  paused: '॥',
  neutral: '•',
} as const;

const JOB_NAME_KEY = 'job-name';
const JOB_NAMESPACE_KEY = 'job-namespace';

interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> } & Record<string, unknown>;
  spec?: { containers?: Container[]; initContainers?: Container[] };
  [field: string]: unknown;
}

export interface ReplicaSet extends KubeObject {
  spec?: { replicas?: number; template?: PodTemplate };
  status?: {
    replicas?: number;
    availableReplicas?: number;
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
  };
}

interface ContainerState {
  waiting?: { reason?: string };
  running?: Record<string, unknown>;
  terminated?: { reason?: string; exitCode?: number; signal?: number };
}
interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
}
export interface Pod extends KubeObject {
  spec?: { containers?: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    reason?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export type JsonObject = Record<string, unknown>;

/** Drops what Go's `omitempty` drops: '', 0, false, null/undefined and empty arrays. */
export function compact<T extends JsonObject>(object: T): Partial<T> {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined || value === null || value === '' || value === 0 || value === false) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out as Partial<T>;
}

/** metav1.ObjectMeta as Argo copies it: only the fields it sets, creationTimestamp always. */
function objectMeta(meta: ObjectMeta | undefined, extra: Partial<ObjectMeta> = {}): JsonObject {
  return {
    ...compact({ name: meta?.name, namespace: meta?.namespace, uid: meta?.uid, ...extra }),
    creationTimestamp: meta?.creationTimestamp ?? null,
  };
}

function revisionOf(meta: ObjectMeta | undefined): number {
  const n = Number.parseInt(meta?.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

function ownedBy(object: KubeObject, uid: string | undefined): boolean {
  return uid !== undefined && (object.metadata?.ownerReferences ?? []).some((o) => o.uid === uid);
}

const byTime = (a: string | undefined, b: string | undefined) => (a ?? '').localeCompare(b ?? '');

// --- pods (info/pod_info.go) ---

export function podStatus(pod: Pod): { status: string; ready: string; restarts: number } {
  const status = pod.status ?? {};
  const initContainers = pod.spec?.initContainers ?? [];
  const sidecar = new Map(initContainers.map((c) => [c.name, c.restartPolicy === 'Always']));
  let reason = status.reason || status.phase || '';
  let restarts = 0;
  let initializing = false;
  const inits = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i] as ContainerStatus;
    restarts += c.restartCount ?? 0;
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (terminated) {
      reason = terminated.reason
        ? `Init:${terminated.reason}`
        : terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode}`;
      initializing = true;
    } else if (sidecar.get(c.name) && c.started) {
      if (c.ready) continue;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
      initializing = true;
    }
    break;
  }
  let readyContainers = 0;
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    const containers = status.containerStatuses ?? [];
    for (let i = containers.length - 1; i >= 0; i--) {
      const c = containers[i] as ContainerStatus;
      restarts += c.restartCount ?? 0;
      const { waiting, terminated, running } = c.state ?? {};
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated)
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (c.ready && running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (pod.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { status: reason, ready: `${readyContainers}/${pod.spec?.containers?.length ?? 0}`, restarts };
}

export function podIcon(status: string): string {
  if (status.startsWith('Init:')) return ICONS.progressing;
  if (status.startsWith('Signal:') || status.startsWith('ExitCode:')) return ICONS.bad;
  if (status.endsWith('Error') || status.startsWith('Err')) return ICONS.warning;
  switch (status) {
    case 'Pending':
    case 'Terminating':
    case 'ContainerCreating':
      return ICONS.progressing;
    case 'Running':
    case 'Completed':
      return ICONS.ok;
    case 'Failed':
    case 'InvalidImageName':
    case 'CrashLoopBackOff':
      return ICONS.bad;
    case 'ImagePullBackOff':
    case 'RegistryUnavailable':
      return ICONS.warning;
    case 'Unknown':
      return ICONS.unknown;
  }
  return ' ';
}

function podInfo(pod: Pod): JsonObject {
  const { status, ready, restarts } = podStatus(pod);
  return compact({ objectMeta: objectMeta(pod.metadata), status, icon: podIcon(status), ready, restarts });
}

// --- ReplicaSets (info/replicaset_info.go) ---

export function replicaSetHealth(rs: ReplicaSet): string {
  const generation = rs.metadata?.generation ?? 0;
  if (generation > (rs.status?.observedGeneration ?? 0)) return 'Progressing';
  const failure = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
  if (failure?.status === 'True') return 'ReplicaFailure';
  const wanted = rs.spec?.replicas;
  if (wanted !== undefined && (rs.status?.availableReplicas ?? 0) < wanted) return 'Progressing';
  if (wanted === 0) return 'ScaledDown';
  return 'Healthy';
}

function replicaSetIcon(status: string): string {
  const icons: Record<string, string> = {
    Progressing: ICONS.progressing,
    Healthy: ICONS.ok,
    ReplicaFailure: ICONS.bad,
    ScaledDown: ICONS.neutral,
  };
  return icons[status] ?? ' ';
}

function pingPong(rollout: Rollout): { enabled: boolean; stableIsPing: boolean } {
  const canary = rollout.spec.strategy.canary;
  return {
    enabled: canary?.pingPong !== undefined && canary.trafficRouting !== undefined,
    stableIsPing: rollout.status?.canary?.stablePingPong === 'ping',
  };
}

/** ReplicaSets owned by `ownerUid` with their pods, newest revision first. */
export function replicaSetInfos(
  ownerUid: string | undefined,
  rollout: Rollout | undefined,
  replicaSets: readonly ReplicaSet[],
  pods: readonly Pod[],
): JsonObject[] {
  const owned = replicaSets.filter((rs) => ownedBy(rs, ownerUid));
  const rows = owned.map((rs) => {
    const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
    const status = replicaSetHealth(rs);
    const roles = { stable: false, canary: false, active: false, preview: false, ping: false, pong: false };
    if (rollout?.spec.strategy.canary) {
      const pp = pingPong(rollout);
      if (rollout.status?.stableRS === hash) {
        roles.stable = true;
        if (pp.enabled) [roles.ping, roles.pong] = [pp.stableIsPing, !pp.stableIsPing];
      } else if (rollout.status?.currentPodHash === hash) {
        roles.canary = true;
        if (pp.enabled) [roles.ping, roles.pong] = [!pp.stableIsPing, pp.stableIsPing];
      }
    }
    if (rollout?.spec.strategy.blueGreen) {
      if (rollout.status?.stableRS === hash) roles.stable = true;
      if (rollout.status?.blueGreen?.activeSelector === hash) roles.active = true;
      else if (rollout.status?.blueGreen?.previewSelector === hash) roles.preview = true;
    }
    const uid = rs.metadata?.uid;
    const rsPods = pods
      .filter((p) => ownedBy(p, uid))
      .sort(
        (a, b) =>
          byTime(a.metadata?.creationTimestamp, b.metadata?.creationTimestamp) ||
          (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
      );
    const template = rs.spec?.template?.spec;
    return {
      revision: revisionOf(rs.metadata),
      name: rs.metadata?.name ?? '',
      info: compact({
        objectMeta: objectMeta(rs.metadata),
        status,
        icon: replicaSetIcon(status),
        revision: revisionOf(rs.metadata),
        ...roles,
        replicas: rs.status?.replicas,
        available: rs.status?.availableReplicas,
        template: rs.metadata?.annotations?.[EXPERIMENT_TEMPLATE_NAME_ANNOTATION],
        scaleDownDeadline: rs.metadata?.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION],
        images: (template?.containers ?? []).map((c) => c.image ?? ''),
        pods: rsPods.map(podInfo),
        initContainerImages: (template?.initContainers ?? []).map((c) => c.image ?? ''),
      }) as JsonObject,
    };
  });
  rows.sort((a, b) => b.revision - a.revision || a.name.localeCompare(b.name));
  return rows.map((r) => r.info);
}

// --- AnalysisRuns and Experiments (info/analysisrun_info.go, experiment_info.go) ---

export function analysisIcon(phase: string | undefined): string {
  const icons: Record<string, string> = {
    Successful: ICONS.ok,
    Inconclusive: ICONS.unknown,
    Failed: ICONS.bad,
    Error: ICONS.warning,
    Running: ICONS.progressing,
    Pending: ICONS.waiting,
  };
  return icons[phase ?? ''] ?? ' ';
}

const intVal = (v: number | string | undefined): number => (typeof v === 'number' ? v : 0);

export function analysisRunInfos(ownerUid: string | undefined, runs: readonly AnalysisRun[]): JsonObject[] {
  const rows = runs
    .filter((run) => ownedBy(run, ownerUid))
    .map((run) => {
      const counts = { successful: 0, failed: 0, inconclusive: 0, error: 0 };
      const jobs: JsonObject[] = [];
      const nonJobInfo: JsonObject[] = [];
      for (const result of run.status?.metricResults ?? []) {
        counts.successful += result.successful ?? 0;
        counts.failed += result.failed ?? 0;
        counts.inconclusive += result.inconclusive ?? 0;
        counts.error += result.error ?? 0;
        for (const m of result.measurements ?? []) {
          const jobName = m.metadata?.[JOB_NAME_KEY];
          if (m.metadata && jobName !== undefined) {
            jobs.push(
              compact({
                objectMeta: {
                  ...compact({
                    name: jobName,
                    namespace: m.metadata[JOB_NAMESPACE_KEY] ?? run.metadata?.namespace,
                  }),
                  creationTimestamp: m.startedAt ?? null,
                },
                icon: analysisIcon(m.phase),
                status: m.phase,
                startedAt: m.startedAt,
                metricName: result.name,
              }),
            );
          } else if (!m.metadata) {
            nonJobInfo.push(
              compact({ value: m.value, status: m.phase, metricName: result.name, startedAt: m.startedAt }),
            );
          }
        }
      }
      const metrics = (run.spec.metrics ?? []).map((metric) =>
        compact({
          name: metric.name,
          successCondition: metric.successCondition,
          count: intVal(metric.count as number | string | undefined),
          inconclusiveLimit: intVal(metric.inconclusiveLimit as number | string | undefined),
          failureLimit: intVal(metric.failureLimit as number | string | undefined),
        }),
      );
      const revision = revisionOf(run.metadata);
      return {
        revision,
        created: run.metadata?.creationTimestamp,
        name: run.metadata?.name ?? '',
        info: compact({
          objectMeta: objectMeta(run.metadata),
          icon: analysisIcon(run.status?.phase),
          revision,
          status: run.status?.phase,
          ...counts,
          jobs,
          nonJobInfo,
          metrics,
          specAndStatus: compact({ spec: run.spec, status: run.status }),
        }) as JsonObject,
      };
    });
  rows.sort(
    (a, b) => b.revision - a.revision || byTime(a.created, b.created) || b.name.localeCompare(a.name),
  );
  return rows.map((r) => r.info);
}

export function experimentInfos(
  rollout: Rollout,
  experiments: readonly Experiment[],
  replicaSets: readonly ReplicaSet[],
  runs: readonly AnalysisRun[],
  pods: readonly Pod[],
): JsonObject[] {
  const rows = experiments
    .filter((e) => ownedBy(e, rollout.metadata?.uid))
    .map((e) => ({
      revision: revisionOf(e.metadata),
      created: e.metadata?.creationTimestamp,
      info: compact({
        objectMeta: objectMeta(e.metadata),
        icon: analysisIcon(e.status?.phase),
        revision: revisionOf(e.metadata),
        status: e.status?.phase,
        message: e.status?.message,
        replicaSets: replicaSetInfos(e.metadata?.uid, undefined, replicaSets, pods),
        analysisRuns: analysisRunInfos(e.metadata?.uid, runs),
      }) as JsonObject,
    }));
  rows.sort((a, b) => b.revision - a.revision || byTime(a.created, b.created));
  return rows.map((r) => r.info);
}

// --- the Rollout (info/rollout_info.go) ---

/** GetRolloutPhase: the controller's phase unless the latest spec or unpause is unobserved. */
export function rolloutPhase(rollout: Rollout): { phase: string; message: string } {
  const status = rollout.status ?? {};
  const observed = Number.parseInt(status.observedGeneration ?? '', 10);
  const generation = rollout.metadata?.generation ?? 0;
  if (!Number.isNaN(observed) && observed < generation) {
    return { phase: 'Progressing', message: 'waiting for rollout spec update to be observed' };
  }
  if (status.controllerPause && (status.pauseConditions?.length ?? 0) === 0) {
    return { phase: 'Progressing', message: 'waiting for rollout to unpause' };
  }
  return { phase: status.phase ?? 'Progressing', message: status.message ?? '' };
}

export function rolloutIcon(status: string): string {
  const icons: Record<string, string> = {
    Progressing: ICONS.progressing,
    Error: ICONS.warning,
    InvalidSpec: ICONS.warning,
    Paused: ICONS.paused,
    Healthy: ICONS.ok,
    Degraded: ICONS.bad,
    Unknown: ICONS.unknown,
    ScaledDown: ICONS.neutral,
  };
  return icons[status] ?? ' ';
}

function currentStep(rollout: Rollout): { step: CanaryStep; index: number } | undefined {
  const steps = rollout.spec.strategy.canary?.steps ?? [];
  const index = rollout.status?.currentStepIndex ?? 0;
  if (steps.length === 0 || index >= steps.length) return undefined;
  return { step: steps[index] as CanaryStep, index };
}

function maxTrafficWeight(rollout: Rollout): number {
  const routing = rollout.spec.strategy.canary?.trafficRouting as { maxTrafficWeight?: number } | undefined;
  return routing?.maxTrafficWeight ?? 100;
}

/** GetCurrentSetWeight: the weight of the last setWeight step at or before the current one. */
export function currentSetWeight(rollout: Rollout): number {
  if (rollout.status?.abort) return 0;
  const current = currentStep(rollout);
  if (!current) return maxTrafficWeight(rollout);
  return weightAtStep(rollout.spec.strategy.canary?.steps ?? [], current.index, maxTrafficWeight(rollout));
}

export interface RolloutObjects {
  replicaSets: readonly ReplicaSet[];
  pods: readonly Pod[];
  experiments?: readonly Experiment[];
  analysisRuns?: readonly AnalysisRun[];
  /** The Deployment of spec.workloadRef, whose containers are then the Rollout's. */
  workload?: { spec?: { template?: PodTemplate } };
}

/** NewRolloutInfo. The list endpoints leave out experiments and analysis runs, as Argo does. */
export function rolloutInfo(rollout: Rollout, objects: RolloutObjects): JsonObject {
  const uid = rollout.metadata?.uid;
  const replicaSets = replicaSetInfos(uid, rollout, objects.replicaSets, objects.pods);
  const fields: JsonObject = {};
  const canary = rollout.spec.strategy.canary;
  if (canary) {
    fields.strategy = 'Canary';
    const steps = canary.steps ?? [];
    if (rollout.status?.currentStepIndex !== undefined && steps.length > 0) {
      fields.step = `${rollout.status.currentStepIndex}/${steps.length}`;
      fields.steps = steps;
    }
    const setWeight = currentSetWeight(rollout);
    fields.setWeight = String(setWeight);
    let actual = 0;
    const available = rollout.status?.availableReplicas ?? 0;
    if (!currentStep(rollout)) {
      actual = maxTrafficWeight(rollout);
    } else if (available > 0) {
      if (!canary.trafficRouting) {
        for (const rs of replicaSets) {
          if (rs.canary)
            actual = Math.trunc((Number(rs.available ?? 0) * maxTrafficWeight(rollout)) / available);
        }
      } else {
        actual = rollout.status?.canary?.weights?.canary.weight ?? setWeight;
      }
    }
    fields.actualWeight = String(actual);
  } else if (rollout.spec.strategy.blueGreen) {
    fields.strategy = 'BlueGreen';
  }
  const { phase, message } = rolloutPhase(rollout);
  const template = (objects.workload?.spec?.template ?? rollout.spec.template) as PodTemplate | undefined;
  const containerInfo = (c: Container) => compact({ name: c.name, image: c.image });
  return compact({
    objectMeta: {
      ...compact({
        name: rollout.metadata?.name,
        namespace: rollout.metadata?.namespace,
        uid,
        resourceVersion: rollout.metadata?.resourceVersion,
        generation: rollout.metadata?.generation,
      }),
      ...(rollout.metadata?.labels && { labels: rollout.metadata.labels }),
      ...(rollout.metadata?.annotations && { annotations: rollout.metadata.annotations }),
      creationTimestamp: rollout.metadata?.creationTimestamp ?? null,
    },
    status: phase,
    message,
    icon: rolloutIcon(phase),
    ...fields,
    ready: rollout.status?.readyReplicas,
    current: rollout.status?.replicas,
    desired: rollout.spec.replicas ?? 1,
    updated: rollout.status?.updatedReplicas,
    available: rollout.status?.availableReplicas,
    restartedAt: rollout.status?.restartedAt ?? 'Never',
    generation: rollout.status?.observedGeneration,
    replicaSets,
    experiments: experimentInfos(
      rollout,
      objects.experiments ?? [],
      objects.replicaSets,
      objects.analysisRuns ?? [],
      objects.pods,
    ),
    analysisRuns: analysisRunInfos(uid, objects.analysisRuns ?? []),
    containers: (template?.spec?.containers ?? []).map(containerInfo),
    initContainers: (template?.spec?.initContainers ?? []).map(containerInfo),
  });
}
