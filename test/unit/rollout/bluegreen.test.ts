// Table-style tests of the blue-green plan: a Rollout, its ReplicaSets and Services as plain
// objects and a fixed clock in; the actions, status and events the controller would apply out.
// A small world simulator (every pod ready at once) runs multi-pass flows.
import { describe, expect, it } from 'vitest';
import type { AnalysisPhase, AnalysisTemplate } from '../../../src/api/analysis.js';
import type { BlueGreenStrategy, Rollout, RolloutStatus } from '../../../src/api/rollout.js';
import {
  type PromotionAnalysis,
  type PromotionGateDecision,
  planBlueGreen,
  promotionGateDecision,
} from '../../../src/rollout/bluegreen.js';
import { RolloutPass } from '../../../src/rollout/pass.js';
import {
  type ObservedRolloutObject,
  planRollout,
  type RolloutAction,
  type RolloutPlan,
} from '../../../src/rollout/plan.js';
import type { ReplicaSet, Service } from '../../../src/rollout/workload-types.js';
import {
  HASH_LABEL,
  hashSelector,
  observedRollout,
  ownedReplicaSet,
  rolloutService as service,
  templateFor,
  V1,
  V2,
  V3,
} from './fixtures.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const DEADLINE = 'scale-down-deadline';

// --- fixtures ---------------------------------------------------------------------------------

function rollout(
  image: string,
  status: RolloutStatus = {},
  blueGreen: Partial<BlueGreenStrategy> = {},
  spec: Partial<Rollout['spec']> = {},
  revision = '1',
): ObservedRolloutObject {
  return observedRollout(
    {
      replicas: 3,
      image,
      revision,
      strategy: { blueGreen: { activeService: 'web-active', previewService: 'web-preview', ...blueGreen } },
      spec,
    },
    status,
  );
}

const rs = (
  hash: string,
  revision: number,
  spec: number,
  available = spec,
  annotations: Record<string, string> = {},
): ReplicaSet =>
  ownedReplicaSet(hash, revision, {
    replicas: spec,
    available,
    annotations,
    spec: { selector: hashSelector(hash) },
  });

const services = (active?: string, preview?: string) => [
  service('web-active', active),
  service('web-preview', preview),
];

/** Healthy on V1: both Services select V1. */
const steadyV1: RolloutStatus = {
  stableRS: V1,
  currentPodHash: V1,
  blueGreen: { activeSelector: V1, previewSelector: V1 },
  observedGeneration: '2',
};
/** An update from V1 to V2 under way: preview on V2, active on V1. */
const updatingV2 = (extra: RolloutStatus = {}): RolloutStatus => ({
  stableRS: V1,
  currentPodHash: V2,
  blueGreen: { activeSelector: V1, previewSelector: V2 },
  observedGeneration: '2',
  ...extra,
});
const bgPause = (seconds = 0) => ({ reason: 'BlueGreenPause' as const, startTime: formatAt(seconds) });
const formatAt = (seconds: number) =>
  at(seconds)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');

function plan(
  ro: ObservedRolloutObject,
  replicaSets: ReplicaSet[],
  svcs: Service[] = services(),
  now = NOW,
  analysisTemplates: AnalysisTemplate[] = [],
): RolloutPlan {
  return planRollout({
    rollout: ro,
    replicaSets,
    services: new Map(svcs.map((s) => [s.metadata?.name ?? '', s])),
    now,
    analysis: { runs: [], templates: { analysisTemplates, clusterAnalysisTemplates: [] } },
  });
}

/** An AnalysisTemplate named `name` with one trivial Web metric. */
function analysisTemplate(name: string): AnalysisTemplate {
  return {
    metadata: { name, namespace: 'shop' },
    spec: { metrics: [{ name: 'ok', provider: { web: { url: 'http://127.0.0.1/ok' } } }] },
  };
}

const scaled = (actions: RolloutAction[]) =>
  Object.fromEntries(
    actions.flatMap((a) => (a.kind === 'scaleReplicaSet' ? [[a.name, a.to]] : [])),
  ) as Record<string, number>;
const pointed = (actions: RolloutAction[]) =>
  Object.fromEntries(
    actions.flatMap((a) => (a.kind === 'pointServiceAt' ? [[a.service, a.hash]] : [])),
  ) as Record<string, string>;
const annotated = (actions: RolloutAction[]) =>
  Object.fromEntries(
    actions.flatMap((a) => (a.kind === 'annotateReplicaSet' ? [[a.name, a.annotations[DEADLINE]]] : [])),
  ) as Record<string, string | null>;
const created = (actions: RolloutAction[]) =>
  actions.flatMap((a) => (a.kind === 'createReplicaSet' ? [a.replicaSet] : []));
const reasons = (p: RolloutPlan) => p.events.map((e) => e.reason);

// --- a world where every pod is ready at once ---------------------------------------------------

interface World {
  rollout: ObservedRolloutObject;
  replicaSets: ReplicaSet[];
  services: Service[];
}

