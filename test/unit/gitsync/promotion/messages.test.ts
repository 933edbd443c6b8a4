import { describe, expect, it } from 'vitest';
import type { PromotionPipeline } from '../../../../src/api/promotion.js';
import type { Decision } from '../../../../src/gitsync/promotion/decide.js';
import {
  decisionCommitMessage,
  pullRequestBody,
  pullRequestLabels,
  pullRequestTitle,
} from '../../../../src/gitsync/promotion/messages.js';

const pipeline = {
  metadata: { name: 'web', namespace: 'ops' },
  spec: { image: 'reg.local/acme/web', environments: [] },
} as PromotionPipeline;
const evidence = {
  rollout: 'staging/web',
  revision: '7 (abc)',
  analysis: 'web-abc-7-1=Failed',
  summary: 'Rollout staging/web aborted: metric check failed',
};
const rollback: Extract<Decision, { type: 'rollback' }> = {
  type: 'rollback',
  environment: 'staging',
  image: 'reg.local/acme/web:1.0.0',
  failed: 'reg.local/acme/web:2.0.0',
  mode: 'commit',
  evidence,
};

describe('decision messages', () => {
  it('puts every Slipway trailer in the last paragraph of the commit message', () => {
    const message = decisionCommitMessage(pipeline, rollback);
    const paragraphs = message.trimEnd().split('\n\n');
    expect(paragraphs[0]).toBe('rollback(staging): web:1.0.0, web:2.0.0 failed');
    expect(paragraphs.at(-1)!.split('\n')).toEqual([
      'Slipway-Decision: rollback',
      'Slipway-Pipeline: ops/web',
      'Slipway-Environment: staging',
      'Slipway-Image: reg.local/acme/web:1.0.0',
      'Slipway-To: 1.0.0',
      'Slipway-From: reg.local/acme/web:2.0.0',
      'Slipway-Rollout: staging/web',
      'Slipway-Revision: 7 (abc)',
      'Slipway-Analysis: web-abc-7-1=Failed',
    ]);
  });

  it('writes a pull request that says what changes, why, and with which evidence', () => {
    const promote: Decision = {
      type: 'promote',
      from: 'staging',
      environment: 'prod',
      image: 'reg.local/acme/web:2.0.0',
      replaces: 'reg.local/acme/web:1.0.0',
      mode: 'pull-request',
      evidence: {
        ...evidence,
        analysis: 'web-abc-7-1=Successful',
        summary: 'Rollout staging/web completed Healthy in staging; analysis Successful',
      },
    };
    expect(pullRequestTitle(promote)).toBe('Promote web:2.0.0 to prod');
    const body = pullRequestBody(pipeline, promote, {
      file: 'envs/prod/values.yaml',
      application: 'https://argocd.example/applications/web-prod',
    });
    expect(body).toContain(
      '- `envs/prod/values.yaml`: reg.local/acme/web:1.0.0 → `reg.local/acme/web:2.0.0`',
    );
    expect(body).toContain(
      'Rollout staging/web completed Healthy in staging; analysis Successful. prod moves from reg.local/acme/web:1.0.0 to reg.local/acme/web:2.0.0.',
    );
    expect(body).toContain('- Analysis: web-abc-7-1=Successful');
    expect(body).toContain('- Argo CD: https://argocd.example/applications/web-prod');
    expect(pullRequestLabels(promote, ['team-web', 'slipway'])).toEqual([
      'slipway',
      'slipway/promote',
      'env/prod',
      'team-web',
    ]);
  });
});
