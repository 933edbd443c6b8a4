// The promotion decisions: from a pipeline (spec, annotations, status), what its Rollouts show and
// the clock, to the decisions to act on and the status that follows. Pure; the act layer commits,
// opens pull requests and writes status. Level-triggered: a decision already carried out shows in
// status (desired image, open pull request, hold) and is not made again.
import { APPROVE_ANNOTATION_PREFIX, RELEASE_HOLD_ANNOTATION } from '../../api/labels.js';
import type {
  Environment,
  EnvironmentState,
  EnvironmentStatus,
  HeldImage,
  PromotionPipeline,
} from '../../api/promotion.js';
import { formatTime } from '../../kube/timestamps.js';
import { parseDuration } from '../imagewatch/policy/duration.js';
import type { AnalysisRunSummary, ObservedRollout } from './observe.js';

/** Why a decision was made: the Rollout and revision that proved (or disproved) the image. */
export interface Evidence {
  readonly rollout: string;
  readonly revision: string;
  /** e.g. `web-abc-2=Successful`, or `none`. */
  readonly analysis: string;
  readonly summary: string;
}

export type Decision =
  | {
      readonly type: 'promote';
      readonly from: string;
      readonly environment: string;
      readonly image: string;
      /** What the environment ran before (undefined when unknown). */
      readonly replaces?: string;
      readonly mode: 'commit' | 'pull-request';
      readonly evidence: Evidence;
    }
  | {
      readonly type: 'rollback';
      readonly environment: string;
      /** The last good image, written back. */
      readonly image: string;
      readonly failed: string;
      /** As promotions into the environment land: a protected branch takes it as a pull request. */
      readonly mode: 'commit' | 'pull-request';
      readonly evidence: Evidence;
    }
  | {
      readonly type: 'hold';
      readonly environment: string;
      readonly image: string;
      readonly reason: string;
      readonly evidence: Evidence;
    }
  | { readonly type: 'release'; readonly environment: string; readonly image: string }
  | {
      readonly type: 'release-pause';
      readonly environment: string;
      readonly image: string;
      /** `hash[/step]`: the pause this pull request releases. */
      readonly key: string;
      readonly evidence: Evidence;
    };

export interface PromotionSituation {
  readonly pipeline: PromotionPipeline;
  /** Per environment name, its observed Rollouts in spec order. */
  readonly observed: ReadonlyMap<string, readonly ObservedRollout[]>;
  readonly now: number;
  /** Per environment name, the newest Applied ImageWatch write to its target file. */
  readonly imageWatchWrites?: ReadonlyMap<string, ImageWatchWrite>;
}

/** An ImageWatch wrote `image` to an environment's file (its status.writes entry, Applied). */
export interface ImageWatchWrite {
  readonly image: string;
  /** RFC 3339, the entry's updatedAt. */
  readonly at: string;
  /** `namespace/name` of the ImageWatch. */
  readonly watch: string;
}

export interface PromotionPlan {
  readonly decisions: readonly Decision[];
  /** Status per environment as observed, before the decisions are carried out. */
  readonly environments: readonly EnvironmentStatus[];
  /** Holds after releases (holds the decisions add are recorded when they are carried out). */
  readonly held: readonly HeldImage[];
  /** Problems with the spec; nothing is decided for the environments they concern. */
  readonly problems: readonly string[];
  /** Look again then (a soak time running out). */
  readonly requeueAfterMs?: number;
}

/** What the Rollouts of one environment add up to. */
interface EnvironmentView {
  readonly state: EnvironmentState;
  readonly image?: string;
  readonly failed?: ObservedRollout;
  readonly paused?: ObservedRollout & { readonly outcome: { readonly kind: 'paused'; readonly key: string } };
  readonly proof?: ObservedRollout;
  readonly why?: string;
}