/** Plans one pass and applies it to a copy of the world, as act.ts would. */
function step(world: World, now: Date): { world: World; result: RolloutPlan } {
  const result = plan(world.rollout, world.replicaSets, world.services, now);
  const sets = new Map(world.replicaSets.map((r) => [r.metadata?.name ?? '', structuredClone(r)]));
  const svcs = new Map(world.services.map((s) => [s.metadata?.name ?? '', structuredClone(s)]));
  const next = structuredClone(world.rollout);
  for (const action of result.actions) {
    switch (action.kind) {
      case 'createReplicaSet': {
        const copy = structuredClone(action.replicaSet);
        const n = copy.spec?.replicas ?? 0;
        copy.status = { replicas: n, readyReplicas: n, availableReplicas: n };
        sets.set(copy.metadata?.name ?? '', copy);
        break;
      }
      case 'scaleReplicaSet': {
        const target = sets.get(action.name)!;
        target.spec = { ...target.spec, replicas: action.to };
        target.status = { replicas: action.to, readyReplicas: action.to, availableReplicas: action.to };
        break;
      }
      case 'annotateReplicaSet': {
        const meta = sets.get(action.name)!.metadata!;
        const annotations = { ...(meta.annotations ?? {}) };
        for (const [k, v] of Object.entries(action.annotations)) {
          if (v === null) delete annotations[k];
          else annotations[k] = v;
        }
        meta.annotations = annotations;
        break;
      }
      case 'setReplicaSetRevision':
        sets.get(action.name)!.metadata!.annotations!['rollout.argoproj.io/revision'] = String(
          action.revision,
        );
        break;
      case 'deleteReplicaSet':
        sets.delete(action.name);
        break;
      case 'pointServiceAt': {
        const svc = svcs.get(action.service)!;
        svc.spec = { selector: { ...(svc.spec?.selector ?? {}), [HASH_LABEL]: action.hash } };
        svc.metadata = {
          ...svc.metadata,
          annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' },
        };
        break;
      }
      case 'setRolloutRevision':
        next.metadata.annotations = { 'rollout.argoproj.io/revision': String(action.revision) };
        break;
      default:
        throw new Error(`unexpected action ${action.kind}`);
    }
  }
  next.status = result.status;
  return { world: { rollout: next, replicaSets: [...sets.values()], services: [...svcs.values()] }, result };
}

/** Runs passes at `now` until nothing changes any more; returns the world and every plan. */
function settle(world: World, now: Date, maxPasses = 10): { world: World; results: RolloutPlan[] } {
  const results: RolloutPlan[] = [];
  let current = world;
  for (let i = 0; i < maxPasses; i++) {
    const { world: next, result } = step(current, now);
    results.push(result);
    const unchanged =
      result.actions.length === 0 && JSON.stringify(result.status) === JSON.stringify(current.rollout.status);
    current = next;
    if (unchanged) return { world: current, results };
  }
  throw new Error(`no steady state after ${maxPasses} passes`);
}

const selectorOf = (world: World, name: string) =>
  world.services.find((s) => s.metadata?.name === name)?.spec?.selector?.[HASH_LABEL];
const sizes = (world: World) =>
  Object.fromEntries(world.replicaSets.map((r) => [r.metadata?.labels?.[HASH_LABEL], r.spec?.replicas]));
const withImage = (world: World, image: string, blueGreen: Partial<BlueGreenStrategy> = {}): World => ({
  ...world,
  rollout: {
    ...world.rollout,
    spec: {
      ...world.rollout.spec,
      template: templateFor(image),
      strategy: { blueGreen: { ...world.rollout.spec.strategy.blueGreen!, ...blueGreen } },
    },
  },
});
const withStatus = (world: World, patch: Partial<RolloutStatus>): World => ({
  ...world,
  rollout: { ...world.rollout, status: { ...world.rollout.status, ...patch } },
});
const allEvents = (results: RolloutPlan[]) => results.flatMap(reasons);

// --- tests ---------------------------------------------------------------------------------------

describe('blue-green plan: first deploy', () => {
  it('creates the ReplicaSet at full size, points preview at once and marks it stable', () => {
    const result = plan(rollout('web:1', {}, {}, {}, '0'), []);
    const [created1] = created(result.actions);
    expect(created1?.spec?.replicas).toBe(3);
    expect(pointed(result.actions)).toEqual({ 'web-preview': V1 });
    expect(result.status).toMatchObject({
      stableRS: V1,
      currentPodHash: V1,
      blueGreen: { previewSelector: V1 },
      phase: 'Progressing',
    });
    expect(result.status.blueGreen?.activeSelector).toBeUndefined();
    expect(reasons(result)).toEqual(
      expect.arrayContaining(['NewReplicaSetCreated', 'RolloutUpdated', 'SwitchService', 'RolloutCompleted']),
    );
  });

  it('goes straight to active once the pods are available, then Healthy', () => {
    const result = plan(
      rollout('web:1', { stableRS: V1, currentPodHash: V1, blueGreen: { previewSelector: V1 } }),
      [rs(V1, 1, 3)],
      services(undefined, V1),
    );
    expect(pointed(result.actions)).toEqual({ 'web-active': V1 });
    expect(result.status).toMatchObject({
      phase: 'Healthy',
      blueGreen: { activeSelector: V1, previewSelector: V1 },
      availableReplicas: 3,
      HPAReplicas: 3,
      selector: `app=web,${HASH_LABEL}=${V1}`,
    });
    expect(result.status.pauseConditions).toBeUndefined();
  });

  it('stays Progressing while pods are not all available', () => {
    const result = plan(
      rollout('web:1', { stableRS: V1, currentPodHash: V1, blueGreen: { previewSelector: V1 } }),
      [rs(V1, 1, 3, 2)],
      services(undefined, V1),
    );
    expect(pointed(result.actions)).toEqual({});
    expect(result.status.phase).toBe('Progressing');
  });
});

