// The dashboard API as the UI uses it: Argo's paths relative to the page (so --root-path just
// works), live streams through EventSource, and errors turned into readable messages.

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string | null;
  annotations?: Record<string, string>;
}
export interface PodInfo {
  objectMeta: ObjectMeta;
  status?: string;
  icon?: string;
  ready?: string;
  restarts?: number;
}
export interface ReplicaSetInfo {
  objectMeta: ObjectMeta;
  status?: string;
  icon?: string;
  revision?: number;
  stable?: boolean;
  canary?: boolean;
  active?: boolean;
  preview?: boolean;
  replicas?: number;
  available?: number;
  template?: string;
  images?: string[];
  pods?: PodInfo[];
}
export interface Measurement {
  phase: string;
  value?: string;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
}
export interface AnalysisRunInfo {
  objectMeta: ObjectMeta;
  icon?: string;
  revision?: number;
  status?: string;
  successful?: number;
  failed?: number;
  inconclusive?: number;
  error?: number;
  metrics?: { name: string; successCondition?: string; count?: number; failureLimit?: number }[];
  specAndStatus?: {
    status?: {
      message?: string;
      metricResults?: { name: string; phase: string; message?: string; measurements?: Measurement[] }[];
    };
  };
}
export interface ExperimentInfo {
  objectMeta: ObjectMeta;
  icon?: string;
  revision?: number;
  status?: string;
  message?: string;
  replicaSets?: ReplicaSetInfo[];
  analysisRuns?: AnalysisRunInfo[];
}
export type CanaryStep = Record<string, unknown>;
export interface RolloutInfo {
  objectMeta: ObjectMeta;
  status?: string;
  message?: string;
  icon?: string;
  strategy?: string;
  step?: string;
  setWeight?: string;
  actualWeight?: string;
  ready?: number;
  current?: number;
  desired?: number;
  updated?: number;
  available?: number;
  restartedAt?: string;
  replicaSets?: ReplicaSetInfo[];
  experiments?: ExperimentInfo[];
  analysisRuns?: AnalysisRunInfo[];
  containers?: { name: string; image?: string }[];
  steps?: CanaryStep[];
}
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}
export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  object?: string;
  lastTimestamp?: string;
}
export interface RolloutExtras {
  conditions: Condition[];
  pauseConditions: { reason: string; startTime: string }[];
  paused: boolean;
  abort: boolean;
  currentStepIndex: number | null;
  revision: string;
  events: KubeEvent[];
}
export interface Settings {
  readOnly: boolean;
  version: string;
}

/** The API root next to index.html, whatever path the dashboard is served under. */
const API = new URL('api/v1/', new URL('.', window.location.href)).href;

const seg = encodeURIComponent;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(API + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const message =
      (parsed as { message?: string } | undefined)?.message ?? (text.slice(0, 300) || response.statusText);
    throw new Error(`${response.status}: ${message}`);
  }
  return parsed as T;
}

export const api = {
  settings: () => call<Settings>('GET', 'slipway/settings'),
  namespace: () => call<{ namespace?: string; availableNamespaces?: string[] }>('GET', 'namespace'),
  extras: (ns: string, name: string) =>
    call<RolloutExtras>('GET', `slipway/rollouts/${seg(ns)}/${seg(name)}`),
  promote: (ns: string, name: string, full: boolean) =>
    call('PUT', `rollouts/${seg(ns)}/${seg(name)}/promote`, { name, namespace: ns, full }),
  abort: (ns: string, name: string) =>
    call('PUT', `rollouts/${seg(ns)}/${seg(name)}/abort`, { name, namespace: ns }),
  retry: (ns: string, name: string) =>
    call('PUT', `rollouts/${seg(ns)}/${seg(name)}/retry`, { name, namespace: ns }),
  restart: (ns: string, name: string) =>
    call('PUT', `rollouts/${seg(ns)}/${seg(name)}/restart`, { name, namespace: ns }),
  pause: (ns: string, name: string, paused: boolean) =>
    call('PUT', `rollouts/${seg(ns)}/${seg(name)}/pause`, { paused }),
  setImage: (ns: string, name: string, container: string, image: string) => {
    // Argo's route splits image and tag at the last ':' after the last '/'.
    const slash = image.lastIndexOf('/');
    const colon = image.lastIndexOf(':');
    const [repo, tag] = colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, 'latest'];
    const repoPath = repo.split('/').map(seg).join('/');
    return call('PUT', `rollouts/${seg(ns)}/${seg(name)}/set/${seg(container)}/${repoPath}/${seg(tag)}`, {});
  },
  approve: (ns: string, pipeline: string, environment: string, image: string) =>
    call('PUT', `slipway/promotionpipelines/${seg(ns)}/${seg(pipeline)}/approve`, { environment, image }),
  release: (ns: string, pipeline: string, image: string) =>
    call('PUT', `slipway/promotionpipelines/${seg(ns)}/${seg(pipeline)}/release`, { image }),
  undo: (ns: string, name: string, revision: number) =>
    call('PUT', `rollouts/${seg(ns)}/${seg(name)}/undo/${revision}`, {}),
};

/**
 * Follows a watch stream; `onResult` gets each `result`. EventSource reconnects by itself
 * after a dropped connection; `onState` tells the page whether it is live.
 */
export function follow<T>(
  path: string,
  onResult: (result: T) => void,
  onState: (live: boolean) => void,
): () => void {
  const source = new EventSource(API + path);
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  source.onmessage = (message) => {
    try {
      onResult((JSON.parse(message.data) as { result: T }).result);
    } catch {
      // A malformed frame is skipped; the next update carries the whole state again.
    }
  };
  return () => source.close();
}
