// Captures Rollouts exactly as our controller left them, at each phase of an e2e test, as
// fixtures for the Argo CD health-check tests (health-checks/argoproj.io/Rollout/testdata/
// controller-*.yaml), so the Lua scripts are tested against what we emit. Runs only with
// SLIPWAY_CAPTURE_ARGOCD_FIXTURES=1; the captured files are committed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';
import { getJson } from './kubectl.js';

const TESTDATA = join(PACKAGE_ROOT, 'health-checks', 'argoproj.io', 'Rollout', 'testdata');

export function captureRolloutFixture(namespace: string, name: string, fixture: string): void {
  if (!process.env.SLIPWAY_CAPTURE_ARGOCD_FIXTURES) return;
  const rollout = getJson<{ metadata: Record<string, unknown> }>(['rollout', name, '-n', namespace]);
  const { managedFields: _m, resourceVersion: _r, uid: _u, ...metadata } = rollout.metadata;
  const annotations = { ...(metadata.annotations as Record<string, string> | undefined) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  metadata.annotations = annotations;
  const file = join(TESTDATA, `controller-${fixture}.yaml`);
  writeFileSync(
    file,
    `# Captured from test/e2e/canary.test.ts: a Rollout as the Slipway controller left it.\n${stringify({ ...rollout, metadata: { ...metadata, namespace: 'default' } })}`,
  );
}