describe('blue-green plan: an update', () => {
  it('creates the new set (at 0, scaled up on the next pass as in Argo) and points only preview at it', () => {
    const result = plan(rollout('web:2', steadyV1), [rs(V1, 1, 3)], services(V1, V1));
    const [created2] = created(result.actions);
    expect(created2?.metadata?.name).toBe(`web-${V2}`);
    expect(created2?.spec?.replicas).toBe(0);
    const next = plan(rollout('web:2', result.status), [rs(V1, 1, 3), rs(V2, 2, 0, 0)], services(V1, V2));
    expect(scaled(next.actions)).toEqual({ [`web-${V2}`]: 3 });
    expect(created2?.metadata?.annotations?.['rollout.argoproj.io/revision']).toBe('2');
    expect(pointed(result.actions)).toEqual({ 'web-preview': V2 });
    expect(result.status).toMatchObject({
      stableRS: V1,
      currentPodHash: V2,
      blueGreen: { activeSelector: V1, previewSelector: V2 },
      availableReplicas: 3,
      phase: 'Progressing',
    });
  });

  it.each<[string, Partial<BlueGreenStrategy>, RolloutStatus['pauseConditions'], string]>([
    ['autoPromotionEnabled false pauses', { autoPromotionEnabled: false }, [bgPause()], 'Paused'],
    ['autoPromotionSeconds pauses for that long', { autoPromotionSeconds: 30 }, [bgPause()], 'Paused'],
  ])('%s before the switch once the preview is ready', (_name, bg, pauses, phase) => {
    const result = plan(
      rollout('web:2', updatingV2(), bg, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V1, V2),
    );
    expect(result.status.pauseConditions).toEqual(pauses);
    expect(result.status).toMatchObject({ controllerPause: true, phase, message: 'BlueGreenPause' });
    expect(pointed(result.actions)).toEqual({});
    expect(reasons(result)).toContain('RolloutPaused');
  });

  it('switches active at once with auto-promotion (the default), and the new set becomes stable', () => {
    const result = plan(
      rollout('web:2', updatingV2(), {}, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V1, V2),
    );
    expect(pointed(result.actions)).toEqual({ 'web-active': V2 });
    expect(result.status).toMatchObject({
      stableRS: V2,
      blueGreen: { activeSelector: V2, previewSelector: V2 },
      phase: 'Healthy',
    });
    expect(result.events).toContainEqual(
      expect.objectContaining({
        reason: 'RolloutCompleted',
        message: `Rollout completed update to revision 2 (${V2}): Completed blue-green update`,
      }),
    );
    expect(result.events).toContainEqual(
      expect.objectContaining({
        reason: 'SwitchService',
        message: `Switched selector for service 'web-active' from '${V1}' to '${V2}'`,
      }),
    );
  });

  it('does not switch while the new set is not fully available', () => {
    const result = plan(
      rollout('web:2', updatingV2(), {}, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3, 2)],
      services(V1, V2),
    );
    expect(pointed(result.actions)).toEqual({});
    expect(result.status).toMatchObject({
      stableRS: V1,
      phase: 'Progressing',
      message: 'active service cutover pending',
    });
  });

  it('keeps the manual pause until a person promotes, then switches', () => {
    const bg = { autoPromotionEnabled: false };
    const paused = plan(
      rollout('web:2', updatingV2({ pauseConditions: [bgPause(-60)], controllerPause: true }), bg, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V1, V2),
      at(3600),
    );
    expect(paused.actions).toEqual([]);
    expect(paused.status.phase).toBe('Paused');

    const promoted = plan(
      rollout('web:2', updatingV2({ controllerPause: true }), bg, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V1, V2),
    );
    expect(pointed(promoted.actions)).toEqual({ 'web-active': V2 });
    expect(promoted.status).toMatchObject({ stableRS: V2, phase: 'Healthy' });
    expect(promoted.status.controllerPause).toBeUndefined();
  });

  it.each<[string, number, boolean, number | undefined]>([
    ['before autoPromotionSeconds: still paused, look again at the end', 10, false, 20_000],
    ['at autoPromotionSeconds: promoted', 30, true, undefined],
  ])('autoPromotionSeconds 30, %s', (_name, elapsed, switched, requeue) => {
    const result = plan(
      rollout(
        'web:2',
        updatingV2({ pauseConditions: [bgPause()], controllerPause: true }),
        { autoPromotionSeconds: 30 },
        {},
        '2',
      ),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V1, V2),
      at(elapsed),
    );
    expect(pointed(result.actions)).toEqual(switched ? { 'web-active': V2 } : {});
    if (requeue !== undefined) expect(result.requeueAfterMs).toBe(requeue);
    expect(result.status.phase).toBe(switched ? 'Healthy' : 'Paused');
  });

  it('spec.paused holds the preview switch and the promotion (manually paused)', () => {
    const result = plan(rollout('web:2', steadyV1, {}, { paused: true }), [rs(V1, 1, 3)], services(V1, V1));
    expect(pointed(result.actions)).toEqual({});
    expect(result.status).toMatchObject({ phase: 'Paused', message: 'manually paused' });
  });

  it('promote-full skips the pause', () => {
    const result = plan(
      rollout(
        'web:2',
        updatingV2({ pauseConditions: [bgPause()], controllerPause: true, promoteFull: true }),
        { autoPromotionEnabled: false },
        {},
        '2',
      ),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V1, V2),
    );
    expect(pointed(result.actions)).toEqual({ 'web-active': V2 });
    expect(result.status).toMatchObject({ stableRS: V2, phase: 'Healthy' });
    expect(result.status.promoteFull).toBeUndefined();
    expect(result.status.pauseConditions).toBeUndefined();
    expect(reasons(result)).toContain('RolloutCompleted');
  });
});

