// The label values Argo derives for rollout_info and rollout_phase
// (controller/metrics/rollouts.go calculatePhase and getStrategyAndTrafficRouter).
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/rollout.js';
import { metricsPhase, trafficRouterOf } from '../../../src/metrics/rollout-metrics.js';

const withConditions = (...conditions: { type: string; reason?: string }[]) =>
  ({
    spec: { strategy: { canary: {} } },
    status: { conditions: conditions.map((c) => ({ status: 'True', ...c })) },
  }) as unknown as Rollout;

const routedBy = (trafficRouting: Record<string, unknown>) =>
  ({ spec: { strategy: { canary: { trafficRouting } } } }) as unknown as Rollout;

describe('rollout metrics labels as Argo writes them', () => {
  it.each([
    ['NewReplicaSetAvailable', 'Completed'],
    ['RolloutPaused', 'Paused'],
    ['ReplicaSetCreateError', 'Error'],
    ['ProgressDeadlineExceeded', 'Timeout'],
    ['RolloutAborted', 'Abort'],
    ['ReplicaSetUpdated', 'Progressing'],
  ])('Progressing reason %s is phase %s', (reason, phase) => {
    expect(metricsPhase(withConditions({ type: 'Progressing', reason }))).toBe(phase);
  });

  it('is Progressing with no condition, and InvalidSpec over any Progressing reason', () => {
    expect(metricsPhase(withConditions())).toBe('Progressing');
    expect(
      metricsPhase(
        withConditions({ type: 'Progressing', reason: 'NewReplicaSetAvailable' }, { type: 'InvalidSpec' }),
      ),
    ).toBe('InvalidSpec');
  });

  it('names one traffic router, the last of ALB, Ambassador, Istio, Nginx, SMI, AppMesh', () => {
    expect(trafficRouterOf(routedBy({ alb: {} }))).toBe('ALB');
    expect(trafficRouterOf(routedBy({ istio: {}, alb: {} }))).toBe('Istio');
    expect(trafficRouterOf(routedBy({ nginx: {}, istio: {}, smi: {} }))).toBe('SMI');
    expect(trafficRouterOf(routedBy({ appMesh: {}, ambassador: {} }))).toBe('AppMesh');
    // Routers Argo's metrics do not name.
    expect(trafficRouterOf(routedBy({ traefik: {}, apisix: {}, plugins: {} }))).toBe('');
    expect(trafficRouterOf({ spec: { strategy: { blueGreen: {} } } } as unknown as Rollout)).toBe('');
  });
});
