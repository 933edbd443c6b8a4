// The dashboard's Git-sync view of a namespace: ImageWatches (candidate next to what runs),
// GitTargets (last commit, linked on known forges) and PromotionPipelines (environments,
// holds, approvals, decisions), kept by informers and pushed whole on every change. Also the
// two PromotionPipeline actions, as the annotations the Argo CD Lua actions set.
import { GIT_TARGET_KIND, type GitTarget, IMAGE_WATCH_KIND, type ImageWatch } from '../api/gitsync.js';
import { splitImageRef } from '../api/image-ref.js';
import { apiResourceOf } from '../api/kinds.js';
import { APPROVE_ANNOTATION_PREFIX, RELEASE_HOLD_ANNOTATION } from '../api/labels.js';
import { PROMOTION_PIPELINE_KIND, type PromotionPipeline } from '../api/promotion.js';
import type { Rollout } from '../api/rollout.js';
import type { Informer } from '../kube/informer.js';
import type { KubeObject } from '../kube/object.js';
import type { RestClient } from '../kube/rest.js';
import type { JsonObject } from './info.js';
import { NamespaceInformers } from './namespace-informers.js';

const SYNC_TIMEOUT_MS = 15_000;

/** `ghcr.io/acme/web` from `ghcr.io/acme/web:1.2@sha256:...` (a port's colon is kept). */
export function imageRepository(image: string): string {
  return splitImageRef(image).name;
}

/** A web link to `commit` for remotes on well-known forges; undefined for any other host. */
export function commitUrl(remote: string, commit: string | undefined): string | undefined {
  if (!commit || !/^[0-9a-f]{7,64}$/i.test(commit)) return undefined;
  const match =
    /^(?:https?:\/\/(?:[^@/]+@)?|ssh:\/\/(?:[^@/]+@)?|[^@/]+@)(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)[:/](.+?)(?:\.git)?\/?$/.exec(
      remote,
    );
  if (!match) return undefined;
  const [, host, path] = match;
  if (!path || path.includes('..')) return undefined;
  if (host === 'gitlab.com') return `https://gitlab.com/${path}/-/commit/${commit}`;
  if (host === 'bitbucket.org') return `https://bitbucket.org/${path}/commits/${commit}`;
  return `https://${host}/${path}/commit/${commit}`;
}

interface ContainerImage {
  rollout: string;
  container: string;
  image: string;
}

function rolloutImages(rollouts: readonly Rollout[]): ContainerImage[] {
  return rollouts.flatMap((ro) =>
    ((ro.spec.template?.spec?.containers ?? []) as { name: string; image?: string }[]).map((c) => ({
      rollout: ro.metadata?.name ?? '',
      container: c.name,
      image: c.image ?? '',
    })),
  );
}

/** The page's whole Git-sync state for one namespace. */
export function gitSyncSnapshot(
  imageWatches: readonly ImageWatch[],
  gitTargets: readonly GitTarget[],
  pipelines: readonly PromotionPipeline[],
  rollouts: readonly Rollout[],
): JsonObject {
  const running = rolloutImages(rollouts);
  const targets = new Map(gitTargets.map((t) => [t.metadata.name, t]));
  const byName = <T extends { metadata: { name?: string } }>(a: T, b: T) =>
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
  return {
    imageWatches: [...imageWatches].sort(byName).map((w) => ({
      name: w.metadata.name,
      image: w.spec.image,
      policy: w.spec.policy,
      candidate: w.status?.latest ?? null,
      lastCheckedAt: w.status?.lastCheckedAt ?? null,
      running: running.filter((r) => imageRepository(r.image) === w.spec.image),
      writes: (w.status?.writes ?? []).map((write) => ({
        ...write,
        commitUrl: commitUrl(targets.get(write.gitTarget)?.spec.url ?? '', write.commit) ?? null,
      })),
      conditions: w.status?.conditions ?? [],
    })),
    gitTargets: [...gitTargets].sort(byName).map((t) => ({
      name: t.metadata.name,
      url: t.spec.url,
      branch: t.spec.branch,
      mode: t.spec.mode ?? 'commit',
      head: t.status?.head ?? null,
      lastPushedCommit: t.status?.lastPushedCommit ?? null,
      lastPushedAt: t.status?.lastPushedAt ?? null,
      commitUrl: commitUrl(t.spec.url, t.status?.lastPushedCommit ?? t.status?.head) ?? null,
      conditions: t.status?.conditions ?? [],
    })),
    promotionPipelines: [...pipelines].sort(byName).map((p) => {
      const annotations = p.metadata.annotations ?? {};
      return {
        name: p.metadata.name,
        image: p.spec.image,
        environments: p.spec.environments.map((env) => {
          const status = p.status?.environments?.find((s) => s.name === env.name);
          return {
            name: env.name,
            state: status?.state ?? 'Unknown',
            image: status?.image ?? null,
            desiredImage: status?.desiredImage ?? null,
            stableImage: status?.stableImage ?? null,
            waiting: status?.waiting ?? null,
            pullRequest: status?.pullRequest ?? null,
            approval: env.gates?.approval === true,
            approvedImage: annotations[`${APPROVE_ANNOTATION_PREFIX}${env.name}`] ?? null,
            application: env.application ?? null,
          };
        }),
        held: p.status?.held ?? [],
        releaseRequested: annotations[RELEASE_HOLD_ANNOTATION] ?? null,
        history: p.status?.history ?? (p.status?.lastDecision ? [p.status.lastDecision] : []),
        conditions: p.status?.conditions ?? [],
      };
    }),
  };
}