describe('blue-green plan: scale-down of the old set', () => {
  const promoted: RolloutStatus = {
    stableRS: V2,
    currentPodHash: V2,
    blueGreen: { activeSelector: V2, previewSelector: V2 },
    observedGeneration: '2',
  };

  it.each<[string, Partial<BlueGreenStrategy>, string]>([
    ['default scaleDownDelaySeconds 30', {}, formatAt(30)],
    ['scaleDownDelaySeconds 3', { scaleDownDelaySeconds: 3 }, formatAt(3)],
  ])('annotates the old set with its scale-down-deadline (%s)', (_name, bg, deadline) => {
    const result = plan(
      rollout('web:2', promoted, bg, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V2, V2),
    );
    expect(annotated(result.actions)).toEqual({ [`web-${V1}`]: deadline });
    expect(scaled(result.actions)).toEqual({});
    expect(result.requeueAfterMs).toBe(Date.parse(deadline) - NOW.getTime());
    expect(result.status.phase).toBe('Healthy');
  });

  it('waits for the deadline, then scales to 0 and drops the annotation', () => {
    const old = rs(V1, 1, 3, 3, { [DEADLINE]: formatAt(3) });
    const waiting = plan(
      rollout('web:2', promoted, {}, {}, '2'),
      [old, rs(V2, 2, 3)],
      services(V2, V2),
      at(1),
    );
    expect(scaled(waiting.actions)).toEqual({});
    expect(waiting.requeueAfterMs).toBe(2000);
    const due = plan(rollout('web:2', promoted, {}, {}, '2'), [old, rs(V2, 2, 3)], services(V2, V2), at(3));
    expect(scaled(due.actions)).toEqual({ [`web-${V1}`]: 0 });
    expect(annotated(due.actions)).toEqual({ [`web-${V1}`]: null });
    expect(reasons(due)).toContain('ScalingReplicaSet');
  });

  it('scaleDownDelayRevisionLimit 1 keeps only the newest old set up', () => {
    const status = {
      ...promoted,
      stableRS: V3,
      currentPodHash: V3,
      blueGreen: { activeSelector: V3, previewSelector: V3 },
    };
    const result = plan(
      rollout('web:3', status, { scaleDownDelayRevisionLimit: 1 }, {}, '3'),
      [rs(V1, 1, 3), rs(V2, 2, 3), rs(V3, 3, 3)],
      services(V3, V3),
    );
    expect(annotated(result.actions)).toEqual({ [`web-${V2}`]: formatAt(30) });
    expect(scaled(result.actions)).toEqual({ [`web-${V1}`]: 0 });
  });

  it('does not touch an old set a Service still selects', () => {
    const result = plan(
      rollout('web:2', promoted, {}, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V2, V1),
    );
    expect(annotated(result.actions)).toEqual({});
    expect(scaled(result.actions)).toEqual({});
  });
});

