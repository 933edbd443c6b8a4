import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CanaryStep } from '../../../src/api/rollout.js';
import { canaryStepsRootType } from '../../../src/rollout/pod-template-fields.generated.js';
import { goJsonOf } from '../../../src/rollout/pod-template-hash.js';
import { stepHash } from '../../../src/rollout/steps.js';

// Golden values from scripts/gen-pod-template-fields/hashcheck: each fixture's steps decoded into
// Argo Rollouts v1.10.2's []v1alpha1.CanaryStep and hashed by its conditions.ComputeStepHash.
const fixtureDir = new URL('../../fixtures/step-hash/', import.meta.url);
const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, fixtureDir), 'utf8'));
const golden = readJson('expected.json') as {
  readonly steps: Record<string, { readonly goJson: string; readonly hash: string }>;
};
const fixtures = readdirSync(fixtureDir)
  .filter((file) => file.endsWith('.json') && file !== 'expected.json')
  .map((file) => ({
    name: file.replace(/\.json$/, ''),
    steps: (readJson(file) as { steps: CanaryStep[] | null }).steps ?? undefined,
  }));

describe('stepHash against Argo Rollouts v1.10.2 ComputeStepHash', () => {
  it('has a golden value for every fixture, 20 or more', () => {
    expect(fixtures.map((f) => f.name).sort()).toEqual(Object.keys(golden.steps).sort());
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  describe.each(fixtures)('$name', ({ name, steps }) => {
    const expected = golden.steps[name]!;
    it('writes the steps as Go json (struct field order)', () => {
      expect(goJsonOf(steps, canaryStepsRootType, 'steps')).toBe(expected.goJson);
    });
    it('hashes them as Argo does', () => {
      expect(stepHash(steps)).toBe(expected.hash);
    });
  });

  it('hashes no steps as null, unlike an empty list', () => {
    expect(goJsonOf(undefined, canaryStepsRootType, 'steps')).toBe('null');
    expect(stepHash(undefined)).not.toBe(stepHash([]));
  });
});
