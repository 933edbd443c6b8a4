// What a canary step means: the weight, setCanaryScale and managed routes in force at a step.
import { describe, expect, it } from 'vitest';
import type { CanaryStep } from '../../../src/api/rollout.js';
import {
  canaryScaleAtStep,
  managedRoutesAtStep,
  weightAtStep,
  weightBeforeStep,
} from '../../../src/rollout/steps.js';

const mirror = { name: 'shadow', percentage: 10, match: [{ method: { exact: 'GET' } }] };
const header = { name: 'beta', match: [{ headerName: 'x-beta', headerValue: { prefix: 'y' } }] };
const steps: CanaryStep[] = [
  { setWeight: 20 },
  { setMirrorRoute: mirror, setHeaderRoute: header },
  { pause: { duration: '1m' } },
  { setWeight: 40 },
  { setMirrorRoute: { name: 'shadow' } },
  { analysis: { templates: [{ templateName: 'ok' }] } },
];

describe('weightAtStep', () => {
  it.each([
    ['the setWeight of the step', 0, 20],
    ['the last setWeight before a pause', 2, 20],
    ['a later setWeight', 4, 40],
    ['100 once every step is done', 6, 100],
  ])('gives %s', (_what, index, weight) => {
    expect(weightAtStep(steps, index)).toBe(weight);
  });

  it('gives 0 before any setWeight, and maxWeight past the end or without steps', () => {
    const pauseFirst: CanaryStep[] = [{ pause: {} }, { setWeight: 40 }];
    expect(weightAtStep(pauseFirst, 0)).toBe(0);
    expect(weightAtStep([{ setWeight: 10 }], 1, 1000)).toBe(1000);
    expect(weightAtStep([], 0)).toBe(100);
  });

  it('[argo] reads setWeight, not setCanaryScale (the basic canary ignores it)', () => {
    const both: CanaryStep[] = [{ setWeight: 20, setCanaryScale: { replicas: 9, weight: 100 } }];
    expect(weightAtStep(both, 0)).toBe(20);
  });
});

describe('weightBeforeStep', () => {
  it('is the last setWeight before the step (what stays while its pods scale)', () => {
    expect(weightBeforeStep(steps, 0)).toBe(0);
    expect(weightBeforeStep(steps, 3)).toBe(20);
    expect(weightBeforeStep(steps, 4)).toBe(40);
    expect(weightBeforeStep(steps, 9)).toBe(40);
  });
});

describe('canaryScaleAtStep', () => {
  const scale = { replicas: 3 };
  it('is the last setCanaryScale at or before the step, none past the last step', () => {
    const withScale: CanaryStep[] = [{ setWeight: 10 }, { setCanaryScale: scale }, { setWeight: 30 }];
    expect(canaryScaleAtStep(withScale, 0)).toBeUndefined();
    expect(canaryScaleAtStep(withScale, 1)).toBe(scale);
    // A later setWeight does not end it (Argo's UseSetCanaryScale looks back to the last one).
    expect(canaryScaleAtStep(withScale, 2)).toBe(scale);
    expect(canaryScaleAtStep(withScale, 3)).toBeUndefined();
  });

  it('[argo] matchTrafficWeight hands the scale back to the weight', () => {
    expect(
      canaryScaleAtStep([{ setCanaryScale: scale }, { setCanaryScale: { matchTrafficWeight: true } }], 1),
    ).toBeUndefined();
  });
});

describe('managedRoutesAtStep', () => {
  it('keeps the last instruction per route up to the current step', () => {
    expect(managedRoutesAtStep(steps, 0)).toEqual({ headerRoutes: [], mirrorRoutes: [] });
    expect(managedRoutesAtStep(steps, 2)).toEqual({ headerRoutes: [header], mirrorRoutes: [mirror] });
    // A route without match asks for its removal; the header route stays.
    expect(managedRoutesAtStep(steps, 5)).toEqual({
      headerRoutes: [header],
      mirrorRoutes: [{ name: 'shadow' }],
    });
  });
});