describe('blue-green plan: abort and retry', () => {
  const aborted = (extra: RolloutStatus = {}) => updatingV2({ abort: true, ...extra });

  it('keeps active on stable, ends the pause and annotates the preview for abortScaleDownDelaySeconds', () => {
    const result = plan(
      rollout(
        'web:2',
        aborted({ pauseConditions: [bgPause()], controllerPause: true }),
        { autoPromotionEnabled: false },
        {},
        '2',
      ),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V1, V2),
    );
    expect(pointed(result.actions)).toEqual({});
    expect(annotated(result.actions)).toEqual({ [`web-${V2}`]: formatAt(30) });
    expect(scaled(result.actions)).toEqual({});
    expect(result.requeueAfterMs).toBe(30_000);
    expect(result.status).toMatchObject({
      abort: true,
      abortedAt: formatAt(0),
      stableRS: V1,
      phase: 'Degraded',
      message: 'RolloutAborted: Rollout aborted update to revision 2',
    });
    expect(result.status.pauseConditions).toBeUndefined();
    expect(result.events).toContainEqual(
      expect.objectContaining({ reason: 'RolloutAborted', type: 'Warning' }),
    );
  });

  it('scales the preview down once its deadline passes', () => {
    const preview = rs(V2, 2, 3, 3, { [DEADLINE]: formatAt(2) });
    const result = plan(
      rollout('web:2', aborted(), { abortScaleDownDelaySeconds: 2 }, {}, '2'),
      [rs(V1, 1, 3), preview],
      services(V1, V2),
      at(2),
    );
    expect(scaled(result.actions)).toEqual({ [`web-${V2}`]: 0 });
    expect(result.status.phase).toBe('Degraded');
  });

  it('abortScaleDownDelaySeconds 0 leaves the preview up', () => {
    const result = plan(
      rollout('web:2', aborted(), { abortScaleDownDelaySeconds: 0 }, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V1, V2),
    );
    expect(annotated(result.actions)).toEqual({});
    expect(scaled(result.actions)).toEqual({});
  });

  it('an abort after the switch puts active back on the stable set', () => {
    const status = updatingV2({ abort: true, blueGreen: { activeSelector: V2, previewSelector: V2 } });
    const result = plan(
      rollout('web:2', status, {}, {}, '2'),
      [rs(V1, 1, 3), rs(V2, 2, 3)],
      services(V2, V2),
    );
    expect(pointed(result.actions)).toEqual({ 'web-active': V1 });
    expect(result.status).toMatchObject({
      stableRS: V1,
      blueGreen: { activeSelector: V1 },
      phase: 'Degraded',
    });
  });

  it('retry scales the preview back up and removes its deadline', () => {
    const preview = rs(V2, 2, 0, 0, { [DEADLINE]: formatAt(-5) });
    const result = plan(
      rollout('web:2', updatingV2({ abort: false }), { autoPromotionEnabled: false }, {}, '2'),
      [rs(V1, 1, 3), preview],
      services(V1, V2),
    );
    expect(scaled(result.actions)).toEqual({ [`web-${V2}`]: 3 });
    expect(annotated(result.actions)).toEqual({ [`web-${V2}`]: null });
    expect(result.status.abort).toBeUndefined();
    expect(result.status.phase).toBe('Progressing');
  });
});

describe('blue-green plan: previewReplicaCount', () => {
  const bg = { previewReplicaCount: 1, autoPromotionEnabled: false };

  it('creates the new set at previewReplicaCount', () => {
    const result = plan(rollout('web:2', steadyV1, bg), [rs(V1, 1, 3)], services(V1, V1));
    expect(created(result.actions)[0]?.spec?.replicas).toBe(0);
    const next = plan(rollout('web:2', result.status, bg), [rs(V1, 1, 3), rs(V2, 2, 0, 0)], services(V1, V2));
    expect(scaled(next.actions)).toEqual({ [`web-${V2}`]: 1 });
  });

  it('after promotion sets scaleUpPreviewCheckPoint, scales to full, then switches', () => {
    const world: World = {
      rollout: rollout('web:2', updatingV2({ controllerPause: true }), bg, {}, '2'),
      replicaSets: [rs(V1, 1, 3), rs(V2, 2, 1)],
      services: services(V1, V2),
    };
    const first = step(world, NOW);
    expect(first.result.status.blueGreen).toMatchObject({
      scaleUpPreviewCheckPoint: true,
      activeSelector: V1,
    });
    expect(scaled(first.result.actions)).toEqual({});
    const second = step(first.world, NOW);
    expect(scaled(second.result.actions)).toEqual({ [`web-${V2}`]: 3 });
    const third = step(second.world, NOW);
    expect(pointed(third.result.actions)).toEqual({ 'web-active': V2 });
    expect(third.result.status.stableRS).toBe(V2);
    expect(third.result.status.blueGreen?.scaleUpPreviewCheckPoint).toBeUndefined();
  });
});

