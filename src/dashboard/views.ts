// Informer caches per namespace for the dashboard: Rollouts and what their view is built from
// (ReplicaSets, pods, AnalysisRuns, Experiments). One set per namespace shared by every
// request and watch stream, started on first use; the least recently used set is stopped when
// more than `maxNamespaces` are open (never one a watch stream follows), so a dashboard left
// open for days stays bounded.
import type { AnalysisRun } from '../api/analysis.js';
import type { Experiment } from '../api/experiment.js';
import { ANALYSIS_RUN_KIND, apiResourceOf, EXPERIMENT_KIND, ROLLOUT_KIND } from '../api/kinds.js';
import type { Rollout } from '../api/rollout.js';
import type { Informer } from '../kube/informer.js';
import type { KubeObject } from '../kube/object.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import { type JsonObject, type Pod, type ReplicaSet, rolloutInfo } from './info.js';
import { NamespaceInformers } from './namespace-informers.js';

const SYNC_TIMEOUT_MS = 30_000;

export type RolloutListener = (name: string, deleted: boolean) => void;

export class NamespaceView extends NamespaceInformers<RolloutListener> {
  readonly rollouts: Informer<Rollout>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly pods: Informer<Pod>;
  readonly analysisRuns: Informer<AnalysisRun>;
  readonly experiments: Informer<Experiment>;
  private readonly pending = new Map<string, boolean>();
  lastUsed = Date.now();

  constructor(namespace: string, client: RestClient, onError: (error: Error) => void) {
    super(namespace, client, onError, SYNC_TIMEOUT_MS);
    this.rollouts = this.informer<Rollout>(apiResourceOf(ROLLOUT_KIND));
    this.replicaSets = this.informer<ReplicaSet>(coreResources.replicaSets);
    this.pods = this.informer<Pod>(coreResources.pods);
    this.analysisRuns = this.informer<AnalysisRun>(apiResourceOf(ANALYSIS_RUN_KIND));
    this.experiments = this.informer<Experiment>(apiResourceOf(EXPERIMENT_KIND));
    this.rollouts.addHandlers({
      add: (ro) => this.touch(ro.metadata?.name, false),
      update: (_, ro) => this.touch(ro.metadata?.name, false),
      delete: (ro) => this.touch(ro.metadata?.name, true),
    });
    const byOwner = (object: KubeObject) => {
      for (const name of this.rolloutsOf(object)) this.touch(name, false);
    };
    for (const inf of [
      this.replicaSets,
      this.pods,
      this.analysisRuns,
      this.experiments,
    ] as Informer<KubeObject>[]) {
      inf.addHandlers({ add: byOwner, update: (_, o) => byOwner(o), delete: byOwner });
    }
  }

  /** Rollouts an object belongs to: directly, through its ReplicaSet, or through an Experiment. */
  rolloutsOf(object: KubeObject, depth = 0): string[] {
    const names: string[] = [];
    for (const ref of object.metadata?.ownerReferences ?? []) {
      if (ref.kind === 'Rollout') names.push(ref.name);
      else if (depth < 2 && ref.kind === 'ReplicaSet') {
        const rs = this.replicaSets.get(this.namespace, ref.name);
        if (rs) names.push(...this.rolloutsOf(rs, depth + 1));
      } else if (depth < 2 && ref.kind === 'Experiment') {
        const ex = this.experiments.get(this.namespace, ref.name);
        if (ex) names.push(...this.rolloutsOf(ex, depth + 1));
      }
    }
    return names;
  }

  private touch(name: string | undefined, deleted: boolean): void {
    if (!name || this.listeners.size === 0) return;
    this.pending.set(name, deleted || (this.pending.get(name) ?? false));
    this.notifySoon(() => {
      const batch = [...this.pending];
      this.pending.clear();
      for (const [rollout, gone] of batch) {
        const stillGone = gone && !this.rollouts.get(this.namespace, rollout);
        for (const listener of this.listeners) listener(rollout, stillGone);
      }
    });
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  rolloutNames(): string[] {
    return this.rollouts
      .list(this.namespace)
      .map((r) => r.metadata?.name ?? '')
      .sort();
  }

  /** The full view (`/{name}/info`), or undefined when the Rollout does not exist. */
  info(name: string, full: boolean): JsonObject | undefined {
    const rollout = this.rollouts.get(this.namespace, name);
    if (!rollout) return undefined;
    const uid = rollout.metadata?.uid ?? '';
    const replicaSets = this.replicaSets.byOwner(uid);
    const pods = replicaSets.flatMap((rs) => this.pods.byOwner(rs.metadata?.uid ?? ''));
    if (!full) return rolloutInfo(rollout, { replicaSets, pods });
    const experiments = this.experiments.byOwner(uid);
    const experimentRs = experiments.flatMap((e) => this.replicaSets.byOwner(e.metadata?.uid ?? ''));
    const allRs = [...replicaSets, ...experimentRs];
    return rolloutInfo(rollout, {
      replicaSets: allRs,
      pods: allRs.flatMap((rs) => this.pods.byOwner(rs.metadata?.uid ?? '')),
      experiments,
      analysisRuns: [
        ...this.analysisRuns.byOwner(uid),
        ...experiments.flatMap((e) => this.analysisRuns.byOwner(e.metadata?.uid ?? '')),
      ],
    });
  }
}

export class NamespaceViews {
  private readonly views = new Map<string, Promise<NamespaceView>>();

  constructor(
    private readonly client: RestClient,
    private readonly onError: (error: Error) => void,
    private readonly maxNamespaces = 16,
  ) {}

  async get(namespace: string): Promise<NamespaceView> {
    let view = this.views.get(namespace);
    if (!view) {
      const created = new NamespaceView(namespace, this.client, this.onError);
      view = created.start().then(() => created);
      this.views.set(namespace, view);
      view.catch(() => {
        created.stop();
        this.views.delete(namespace);
      });
      await this.evict(namespace);
    }
    const ready = await view;
    ready.lastUsed = Date.now();
    return ready;
  }

  private async evict(keep: string): Promise<void> {
    if (this.views.size <= this.maxNamespaces) return;
    const settled = await Promise.all(
      [...this.views]
        .filter(([ns]) => ns !== keep)
        .map(async ([ns, p]) => [ns, await p.catch(() => undefined)] as const),
    );
    const oldest = settled
      .filter((e): e is readonly [string, NamespaceView] => e[1] !== undefined && e[1].listenerCount === 0)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
    if (oldest) {
      oldest[1].stop();
      this.views.delete(oldest[0]);
    }
  }

  async stop(): Promise<void> {
    const all = await Promise.all([...this.views.values()].map((p) => p.catch(() => undefined)));
    for (const view of all) view?.stop();
    this.views.clear();
  }
}
