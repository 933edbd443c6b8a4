// Captures Experiments exactly as our controller left them, as fixtures for the Argo CD
// Experiment health check and terminate action (health-checks/argoproj.io/Experiment/testdata
// and actions/argoproj.io/Experiment/testdata, controller-*.yaml), so the Lua scripts are tested
// against what we emit. Runs only with SLIPWAY_CAPTURE_ARGOCD_FIXTURES=1; the files are committed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';

const HEALTH_TESTDATA = join(PACKAGE_ROOT, 'health-checks', 'argoproj.io', 'Experiment', 'testdata');
const ACTION_TESTDATA = join(PACKAGE_ROOT, 'actions', 'argoproj.io', 'Experiment', 'testdata');

export function captureExperimentFixture(
  experiment: { metadata: Record<string, unknown> },
  fixture: string,
  where: 'health' | 'action' = 'health',
): void {
  if (!process.env.SLIPWAY_CAPTURE_ARGOCD_FIXTURES) return;
  const { managedFields: _m, resourceVersion: _r, uid: _u, ...metadata } = experiment.metadata;
  const annotations = { ...(metadata.annotations as Record<string, string> | undefined) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  metadata.annotations = annotations;
  const dir = where === 'health' ? HEALTH_TESTDATA : ACTION_TESTDATA;
  writeFileSync(
    join(dir, `controller-${fixture}.yaml`),
    `# Captured from test/e2e/experiment.test.ts: an Experiment as the Slipway controller left it.\n${stringify({ ...experiment, metadata: { ...metadata, namespace: 'default' } })}`,
  );
}