describe('blue-green plan: new templates during an update', () => {
  /** Healthy on V2, with the template set back to V1. */
  const backToV1 = () =>
    rollout(
      'web:1',
      { stableRS: V2, currentPodHash: V2, blueGreen: { activeSelector: V2, previewSelector: V2 } },
      { autoPromotionEnabled: false },
      {},
      '2',
    );

  it('a new image while paused restarts at the new set: preview moves, pause ends, old preview retires', () => {
    const world: World = {
      rollout: rollout(
        'web:3',
        updatingV2({ pauseConditions: [bgPause()], controllerPause: true }),
        { autoPromotionEnabled: false, scaleDownDelaySeconds: 3 },
        {},
        '2',
      ),
      replicaSets: [rs(V1, 1, 3), rs(V2, 2, 3)],
      services: services(V1, V2),
    };
    const first = step(world, NOW);
    expect(created(first.result.actions)[0]?.metadata?.name).toBe(`web-${V3}`);
    expect(pointed(first.result.actions)).toEqual({ 'web-preview': V3 });
    expect(first.result.status.pauseConditions).toBeUndefined();
    expect(first.result.status).toMatchObject({ currentPodHash: V3, stableRS: V1 });
    // V2 was the current pod hash and the preview: untouched this pass, then given its delay.
    expect(annotated(first.result.actions)).toEqual({});
    const second = step(first.world, NOW);
    expect(annotated(second.result.actions)).toEqual({ [`web-${V2}`]: formatAt(3) });
    // V3 scales up on this pass (created at 0 in the first) and pauses once its preview is ready.
    const third = step(second.world, NOW);
    expect(third.result.status).toMatchObject({ phase: 'Paused', pauseConditions: [bgPause()] });
    const later = settle(third.world, at(3)).world;
    expect(sizes(later)).toEqual({ [V1]: 3, [V2]: 0, [V3]: 3 });
    expect(selectorOf(later, 'web-active')).toBe(V1);
  });

  it('going back to a set still inside its scale-down delay switches at once (fast rollback)', () => {
    const result = plan(
      backToV1(),
      [rs(V1, 1, 3, 3, { [DEADLINE]: formatAt(20) }), rs(V2, 2, 3)],
      services(V2, V2),
    );
    expect(pointed(result.actions)).toEqual({ 'web-preview': V1, 'web-active': V1 });
    expect(annotated(result.actions)).toEqual({ [`web-${V1}`]: null });
    expect(result.status).toMatchObject({ stableRS: V1, currentPodHash: V1 });
    expect(result.status.pauseConditions).toBeUndefined();
    expect(result.actions).toContainEqual({ kind: 'setReplicaSetRevision', name: `web-${V1}`, revision: 3 });
  });

  it('undo to a scaled-down revision goes through the pause again as a new revision', () => {
    const result = plan(backToV1(), [rs(V1, 1, 0), rs(V2, 2, 3)], services(V2, V2));
    expect(result.actions).toContainEqual({ kind: 'setReplicaSetRevision', name: `web-${V1}`, revision: 3 });
    expect(scaled(result.actions)).toEqual({ [`web-${V1}`]: 3 });
    expect(pointed(result.actions)).toEqual({ 'web-preview': V1 });
    const next = settle(
      step(
        {
          rollout: backToV1(),
          replicaSets: [rs(V1, 1, 0), rs(V2, 2, 3)],
          services: services(V2, V2),
        },
        NOW,
      ).world,
      NOW,
    ).world;
    expect(next.rollout.status).toMatchObject({ phase: 'Paused', stableRS: V2, currentPodHash: V1 });
    expect(selectorOf(next, 'web-active')).toBe(V2);
  });
});

describe('blue-green plan: a whole update, blue to green with a manual promotion', () => {
  it('runs V1 → V2 through preview, pause, promote, switch and the delayed scale-down', () => {
    const bg = { autoPromotionEnabled: false, scaleDownDelaySeconds: 3 };
    let world: World = { rollout: rollout('web:1', {}, bg, {}, '0'), replicaSets: [], services: services() };
    const deployed = settle(world, NOW);
    world = deployed.world;
    expect(world.rollout.status).toMatchObject({ phase: 'Healthy', stableRS: V1 });
    expect([selectorOf(world, 'web-active'), selectorOf(world, 'web-preview')]).toEqual([V1, V1]);

    const updated = settle(withImage(world, 'web:2'), at(1));
    world = updated.world;
    expect(world.rollout.status).toMatchObject({ phase: 'Paused', message: 'BlueGreenPause', stableRS: V1 });
    expect([selectorOf(world, 'web-active'), selectorOf(world, 'web-preview')]).toEqual([V1, V2]);
    expect(sizes(world)).toEqual({ [V1]: 3, [V2]: 3 });

    const promoted = settle(withStatus(world, { pauseConditions: undefined }), at(10));
    world = promoted.world;
    expect(world.rollout.status).toMatchObject({ phase: 'Healthy', stableRS: V2, currentPodHash: V2 });
    expect(selectorOf(world, 'web-active')).toBe(V2);
    expect(allEvents(promoted.results)).toEqual(
      expect.arrayContaining(['SwitchService', 'RolloutCompleted']),
    );
    // Argo's sendStateChangeEvents compares with the status it read: a promotion that cleared
    // the pause conditions already is no RolloutResumed.
    expect(allEvents(promoted.results)).not.toContain('RolloutResumed');
    expect(sizes(world)).toEqual({ [V1]: 3, [V2]: 3 });

    const retired = settle(world, at(13)).world;
    expect(sizes(retired)).toEqual({ [V1]: 0, [V2]: 3 });
    expect(retired.rollout.status?.phase).toBe('Healthy');
  });
});

