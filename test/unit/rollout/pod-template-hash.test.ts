import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  canonicalQuantity,
  goJsonOfPodTemplate,
  podTemplateHash,
} from '../../../src/rollout/pod-template-hash.js';

// Golden values come from scripts/gen-pod-template-fields/hashcheck, a Go program that decodes each
// fixture into the real corev1.PodTemplateSpec of k8s.io/api v0.34.5, marshals it with
// encoding/json and calls Argo Rollouts v1.10.2's own utils/hash.ComputePodTemplateHash.
const fixtureDir = new URL('../../fixtures/pod-template-hash/', import.meta.url);

interface Fixture {
  readonly description: string;
  readonly template?: unknown;
  readonly collisionCount?: number;
  readonly quantities?: readonly (string | number)[];
}

interface Golden {
  readonly templates: Record<
    string,
    {
      readonly collisionCount: number | null;
      goJson: string;
      hash: string;
      hashWithNullCreationTimestamp: string;
      defaulted: string;
    }
  >;
  readonly quantities: readonly { readonly input: string | number; output?: string; error?: string }[];
}

const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, fixtureDir), 'utf8'));
const golden = readJson('expected.json') as Golden;
const fixtures = readdirSync(fixtureDir)
  .filter((file) => file.endsWith('.json') && file !== 'expected.json')
  .map((file) => ({ name: file.replace(/\.json$/, ''), ...(readJson(file) as Fixture) }));
const templateFixtures = fixtures.filter((fixture) => fixture.template !== undefined);

describe('goJsonOfPodTemplate and podTemplateHash against real Go output', () => {
  it('has a golden value for every template fixture', () => {
    expect(templateFixtures.map((f) => f.name).sort()).toEqual(Object.keys(golden.templates).sort());
    expect(templateFixtures.length).toBeGreaterThanOrEqual(20);
  });

  describe.each(templateFixtures)('$name', (fixture) => {
    const expected = golden.templates[fixture.name]!;

    it('serializes byte for byte like encoding/json', () => {
      expect(goJsonOfPodTemplate(fixture.template)).toBe(expected.goJson);
    });

    it("hashes like Argo Rollouts v1.10.2's utils/hash", () => {
      expect(podTemplateHash(fixture.template, fixture.collisionCount)).toBe(expected.hash);
      expect(
        podTemplateHash(fixture.template, fixture.collisionCount, { creationTimestamp: 'omitted' }),
      ).toBe(expected.hash);
    });

    it('hashes like Argo releases that wrote a null creationTimestamp, when asked', () => {
      expect(podTemplateHash(fixture.template, fixture.collisionCount, { creationTimestamp: 'null' })).toBe(
        expected.hashWithNullCreationTimestamp,
      );
    });
  });
});

describe('podTemplateHash', () => {
  const red = templateFixtures.find((f) => f.name === 'argo-hash-test-red')!.template;
  const canary = templateFixtures.find((f) => f.name === 'rollout-canary')!.template;

  it('gives the hash of the issue for the canary example: v1.10.2 omits the zero timestamp', () => {
    // generatePodTemplate("red") of Argo's utils/hash/hash_test.go, through Argo's own function.
    expect(podTemplateHash(red)).toBe(golden.templates['argo-hash-test-red']!.hash);
    expect(podTemplateHash(canary)).toBe('79f6747648');
    expect(podTemplateHash(canary, null, { creationTimestamp: 'null' })).toBe('7474f4ff5b');
  });

  it('treats a collision count of 0 as set (8 more bytes), unlike no count', () => {
    expect(podTemplateHash(canary, 0)).not.toBe(podTemplateHash(canary));
    expect(podTemplateHash(canary, null)).toBe(podTemplateHash(canary));
  });

  it('only uses the alphabet of rand.SafeEncodeString', () => {
    expect(podTemplateHash(canary)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('rejects a collision count that is not an int32', () => {
    expect(() => podTemplateHash(canary, 1.5)).toThrow(/collisionCount must be an int32/);
  });
});

describe('goJsonOfPodTemplate decoding', () => {
  it('names the field when a value has the wrong type, as Go would fail to decode it', () => {
    expect(() => goJsonOfPodTemplate({ spec: { containers: [{ name: 'a', image: 7 }] } })).toThrow(
      'template.spec.containers[0].image must be a string',
    );
    expect(() =>
      goJsonOfPodTemplate({ spec: { containers: [{ name: 'a', resources: { limits: { cpu: 'lots' } } }] } }),
    ).toThrow(/template\.spec\.containers\[0\]\.resources\.limits\["cpu"\]: invalid quantity "lots"/);
  });

  it('writes the zero value of a missing template', () => {
    expect(goJsonOfPodTemplate(undefined)).toBe('{"metadata":{},"spec":{"containers":null}}');
  });
});

describe('canonicalQuantity against resource.Quantity MarshalJSON', () => {
  const cases = golden.quantities.map((q) => ({ ...q, label: JSON.stringify(q.input) }));

  it.each(cases.filter((q) => q.output !== undefined))('$label → $output', ({ input, output }) => {
    expect(JSON.stringify(canonicalQuantity(input))).toBe(output);
  });

  it.each(cases.filter((q) => q.error !== undefined))('$label is rejected ($error)', ({ input, error }) => {
    expect(() => canonicalQuantity(input)).toThrow(error!);
  });
});
