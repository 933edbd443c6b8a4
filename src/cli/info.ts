// What `get rollout` / `get experiment` / `status` show, derived from the objects as Argo's
// plugin derives it (pkg/kubectl-argo-rollouts/info in Argo Rollouts v1.10.2): the revision
// tree of ReplicaSets, pods, AnalysisRuns and Experiments, with statuses and icons. Pure.
import {
  EXPERIMENT_TEMPLATE_NAME_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  SCALE_DOWN_DEADLINE_ANNOTATION,
} from '../api/labels.js';
import type { RolloutSpec, RolloutStatus } from '../api/rollout.js';
import type { KubeObject, ObjectMeta } from '../kube/object.js';
import { rolloutPhase as calculatePhase } from '../rollout/status.js';
import { weightAtStep } from '../rollout/steps.js';

export const Icon = {
  Waiting: '◷',
  Progressing: '◌',
  Warning: '⚠',
  Unknown: '?',
  OK: '✔',
  Bad: '✖',
  Paused: '॥',
  Neutral: '•',
} as const;

export const Tag = {
  Canary: 'canary',
  Stable: 'stable',
  Active: 'active',
  Preview: 'preview',
  Ping: 'ping',
  Pong: 'pong',
} as const;

// Loose shapes: the plugin reads whatever the cluster holds, so every field is optional.
type Json = Record<string, unknown>;
interface Container {
  name?: string;
  image?: string;
  restartPolicy?: string;
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: { containers?: Container[]; initContainers?: Container[] };
}
export interface ReplicaSetObject extends KubeObject {
  spec?: { replicas?: number; template?: PodTemplate };
  status?: {
    replicas?: number;
    availableReplicas?: number;
    observedGeneration?: number;
    conditions?: { type?: string; status?: string }[];
  };
}
interface ContainerState {
  waiting?: { reason?: string };
  running?: Json;
  terminated?: { exitCode?: number; signal?: number; reason?: string };
}
interface ContainerStatus {
  name?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
}
export interface PodObject extends KubeObject {
  spec?: { containers?: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    reason?: string;
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}
interface MetricResultObject {
  name?: string;
  successful?: number;
  failed?: number;
  inconclusive?: number;
  error?: number;
  measurements?: { phase?: string; startedAt?: string; metadata?: Record<string, string> }[];
}
export interface AnalysisRunObject extends KubeObject {
  status?: { phase?: string; metricResults?: MetricResultObject[] };
}
export interface ExperimentObject extends KubeObject {
  spec?: { duration?: string };
  status?: { phase?: string; message?: string; availableAt?: string };
}
interface CanaryStepObject {
  setWeight?: number;
}
export interface RolloutObject extends KubeObject {
  spec?: {
    replicas?: number;
    paused?: boolean;
    restartAt?: string;
    workloadRef?: { kind?: string; name?: string };
    template?: PodTemplate;
    strategy?: {
      canary?: {
        steps?: CanaryStepObject[];
        trafficRouting?: { maxTrafficWeight?: number } & Json;
        pingPong?: Json;
      };
      blueGreen?: Json;
    };
  };
  status?: {
    phase?: string;
    message?: string;
    observedGeneration?: string | number;
    controllerPause?: boolean;
    pauseConditions?: unknown[];
    currentStepIndex?: number;
    abort?: boolean;
    stableRS?: string;
    currentPodHash?: string;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    blueGreen?: { activeSelector?: string; previewSelector?: string };
    canary?: { weights?: { canary?: { weight?: number } } };
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}
export interface DeploymentObject extends KubeObject {
  spec?: { template?: PodTemplate };
}

export interface PodInfo {
  meta: ObjectMeta;
  status: string;
  icon: string;
  ready: string;
  restarts: number;
}
export interface ReplicaSetInfo {
  meta: ObjectMeta;
  status: string;
  icon: string;
  revision: number;
  template: string;
  scaleDownDeadline: string;
  replicas: number;
  available: number;
  stable: boolean;
  canary: boolean;
  active: boolean;
  preview: boolean;
  ping: boolean;
  pong: boolean;
  images: string[];
  pods: PodInfo[];
}
export interface JobInfo {
  meta: ObjectMeta;
  status: string;
  icon: string;
}
export interface AnalysisRunInfo {
  meta: ObjectMeta;
  status: string;
  icon: string;
  revision: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  jobs: JobInfo[];
}
export interface ExperimentInfo {
  meta: ObjectMeta;
  status: string;
  message: string;
  icon: string;
  revision: number;
  replicaSets: ReplicaSetInfo[];
  analysisRuns: AnalysisRunInfo[];
}
export interface RolloutInfo {
  meta: ObjectMeta;
  status: string;
  message: string;
  icon: string;
  strategy: string;
  step: string;
  setWeight: string;
  actualWeight: string;
  desired: number;
  current: number;
  updated: number;
  ready: number;
  available: number;
  containers: { name: string; image: string }[];
  initContainers: { name: string; image: string }[];
  replicaSets: ReplicaSetInfo[];
  experiments: ExperimentInfo[];
  analysisRuns: AnalysisRunInfo[];
}
export interface ImageInfo {
  image: string;
  tags: string[];
}

/** Everything in the namespace the tree may draw from. */
export interface Related {
  replicaSets: readonly ReplicaSetObject[];
  pods: readonly PodObject[];
  analysisRuns: readonly AnalysisRunObject[];
  experiments: readonly ExperimentObject[];
}

const time = (timestamp: string | undefined) => (timestamp ? Date.parse(timestamp) : 0);

function ownedBy(object: KubeObject, uids: readonly (string | undefined)[]): string | undefined {
  for (const ref of object.metadata?.ownerReferences ?? []) {
    if (uids.includes(ref.uid)) return ref.uid;
  }
  return undefined;
}

function revisionOf(object: KubeObject): number {
  const text = object.metadata?.annotations?.[REVISION_ANNOTATION];
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return 0;
  return Number(text);
}

function slim(meta: ObjectMeta | undefined): ObjectMeta {
  return {
    name: meta?.name ?? '',
    namespace: meta?.namespace ?? '',
    uid: meta?.uid,
    creationTimestamp: meta?.creationTimestamp,
  };
}

export function maxTrafficWeight(ro: RolloutObject): number {
  return ro.spec?.strategy?.canary?.trafficRouting?.maxTrafficWeight ?? 100;
}

/** Argo's GetCurrentCanaryStep: the step at status.currentStepIndex, or none past the end. */
function currentCanaryStep(ro: RolloutObject): { step?: CanaryStepObject; index?: number } {
  const steps = ro.spec?.strategy?.canary?.steps;
  if (!ro.spec?.strategy?.canary || !steps || steps.length === 0) return {};
  const index = ro.status?.currentStepIndex ?? 0;
  return { step: steps[index], index };
}

/** Argo's GetCurrentSetWeight: the desired (not actual) canary weight. */
export function currentSetWeight(ro: RolloutObject): number {
  if (ro.status?.abort) return 0;
  const { step, index } = currentCanaryStep(ro);
  if (!step || index === undefined) return maxTrafficWeight(ro);
  return weightAtStep(ro.spec?.strategy?.canary?.steps ?? [], index, maxTrafficWeight(ro));
}

/**
 * Argo's GetRolloutPhase as a client sees it: an unobserved spec change or a pending unpause
 * is Progressing; otherwise the controller's status.phase (Slipway writes it as Argo does).
 */
export function rolloutPhase(ro: RolloutObject): { phase: string; message: string } {
  const observed = ro.status?.observedGeneration;
  const observedNumber = typeof observed === 'number' ? observed : Number(observed);
  const generation = ro.metadata?.generation ?? 0;
  if (
    observed !== undefined &&
    observed !== '' &&
    Number.isInteger(observedNumber) &&
    observedNumber < generation
  ) {
    return { phase: 'Progressing', message: 'waiting for rollout spec update to be observed' };
  }
  if (ro.status?.controllerPause && (ro.status.pauseConditions?.length ?? 0) === 0) {
    return { phase: 'Progressing', message: 'waiting for rollout to unpause' };
  }
  if (ro.status?.phase) return { phase: ro.status.phase, message: ro.status.message ?? '' };
  // No phase yet (a pre-1.0 status or a controller that has not seen it): computed as Argo does.
  if (!ro.spec?.strategy) return { phase: 'Progressing', message: '' };
  return calculatePhase(ro.spec as RolloutSpec, (ro.status ?? {}) as RolloutStatus);
}

function rolloutIcon(status: string): string {
  switch (status) {
    case 'Progressing':
      return Icon.Progressing;
    case 'Error':
    case 'InvalidSpec':
      return Icon.Warning;
    case 'Paused':
      return Icon.Paused;
    case 'Healthy':
      return Icon.OK;
    case 'Degraded':
      return Icon.Bad;
    case 'Unknown':
      return Icon.Unknown;
    case 'ScaledDown':
      return Icon.Neutral;
  }
  return ' ';
}

function replicaSetHealth(rs: ReplicaSetObject): string {
  if ((rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0)) {
    const failure = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    if (failure?.status === 'True') return 'ReplicaFailure';
    if (rs.spec?.replicas !== undefined && (rs.status?.availableReplicas ?? 0) < rs.spec.replicas) {
      return 'Progressing';
    }
  } else {
    return 'Progressing';
  }
  if (rs.spec?.replicas === 0) return 'ScaledDown';
  return 'Healthy';
}

function replicaSetIcon(status: string): string {
  switch (status) {
    case 'Progressing':
      return Icon.Progressing;
    case 'Healthy':
      return Icon.OK;
    case 'ReplicaFailure':
      return Icon.Bad;
    case 'ScaledDown':
      return Icon.Neutral;
  }
  return ' ';
}

function isPingPong(ro: RolloutObject): boolean {
  return ro.spec?.strategy?.canary?.pingPong !== undefined;
}

export function replicaSetInfos(
  ownerUid: string | undefined,
  ro: RolloutObject | undefined,
  replicaSets: readonly ReplicaSetObject[],
  pods: readonly PodObject[],
): ReplicaSetInfo[] {
  const infos: ReplicaSetInfo[] = [];
  for (const rs of replicaSets) {
    if (!ownedBy(rs, [ownerUid])) continue;
    const status = replicaSetHealth(rs);
    const info: ReplicaSetInfo = {
      meta: slim(rs.metadata),
      status,
      icon: replicaSetIcon(status),
      revision: revisionOf(rs),
      template: rs.metadata?.annotations?.[EXPERIMENT_TEMPLATE_NAME_ANNOTATION] ?? '',
      scaleDownDeadline: rs.metadata?.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION] ?? '',
      replicas: rs.status?.replicas ?? 0,
      available: rs.status?.availableReplicas ?? 0,
      stable: false,
      canary: false,
      active: false,
      preview: false,
      ping: false,
      pong: false,
      images: (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ''),
      pods: [],
    };
    if (ro) {
      const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
      if (ro.spec?.strategy?.canary) {
        // Argo's IsStablePing.
        const stableIsPing =
          (ro.status as { canary?: { stablePingPong?: string } } | undefined)?.canary?.stablePingPong ===
          'ping';
        if (ro.status?.stableRS === hash) {
          info.stable = true;
          if (isPingPong(ro)) {
            info.ping = stableIsPing;
            info.pong = !stableIsPing;
          }
        } else if (ro.status?.currentPodHash === hash) {
          info.canary = true;
          if (isPingPong(ro)) {
            info.ping = !stableIsPing;
            info.pong = stableIsPing;
          }
        }
      }
      if (ro.spec?.strategy?.blueGreen) {
        if (ro.status?.stableRS === hash) info.stable = true;
        if (ro.status?.blueGreen?.activeSelector === hash) info.active = true;
        else if (ro.status?.blueGreen?.previewSelector === hash) info.preview = true;
      }
    }
    infos.push(info);
  }
  infos.sort((a, b) => {
    if (a.revision !== b.revision) return b.revision - a.revision;
    return (a.meta.name ?? '') < (b.meta.name ?? '') ? -1 : (a.meta.name ?? '') > (b.meta.name ?? '') ? 1 : 0;
  });
  const byUid = new Map(infos.map((info) => [info.meta.uid, info]));
  for (const pod of pods) {
    const owner = ownedBy(
      pod,
      infos.map((i) => i.meta.uid),
    );
    if (owner) byUid.get(owner)?.pods.push(podInfo(pod));
  }
  for (const info of infos) {
    info.pods.sort((a, b) => {
      const ta = time(a.meta.creationTimestamp);
      const tb = time(b.meta.creationTimestamp);
      if (ta !== tb) return ta - tb;
      return (a.meta.name ?? '') < (b.meta.name ?? '') ? -1 : 1;
    });
  }
  return infos;
}

/** The pod's STATUS as kubectl and Argo's plugin print it, its ready count and restarts. */
export function podInfo(pod: PodObject): PodInfo {
  let restarts = 0;
  const sidecars = new Map(
    (pod.spec?.initContainers ?? []).map((c) => [c.name ?? '', c.restartPolicy === 'Always']),
  );
  const total = pod.spec?.containers?.length ?? 0;
  let ready = 0;
  let reason = pod.status?.phase ?? '';
  if (pod.status?.reason) reason = pod.status.reason;
  let initializing = false;
  const initStatuses = pod.status?.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] ?? {};
    restarts += c.restartCount ?? 0;
    const terminated = c.state?.terminated;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
      initializing = true;
    } else if (sidecars.get(c.name ?? '') && c.started) {
      if (c.ready) continue;
    } else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${c.state.waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${pod.spec?.initContainers?.length ?? 0}`;
      initializing = true;
    }
    break;
  }
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    const statuses = pod.status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {};
      restarts += c.restartCount ?? 0;
      const terminated = c.state?.terminated;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      } else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (pod.metadata?.deletionTimestamp && pod.status?.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp) reason = 'Terminating';
  return {
    meta: slim(pod.metadata),
    status: reason,
    icon: podIcon(reason),
    ready: `${ready}/${total}`,
    restarts,
  };
}

function podIcon(status: string): string {
  if (status.startsWith('Init:')) return Icon.Progressing;
  if (status.startsWith('Signal:') || status.startsWith('ExitCode:')) return Icon.Bad;
  if (status.endsWith('Error') || status.startsWith('Err')) return Icon.Warning;
  switch (status) {
    case 'Pending':
    case 'Terminating':
    case 'ContainerCreating':
      return Icon.Progressing;
    case 'Running':
    case 'Completed':
      return Icon.OK;
    case 'Failed':
    case 'InvalidImageName':
    case 'CrashLoopBackOff':
      return Icon.Bad;
    case 'ImagePullBackOff':
    case 'RegistryUnavailable':
      return Icon.Warning;
    case 'Unknown':
      return Icon.Unknown;
  }
  return ' ';
}

export function analysisIcon(phase: string | undefined): string {
  switch (phase) {
    case 'Successful':
      return Icon.OK;
    case 'Inconclusive':
      return Icon.Unknown;
    case 'Failed':
      return Icon.Bad;
    case 'Error':
      return Icon.Warning;
    case 'Running':
      return Icon.Progressing;
    case 'Pending':
      return Icon.Waiting;
  }
  return ' ';
}

const JOB_NAME_KEY = 'job-name';
const JOB_NAMESPACE_KEY = 'job-namespace';

export function analysisRunInfos(
  ownerUid: string | undefined,
  runs: readonly AnalysisRunObject[],
): AnalysisRunInfo[] {
  const infos: AnalysisRunInfo[] = [];
  for (const run of runs) {
    if (!ownedBy(run, [ownerUid])) continue;
    const info: AnalysisRunInfo = {
      meta: slim(run.metadata),
      status: run.status?.phase ?? '',
      icon: analysisIcon(run.status?.phase),
      revision: revisionOf(run),
      successful: 0,
      failed: 0,
      inconclusive: 0,
      error: 0,
      jobs: [],
    };
    for (const result of run.status?.metricResults ?? []) {
      info.successful += result.successful ?? 0;
      info.failed += result.failed ?? 0;
      info.inconclusive += result.inconclusive ?? 0;
      info.error += result.error ?? 0;
      for (const m of result.measurements ?? []) {
        const jobName = m.metadata?.[JOB_NAME_KEY];
        if (jobName === undefined) continue;
        info.jobs.push({
          meta: {
            name: jobName,
            namespace: m.metadata?.[JOB_NAMESPACE_KEY] ?? run.metadata?.namespace ?? '',
            creationTimestamp: m.startedAt,
          },
          status: m.phase ?? '',
          icon: analysisIcon(m.phase),
        });
      }
    }
    infos.push(info);
  }
  infos.sort((a, b) => {
    if (a.revision !== b.revision) return b.revision - a.revision;
    const ta = time(a.meta.creationTimestamp);
    const tb = time(b.meta.creationTimestamp);
    if (ta !== tb) return ta - tb;
    return (a.meta.name ?? '') > (b.meta.name ?? '') ? -1 : 1;
  });
  return infos;
}

export function experimentInfo(experiment: ExperimentObject, related: Related): ExperimentInfo {
  const uid = experiment.metadata?.uid;
  return {
    meta: slim(experiment.metadata),
    status: experiment.status?.phase ?? '',
    message: experiment.status?.message ?? '',
    icon: analysisIcon(experiment.status?.phase),
    revision: revisionOf(experiment),
    replicaSets: replicaSetInfos(uid, undefined, related.replicaSets, related.pods),
    analysisRuns: analysisRunInfos(uid, related.analysisRuns),
  };
}

export function rolloutInfo(ro: RolloutObject, related: Related, workload?: DeploymentObject): RolloutInfo {
  const uid = ro.metadata?.uid;
  const replicaSets = replicaSetInfos(uid, ro, related.replicaSets, related.pods);
  const experiments = related.experiments
    .filter((e) => ownedBy(e, [uid]))
    .map((e) => experimentInfo(e, related))
    .sort(
      (a, b) => b.revision - a.revision || time(a.meta.creationTimestamp) - time(b.meta.creationTimestamp),
    );
  const { phase, message } = rolloutPhase(ro);
  const info: RolloutInfo = {
    meta: slim(ro.metadata),
    status: phase,
    message,
    icon: rolloutIcon(phase),
    strategy: '',
    step: '',
    setWeight: '',
    actualWeight: '',
    desired: ro.spec?.replicas ?? 1,
    current: ro.status?.replicas ?? 0,
    updated: ro.status?.updatedReplicas ?? 0,
    ready: ro.status?.readyReplicas ?? 0,
    available: ro.status?.availableReplicas ?? 0,
    containers: [],
    initContainers: [],
    replicaSets,
    experiments,
    analysisRuns: analysisRunInfos(uid, related.analysisRuns),
  };
  const canary = ro.spec?.strategy?.canary;
  if (canary) {
    info.strategy = 'Canary';
    const steps = canary.steps ?? [];
    if (ro.status?.currentStepIndex !== undefined && steps.length > 0) {
      info.step = `${ro.status.currentStepIndex}/${steps.length}`;
    }
    info.setWeight = String(currentSetWeight(ro));
    info.actualWeight = '0';
    const { step } = currentCanaryStep(ro);
    const availableTotal = ro.status?.availableReplicas ?? 0;
    if (!step) {
      info.actualWeight = String(maxTrafficWeight(ro));
    } else if (availableTotal > 0) {
      if (!canary.trafficRouting) {
        for (const rs of replicaSets) {
          if (rs.canary) {
            info.actualWeight = String(Math.trunc((rs.available * maxTrafficWeight(ro)) / availableTotal));
          }
        }
      } else {
        const weight = ro.status?.canary?.weights?.canary?.weight;
        info.actualWeight = weight !== undefined ? String(weight) : info.setWeight;
      }
    }
  } else if (ro.spec?.strategy?.blueGreen) {
    info.strategy = 'BlueGreen';
  }
  const template = workload ? workload.spec?.template : ro.spec?.template;
  info.containers = (template?.spec?.containers ?? []).map((c) => ({
    name: c.name ?? '',
    image: c.image ?? '',
  }));
  info.initContainers = (template?.spec?.initContainers ?? []).map((c) => ({
    name: c.name ?? '',
    image: c.image ?? '',
  }));
  return info;
}

function mergeImage(image: ImageInfo, images: ImageInfo[]): ImageInfo[] {
  const existing = images.find((i) => i.image === image.image);
  if (!existing) images.push({ image: image.image, tags: [...image.tags] });
  else existing.tags = [...new Set([...image.tags, ...existing.tags])].sort();
  return images.sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
}

/** Running images with their stack tags (canary, stable, ...), as the "Images:" lines. */
export function rolloutImages(info: RolloutInfo): ImageInfo[] {
  let images: ImageInfo[] = [];
  for (const rs of info.replicaSets) {
    if (rs.replicas <= 0) continue;
    for (const image of rs.images) {
      const tags: string[] = [];
      if (rs.canary) tags.push(Tag.Canary);
      if (rs.stable) tags.push(Tag.Stable);
      if (rs.active) tags.push(Tag.Active);
      if (rs.preview) tags.push(Tag.Preview);
      if (rs.ping) tags.push(Tag.Ping);
      if (rs.pong) tags.push(Tag.Pong);
      images = mergeImage({ image, tags }, images);
    }
  }
  for (const experiment of info.experiments) {
    for (const image of experimentImages(experiment)) images = mergeImage(image, images);
  }
  return images;
}

export function experimentImages(info: ExperimentInfo): ImageInfo[] {
  let images: ImageInfo[] = [];
  for (const rs of info.replicaSets) {
    if (rs.replicas <= 0) continue;
    for (const image of rs.images) {
      images = mergeImage({ image, tags: rs.template ? [`Σ:${rs.template}`] : [] }, images);
    }
  }
  return images;
}

/** Revisions that have anything in the tree, newest first. */
export function revisions(info: RolloutInfo): number[] {
  const set = new Set<number>();
  for (const rs of info.replicaSets) set.add(rs.revision);
  for (const e of info.experiments) set.add(e.revision);
  for (const a of info.analysisRuns) set.add(a.revision);
  return [...set].sort((a, b) => b - a);
}