describe('blue-green plan: invalid specs', () => {
  it.each<[string, Service[], Partial<BlueGreenStrategy>, string]>([
    [
      'a missing active Service',
      [service('web-preview')],
      {},
      'The Rollout "web" is invalid: spec.strategy.blueGreen.activeService: Invalid value: "web-active": service "web-active" not found',
    ],
    [
      'a missing preview Service',
      [service('web-active')],
      {},
      'The Rollout "web" is invalid: spec.strategy.blueGreen.previewService: Invalid value: "web-preview": service "web-preview" not found',
    ],
    [
      'a malformed maxUnavailable',
      services(),
      { maxUnavailable: 'half' },
      "spec.strategy.blueGreen.maxUnavailable must be a non-negative integer or a percentage like 25%, got 'half'",
    ],
  ])('%s is InvalidSpec (Degraded) and nothing is changed', (_name, svcs, bg, message) => {
    const result = plan(rollout('web:1', {}, bg), [], svcs);
    expect(result.actions).toEqual([]);
    expect(result.status).toMatchObject({ phase: 'Degraded', message: `InvalidSpec: ${message}` });
  });
});

describe('promotionGateDecision', () => {
  const run = (phase: AnalysisPhase, message?: string) => ({
    name: 'web-abc-2-pre',
    phase,
    ...(message ? { message } : {}),
  });
  it.each<[string, Parameters<typeof promotionGateDecision>[0], PromotionGateDecision]>([
    [
      'not configured: proceed',
      {
        stage: 'prePromotion',
        configured: false,
        wired: false,
        run: undefined,
        resumedAfterInconclusive: false,
      },
      { verdict: 'proceed' },
    ],
    [
      'configured but analysis not wired: wait, saying so',
      {
        stage: 'prePromotion',
        configured: true,
        wired: false,
        run: undefined,
        resumedAfterInconclusive: false,
      },
      {
        verdict: 'wait',
        startRun: false,
        message:
          'waiting for prePromotionAnalysis: this controller does not run AnalysisRuns yet (promote-full skips the analysis)',
      },
    ],
    [
      'no run yet: wait and start one',
      {
        stage: 'prePromotion',
        configured: true,
        wired: true,
        run: undefined,
        resumedAfterInconclusive: false,
      },
      { verdict: 'wait', startRun: true },
    ],
    [
      'Pending: wait',
      {
        stage: 'prePromotion',
        configured: true,
        wired: true,
        run: run('Pending'),
        resumedAfterInconclusive: false,
      },
      { verdict: 'wait', startRun: false },
    ],
    [
      'Running: wait',
      {
        stage: 'postPromotion',
        configured: true,
        wired: true,
        run: run('Running'),
        resumedAfterInconclusive: false,
      },
      { verdict: 'wait', startRun: false },
    ],
    [
      'Successful: proceed',
      {
        stage: 'prePromotion',
        configured: true,
        wired: true,
        run: run('Successful'),
        resumedAfterInconclusive: false,
      },
      { verdict: 'proceed' },
    ],
    [
      'Inconclusive: pause',
      {
        stage: 'prePromotion',
        configured: true,
        wired: true,
        run: run('Inconclusive'),
        resumedAfterInconclusive: false,
      },
      { verdict: 'pause' },
    ],
    [
      'Inconclusive, resumed by a person: a new run',
      {
        stage: 'prePromotion',
        configured: true,
        wired: true,
        run: run('Inconclusive'),
        resumedAfterInconclusive: true,
      },
      { verdict: 'wait', startRun: true },
    ],
    [
      'Failed: abort with the run message',
      {
        stage: 'postPromotion',
        configured: true,
        wired: true,
        run: run('Failed', 'metric "errors" assessed Failed'),
        resumedAfterInconclusive: false,
      },
      { verdict: 'abort', message: 'metric "errors" assessed Failed' },
    ],
    [
      'Error without a message: abort naming the run',
      {
        stage: 'prePromotion',
        configured: true,
        wired: true,
        run: run('Error'),
        resumedAfterInconclusive: false,
      },
      { verdict: 'abort', message: "prePromotion AnalysisRun 'web-abc-2-pre' ended Error" },
    ],
  ])('%s', (_name, input, expected) => {
    expect(promotionGateDecision(input)).toEqual(expected);
  });
});

