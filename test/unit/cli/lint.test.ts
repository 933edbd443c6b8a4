// `lint`: Argo's field paths and messages, strict decoding, and Slipway's own validation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorText, lintText } from '../../../src/cli/lint.js';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';

const rollout = (spec: string) => `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
${spec}`;
const base = `  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: app, image: nginx}]
`;

describe('lint', () => {
  it('passes the examples', () => {
    const text = readFileSync(join(PACKAGE_ROOT, 'examples', 'rollout-canary.yaml'), 'utf8');
    expect(lintText(text).errors).toEqual([]);
  });

  it.each([
    [
      'setWeight out of range',
      `${base}  strategy:\n    canary:\n      steps: [{setWeight: 120}]\n`,
      ['spec.strategy.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100'],
    ],
    [
      'no strategy',
      `${base}  strategy: {}\n`,
      [
        "spec.strategy.strategy: Required value: Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'",
      ],
    ],
    [
      'same active and preview service',
      `${base}  strategy:\n    blueGreen: {activeService: a, previewService: a}\n`,
      [
        'spec.strategy.activeService: Invalid value: "a": This rollout uses the same service for the active and preview services, but two different services are required.',
      ],
    ],
    [
      'maxSurge and maxUnavailable both zero',
      `${base}  strategy:\n    canary: {maxSurge: 0, maxUnavailable: 0}\n`,
      ['spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero'],
    ],
    [
      'traffic routing without services',
      `${base}  strategy:\n    canary:\n      trafficRouting: {nginx: {stableIngress: web}}\n`,
      [
        'spec.strategy.stableService: Invalid value: "": Canary service and Stable service must to be set to use Traffic Routing',
        'spec.strategy.canaryService: Invalid value: "": Canary service and Stable service must to be set to use Traffic Routing',
      ],
    ],
    [
      'selector not matching the labels',
      `  selector:\n    matchLabels: {app: other}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: app, image: nginx}]\n  strategy:\n    canary: {}\n`,
      [
        'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
      ],
    ],
  ])('%s', (_, spec, expected) => {
    expect(lintText(rollout(spec)).errors.map(errorText)).toEqual(expected);
  });

  it('refuses unknown fields as strict decoding does, and bad YAML', () => {
    expect(() => lintText(rollout(`${base}  strategy:\n    canary: {stepz: []}\n`))).toThrow(
      'error unmarshaling JSON: while decoding JSON: json: unknown field "stepz"',
    );
    expect(() => lintText('a: [')).toThrow();
  });

  it("adds Slipway's own validation when Argo's finds nothing", () => {
    const errors = lintText(
      rollout(`${base}  strategy:\n    canary:\n      steps: [{pause: {duration: soon}}]\n`),
    ).errors;
    expect(errors.map(errorText)).toEqual([
      "spec.strategy.canary.steps[0].pause.duration must be seconds or a duration like 30s, 10m or 1h, got 'soon'",
    ]);
  });
});
