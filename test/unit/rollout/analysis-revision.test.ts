import { describe, expect, it } from 'vitest';
import type { AnalysisRun } from '../../../src/api/analysis.js';
import {
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  ROLLOUT_TYPE_LABEL,
  STEP_INDEX_LABEL,
} from '../../../src/api/labels.js';
import { RolloutAnalysisRuns } from '../../../src/rollout/analysis.js';
import type { RolloutPass } from '../../../src/rollout/pass.js';

function run(name: string, revision: string | undefined, phase: 'Failed' | 'Successful'): AnalysisRun {
  return {
    metadata: {
      name,
      namespace: 'ops',
      labels: { [ROLLOUT_TYPE_LABEL]: 'Step', [POD_TEMPLATE_HASH_LABEL]: 'abc', [STEP_INDEX_LABEL]: '1' },
      ...(revision !== undefined && { annotations: { [REVISION_ANNOTATION]: revision } }),
    },
    spec: { metrics: [] },
    status: { phase },
  } as unknown as AnalysisRun;
}

describe('the AnalysisRun of a step belongs to one revision', () => {
  const step = { type: 'Step', stepIndex: 1 } as const;
  const observed = (runs: AnalysisRun[]) => ({
    runs,
    templates: { analysisTemplates: [], clusterAnalysisTemplates: [] },
  });
  const pass = (revision: number) => ({ hash: 'abc', revision }) as unknown as RolloutPass;

  it('does not reuse the failed run of an earlier revision of the same template', () => {
    const failed = run('web-abc-2-1', '2', 'Failed');
    expect(new RolloutAnalysisRuns(pass(2), observed([failed])).find(step)?.metadata?.name).toBe(
      'web-abc-2-1',
    );
    expect(new RolloutAnalysisRuns(pass(4), observed([failed])).find(step)).toBeUndefined();
    const fresh = run('web-abc-4-1', '4', 'Successful');
    expect(new RolloutAnalysisRuns(pass(4), observed([failed, fresh])).find(step)?.metadata?.name).toBe(
      'web-abc-4-1',
    );
  });

  it('still matches a run that carries no revision annotation', () => {
    expect(
      new RolloutAnalysisRuns(pass(4), observed([run('old', undefined, 'Successful')])).find(step),
    ).toBeDefined();
  });
});