export function validatePipeline(pipeline: PromotionPipeline): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const where = `PromotionPipeline ${pipeline.metadata.namespace}/${pipeline.metadata.name}`;
  pipeline.spec.environments.forEach((env, i) => {
    const at = `${where}: spec.environments[${i}]`;
    if (names.has(env.name)) problems.push(`${at}.name "${env.name}" is used twice`);
    names.add(env.name);
    if (env.rollouts.length === 0) problems.push(`${at}.rollouts is empty; name the Rollouts that prove it`);
    const soak = env.gates?.soak;
    if (soak !== undefined) {
      const parsed = parseDuration(soak);
      if (typeof parsed !== 'number') problems.push(`${at}.gates.soak: ${parsed.error}`);
    }
    const needsScm = env.mode === 'pull-request' || env.pauseRelease !== undefined;
    if (needsScm && pipeline.spec.scm === undefined) {
      problems.push(`${at} opens pull requests (mode or pauseRelease) but spec.scm is not set`);
    }
  });
  return problems;
}

export function decidePromotions(situation: PromotionSituation): PromotionPlan {
  const { pipeline, observed, now } = situation;
  const problems = validatePipeline(pipeline);
  const previous = new Map((pipeline.status?.environments ?? []).map((e) => [e.name, e]));
  const annotations = pipeline.metadata.annotations ?? {};
  const released = annotations[RELEASE_HOLD_ANNOTATION]?.trim();
  const decisions: Decision[] = [];
  const held = (pipeline.status?.held ?? []).filter((h) => {
    if (h.image !== released) return true;
    decisions.push({ type: 'release', environment: h.environment, image: h.image });
    return false;
  });
  const isHeld = (image: string) => held.some((h) => h.image === image);
  const envs = pipeline.spec.environments;
  const views = envs.map((env) => viewOf(observed.get(env.name) ?? []));
  const environments = envs.map((env, i) =>
    withImageWatchWrite(
      nextStatus(env, views[i]!, previous.get(env.name), now),
      situation.imageWatchWrites?.get(env.name),
      lastGitDecision(pipeline, env.name),
      isHeld,
    ),
  );
  if (problems.length > 0) return { decisions, environments, held, problems };

  let requeueAfterMs: number | undefined;
  envs.forEach((env, i) => {
    const view = views[i]!;
    const status = environments[i]!;
    if (view.state === 'Failed' && view.failed?.image !== undefined) {
      const failed = view.failed.image;
      if (isHeld(failed)) return;
      const evidence = evidenceOf(view.failed, `Rollout ${view.failed.key} ${whyFailed(view.failed)}`);
      // This very failure was held and a person released it (the rollback may not have synced
      // yet, so the Rollout still shows it): acting on it again would undo the release.
      if (heldBefore(pipeline, env.name, failed, evidence)) return;
      const lastGood = status.stableImage;
      if (lastGood !== undefined && lastGood !== failed) {
        decisions.push({
          type: 'rollback',
          environment: env.name,
          image: lastGood,
          failed,
          mode: env.mode ?? 'commit',
          evidence,
        });
      }
      decisions.push({
        type: 'hold',
        environment: env.name,
        image: failed,
        reason:
          lastGood !== undefined && lastGood !== failed
            ? `failed in ${env.name}; ${env.name} rolled back to ${lastGood}`
            : `failed in ${env.name}; no earlier healthy image is known, so Git still declares it`,
        evidence,
      });
      return;
    }
    if (view.state === 'Paused' && view.paused !== undefined && env.pauseRelease !== undefined) {
      const key = view.paused.outcome.key;
      const open = status.pullRequest;
      if (open?.kind === 'release-pause' && open.key === key) return;
      decisions.push({
        type: 'release-pause',
        environment: env.name,
        image: view.paused.image ?? '',
        key,
        evidence: evidenceOf(view.paused, `Rollout ${view.paused.key} waits at an indefinite pause (${key})`),
      });
      return;
    }
    const next = envs[i + 1];
    if (
      view.state !== 'Healthy' ||
      view.image === undefined ||
      next === undefined ||
      view.proof === undefined
    )
      return;
    const image = view.image;
    const nextStatus = environments[i + 1]!;
    const nextView = views[i + 1]!;
    const already =
      nextStatus.desiredImage === image ||
      (nextStatus.desiredImage === undefined && nextView.image === image) ||
      (nextStatus.pullRequest?.kind === 'promote' && nextStatus.pullRequest.image === image);
    if (already) return;
    if (isHeld(image)) {
      environments[i] = {
        ...status,
        waiting: `${image} is held; release it with ${RELEASE_HOLD_ANNOTATION}`,
      };
      return;
    }
    const gate = checkGates(env, view.proof, status, annotations, image, now);
    if (gate.open === false) {
      environments[i] = { ...status, waiting: gate.waiting };
      if (gate.retryInMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, gate.retryInMs);
      return;
    }
    const replaces = nextStatus.desiredImage ?? nextView.image;
    decisions.push({
      type: 'promote',
      from: env.name,
      environment: next.name,
      image,
      ...(replaces !== undefined && { replaces }),
      mode: next.mode ?? 'commit',
      evidence: evidenceOf(
        view.proof,
        `Rollout ${view.proof.key} completed Healthy in ${env.name}; ${gate.passed}`,
      ),
    });
  });
  return {
    decisions,
    environments,
    held,
    problems,
    ...(requeueAfterMs !== undefined && { requeueAfterMs }),
  };
}

