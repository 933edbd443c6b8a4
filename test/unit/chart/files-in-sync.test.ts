// The chart cannot read files outside itself, so charts/slipway/files/ holds copies of the
// Argo CD fragments generated into health-checks/ (`npm run generate` refreshes them). A
// stale copy would ship old health checks to everyone who installs the chart.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILES, HEALTH_CHECKS_DIR } from '../../../src/argocd/argocd-cm.js';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';

const CHART_FILES = join(PACKAGE_ROOT, 'charts', 'slipway', 'files');

describe('charts/slipway/files', () => {
  it.each([...GENERATED_FILES.keys()])(
    '%s is a byte-for-byte copy of health-checks/ (run npm run generate)',
    (name) => {
      const source = readFileSync(join(HEALTH_CHECKS_DIR, name), 'utf8');
      const copy = readFileSync(join(CHART_FILES, name), 'utf8');
      expect(copy === source, `charts/slipway/files/${name} differs from health-checks/${name}`).toBe(true);
    },
  );

  it('holds nothing but those copies', () => {
    expect(readdirSync(CHART_FILES).sort()).toEqual([...GENERATED_FILES.keys()].sort());
  });
});