/** The annotation patch of a PromotionPipeline action, checked against its live status. */
export function pipelineActionPatch(
  pipeline: PromotionPipeline,
  action: 'release' | 'approve',
  input: { image?: unknown; environment?: unknown },
): Record<string, unknown> {
  const image = typeof input.image === 'string' ? input.image : '';
  if (action === 'release') {
    if (!(pipeline.status?.held ?? []).some((h) => h.image === image)) {
      throw new Error(`PromotionPipeline ${pipeline.metadata.name} does not hold "${image.slice(0, 200)}"`);
    }
    return { metadata: { annotations: { [RELEASE_HOLD_ANNOTATION]: image } } };
  }
  const environment = typeof input.environment === 'string' ? input.environment : '';
  const env = pipeline.status?.environments?.find((e) => e.name === environment);
  if (!env) {
    throw new Error(
      `PromotionPipeline ${pipeline.metadata.name} has no environment "${environment.slice(0, 100)}"`,
    );
  }
  if (!env.image || env.image !== image) {
    throw new Error(
      `environment ${environment} runs ${env.image ?? 'nothing'}, not "${image.slice(0, 200)}"`,
    );
  }
  return { metadata: { annotations: { [`${APPROVE_ANNOTATION_PREFIX}${environment}`]: image } } };
}

export const PROMOTION_PIPELINES = apiResourceOf(PROMOTION_PIPELINE_KIND);

/** Informers for one namespace's Git-sync kinds, with change notifications. */
export class GitSyncView extends NamespaceInformers<() => void> {
  readonly imageWatches: Informer<ImageWatch & KubeObject>;
  readonly gitTargets: Informer<GitTarget & KubeObject>;
  readonly pipelines: Informer<PromotionPipeline & KubeObject>;

  constructor(namespace: string, client: RestClient, onError: (error: Error) => void) {
    super(namespace, client, onError, SYNC_TIMEOUT_MS);
    this.imageWatches = this.informer(apiResourceOf(IMAGE_WATCH_KIND));
    this.gitTargets = this.informer(apiResourceOf(GIT_TARGET_KIND));
    this.pipelines = this.informer(PROMOTION_PIPELINES);
    const changed = () => this.changed();
    for (const inf of [
      this.imageWatches,
      this.gitTargets,
      this.pipelines,
    ] as unknown as Informer<KubeObject>[]) {
      inf.addHandlers({ add: changed, update: changed, delete: changed });
    }
  }

  /** Rollout changes matter too (what runs); the caller forwards them here. */
  changed(): void {
    if (this.listeners.size === 0) return;
    this.notifySoon(() => {
      for (const listener of this.listeners) listener();
    });
  }

  snapshot(rollouts: readonly Rollout[]): JsonObject {
    return gitSyncSnapshot(
      this.imageWatches.list(this.namespace),
      this.gitTargets.list(this.namespace),
      this.pipelines.list(this.namespace),
      rollouts,
    );
  }
}