describe('blue-green plan: promotion analysis gates', () => {
  const pre = { prePromotionAnalysis: { templates: [{ templateName: 'smoke' }] } };
  const post = { postPromotionAnalysis: { templates: [{ templateName: 'smoke' }] } };
  const ready = [rs(V1, 1, 3), rs(V2, 2, 3)];
  const analysisRun = (phase: AnalysisPhase) => ({
    name: `web-${V2}-2-pre`,
    phase,
    message: phase === 'Failed' ? 'too many errors' : '',
  });

  it('prePromotionAnalysis with a missing template is InvalidSpec naming it', () => {
    const result = plan(rollout('web:2', updatingV2(), pre, {}, '2'), ready, services(V1, V2));
    expect(pointed(result.actions)).toEqual({});
    expect(result.status.phase).toBe('Degraded');
    // Argo's wording (rollout/controller.go getReferencedAnalysisTemplatesFromRef).
    expect(result.status.message).toBe(
      `InvalidSpec: The Rollout "web" is invalid: spec.strategy.blueGreen.prePromotionAnalysis.templates: Invalid value: "smoke": AnalysisTemplate 'smoke' not found`,
    );
    expect(result.events).toEqual([
      {
        type: 'Warning',
        reason: 'InvalidSpec',
        message: `The Rollout "web" is invalid: spec.strategy.blueGreen.prePromotionAnalysis.templates: Invalid value: "smoke": AnalysisTemplate 'smoke' not found`,
      },
    ]);
  });

  it('prePromotionAnalysis starts its AnalysisRun and waits before the switch', () => {
    const result = plan(rollout('web:2', updatingV2(), pre, {}, '2'), ready, services(V1, V2), NOW, [
      analysisTemplate('smoke'),
    ]);
    expect(pointed(result.actions)).toEqual({});
    const created = result.actions.find((a) => a.kind === 'createAnalysisRun');
    expect(created && created.kind === 'createAnalysisRun' && created.run.metadata?.name).toBe(
      `web-${V2}-2-pre`,
    );
    expect(result.status).toMatchObject({ stableRS: V1, phase: 'Progressing' });
  });

  it('prePromotionAnalysis not yet wired: promote-full still skips it', () => {
    const result = plan(
      rollout('web:2', updatingV2({ promoteFull: true }), pre, {}, '2'),
      ready,
      services(V1, V2),
      NOW,
      [analysisTemplate('smoke')],
    );
    expect(pointed(result.actions)).toEqual({ 'web-active': V2 });
    expect(result.status).toMatchObject({ stableRS: V2, phase: 'Healthy' });
  });

  it('postPromotionAnalysis: switches, starts its AnalysisRun, then waits before marking the new set stable', () => {
    const result = plan(rollout('web:2', updatingV2(), post, {}, '2'), ready, services(V1, V2), NOW, [
      analysisTemplate('smoke'),
    ]);
    expect(pointed(result.actions)).toEqual({ 'web-active': V2 });
    expect(result.status).toMatchObject({
      stableRS: V1,
      blueGreen: { activeSelector: V2 },
      phase: 'Progressing',
    });
    expect(reasons(result)).not.toContain('RolloutCompleted');
  });

  // Wired in: planBlueGreen with the outcome the analysis module reports.
  function wiredPass(
    status: RolloutStatus,
    bg: Partial<BlueGreenStrategy>,
    svcs: Service[],
    analysis: PromotionAnalysis,
  ) {
    const ro = rollout('web:2', status, bg, {}, '2');
    const pass = new RolloutPass({
      rollout: ro,
      replicaSets: ready,
      services: new Map(svcs.map((s) => [s.metadata?.name ?? '', s])),
      now: NOW,
    });
    return { pass, result: planBlueGreen(pass, ro.spec.strategy.blueGreen!, analysis) };
  }

  it.each<[string, AnalysisPhase | undefined, Record<string, string>, Partial<RolloutStatus>]>([
    ['no run yet: asks for one and waits', undefined, {}, { stableRS: V1 }],
    ['Running: waits', 'Running', {}, { stableRS: V1 }],
    ['Successful: switches', 'Successful', { 'web-active': V2 }, { stableRS: V2 }],
    [
      'Inconclusive: pauses',
      'Inconclusive',
      {},
      { pauseConditions: [{ reason: 'InconclusiveAnalysisRun', startTime: formatAt(0) }] },
    ],
    ['Failed: aborts, active stays on stable', 'Failed', {}, { abort: true, stableRS: V1 }],
  ])('prePromotion %s', (_name, phase, switched, status) => {
    const { pass, result } = wiredPass(
      updatingV2(),
      pre,
      services(V1, V2),
      phase ? { prePromotion: analysisRun(phase) } : {},
    );
    expect(pointed(pass.actions)).toEqual(switched);
    expect(result.status).toMatchObject(status);
    if (!phase) expect(result.startAnalysis).toBe('prePromotion');
  });

  it.each<[string, AnalysisPhase, Record<string, string>, Partial<RolloutStatus>]>([
    ['Running: active stays on the new set, not yet stable', 'Running', {}, { stableRS: V1 }],
    ['Successful: the new set becomes stable', 'Successful', {}, { stableRS: V2 }],
    [
      'Failed: aborts and puts active back on the stable set',
      'Failed',
      { 'web-active': V1 },
      { abort: true, stableRS: V1 },
    ],
  ])('postPromotion %s', (_name, phase, switched, status) => {
    const switchedStatus = updatingV2({ blueGreen: { activeSelector: V2, previewSelector: V2 } });
    const { pass, result } = wiredPass(switchedStatus, post, services(V2, V2), {
      postPromotion: { ...analysisRun(phase), name: `web-${V2}-2-post` },
    });
    expect(pointed(pass.actions)).toEqual(switched);
    expect(result.status).toMatchObject(status);
    expect(result.status.blueGreen?.postPromotionAnalysisRunStatus).toMatchObject({
      name: `web-${V2}-2-post`,
      status: phase,
    });
  });
});