type GateResult =
  | { readonly open: true; readonly passed: string }
  | { readonly open: false; readonly waiting: string; readonly retryInMs?: number };

function checkGates(
  env: Environment,
  proof: ObservedRollout,
  status: EnvironmentStatus,
  annotations: Record<string, string>,
  image: string,
  now: number,
): GateResult {
  const gates = env.gates ?? {};
  const passed: string[] = [];
  if (gates.analysis !== false) {
    const notDone = proof.analysis.filter((r) => r.phase !== 'Successful');
    const bad = notDone.find(
      (r) => r.phase === 'Failed' || r.phase === 'Error' || r.phase === 'Inconclusive',
    );
    if (bad !== undefined) return { open: false, waiting: `AnalysisRun ${bad.name} is ${bad.phase}` };
    if (notDone.length > 0)
      return { open: false, waiting: `AnalysisRun ${notDone[0]!.name} is ${notDone[0]!.phase}` };
    passed.push(proof.analysis.length === 0 ? 'no analysis to wait for' : 'analysis Successful');
  }
  if (gates.soak !== undefined) {
    const soakMs = parseDuration(gates.soak) as number;
    const since = status.healthySince === undefined ? now : Date.parse(status.healthySince);
    const left = since + soakMs - now;
    if (left > 0) {
      return {
        open: false,
        waiting: `soaking: ${Math.ceil(left / 1000)}s of ${gates.soak} left`,
        retryInMs: left,
      };
    }
    passed.push(`soaked ${gates.soak}`);
  }
  if (gates.approval === true) {
    const key = `${APPROVE_ANNOTATION_PREFIX}${env.name}`;
    if (annotations[key] !== image)
      return { open: false, waiting: `waiting for approval: annotate ${key}=${image}` };
    passed.push('approved');
  }
  return { open: true, passed: passed.length === 0 ? 'no gates' : passed.join(', ') };
}

function viewOf(rollouts: readonly ObservedRollout[]): EnvironmentView {
  if (rollouts.length === 0) return { state: 'Unknown', why: 'no Rollouts observed' };
  const unknown = rollouts.find((r) => r.outcome.kind === 'unknown');
  const failed = rollouts.find((r) => r.outcome.kind === 'failed');
  if (failed !== undefined) return { state: 'Failed', failed, ...imageOf(failed) };
  if (unknown !== undefined && unknown.outcome.kind === 'unknown')
    return { state: 'Unknown', why: unknown.outcome.why };
  const images = new Set(rollouts.map((r) => r.image));
  const [first] = rollouts;
  const common = images.size === 1 ? first!.image : undefined;
  const paused = rollouts.find((r) => r.outcome.kind === 'paused');
  if (paused !== undefined && paused.outcome.kind === 'paused') {
    return { state: 'Paused', paused: paused as EnvironmentView['paused'] & object, ...imageOf(paused) };
  }
  if (common !== undefined && rollouts.every((r) => r.outcome.kind === 'healthy')) {
    return { state: 'Healthy', image: common, proof: first! };
  }
  return { state: 'Progressing', ...(common !== undefined && { image: common }) };
}

function imageOf(rollout: ObservedRollout): { image?: string } {
  return rollout.image === undefined ? {} : { image: rollout.image };
}

function nextStatus(
  env: Environment,
  view: EnvironmentView,
  previous: EnvironmentStatus | undefined,
  now: number,
): EnvironmentStatus {
  const healthy = view.state === 'Healthy' && view.image !== undefined;
  const keepSince =
    healthy && previous?.state === 'Healthy' && previous.stableImage === view.image && previous.healthySince;
  const stableImage = healthy ? view.image : previous?.stableImage;
  // A pull request for an image the environment now runs (merged and synced) is done.
  const pullRequest =
    previous?.pullRequest !== undefined &&
    !(
      (previous.pullRequest.kind === 'promote' || previous.pullRequest.kind === 'rollback') &&
      healthy &&
      previous.pullRequest.image === view.image
    ) &&
    !(previous.pullRequest.kind === 'release-pause' && view.state !== 'Paused')
      ? previous.pullRequest
      : undefined;
  return {
    name: env.name,
    state: view.state,
    ...(view.image !== undefined && { image: view.image }),
    ...(previous?.desiredImage !== undefined && { desiredImage: previous.desiredImage }),
    ...(stableImage !== undefined && { stableImage }),
    ...(healthy && { healthySince: keepSince || formatTime(now) }),
    ...(view.why !== undefined && { waiting: view.why }),
    ...(pullRequest !== undefined && { pullRequest }),
  };
}

/**
 * An ImageWatch that wrote the environment's file after our last commit there owns what Git
 * declares now: desiredImage follows it, or the environment would wait for good for an image Git
 * no longer names (Argo CD health Progressing). A write of a held image, or from before our
 * decision, changes nothing; in our decision's second (times have one-second resolution), neither
 * does a write of the image it replaced. Later, that image is a released one written again.
 */
export function withImageWatchWrite(
  status: EnvironmentStatus,
  write: ImageWatchWrite | undefined,
  decision: { readonly at: string; readonly from?: string } | undefined,
  isHeld: (image: string) => boolean,
): EnvironmentStatus {
  if (write === undefined || status.desiredImage === undefined || write.image === status.desiredImage) {
    return status;
  }
  if (isHeld(write.image)) return status;
  if (decision !== undefined) {
    const writtenAt = Date.parse(write.at);
    const decidedAt = Date.parse(decision.at);
    if (writtenAt < decidedAt || (writtenAt === decidedAt && write.image === decision.from)) return status;
  }
  return { ...status, desiredImage: write.image };
}

/** Whether the newest hold of `image` in the environment was for this same failed rollout revision. */
function heldBefore(
  pipeline: PromotionPipeline,
  environment: string,
  image: string,
  evidence: Evidence,
): boolean {
  const hold = (pipeline.status?.history ?? []).find(
    (r) => r.type === 'hold' && r.environment === environment && r.image === image,
  );
  return hold !== undefined && hold.rollout === evidence.rollout && hold.revision === evidence.revision;
}

/** The newest decision of ours that wrote the environment's file (promote or rollback by commit). */
function lastGitDecision(
  pipeline: PromotionPipeline,
  environment: string,
): { at: string; from?: string } | undefined {
  const record = (pipeline.status?.history ?? []).find(
    (r) =>
      r.environment === environment &&
      (r.type === 'promote' || r.type === 'rollback') &&
      r.pullRequest === undefined,
  );
  return record === undefined
    ? undefined
    : { at: record.at, ...(record.from !== undefined && { from: record.from }) };
}

function whyFailed(rollout: ObservedRollout): string {
  return rollout.outcome.kind === 'failed' ? rollout.outcome.why : 'failed';
}

export function evidenceOf(rollout: ObservedRollout, summary: string): Evidence {
  return {
    rollout: rollout.key,
    revision: `${rollout.revision ?? '?'}${rollout.podHash !== undefined ? ` (${rollout.podHash})` : ''}`,
    analysis: describeAnalysis(rollout.analysis),
    summary,
  };
}

export function describeAnalysis(runs: readonly AnalysisRunSummary[]): string {
  return runs.length === 0 ? 'none' : runs.map((r) => `${r.name}=${r.phase}`).join(', ');
}
