import { describe, expect, it } from 'vitest';
import type { PromotionPipeline } from '../../../../src/api/promotion.js';
import { applyEdit } from '../../../../src/gitsync/gittarget/editors/registry.js';
import { editFor } from '../../../../src/gitsync/promotion/act.js';

const pipeline = {
  metadata: { name: 'web', namespace: 'ops' },
  spec: {
    image: 'reg.local/acme/web',
    environments: [
      {
        name: 'prod',
        target: { gitTarget: 'repo', path: 'envs/prod', kustomize: {} },
        rollouts: [{ name: 'web' }],
        pauseRelease: { gitTarget: 'repo', path: 'envs/prod/rollout.yaml' },
      },
    ],
  },
} as unknown as PromotionPipeline;
const evidence = { rollout: 'prod/web', revision: '3 (abc)', analysis: 'none', summary: 's' };

describe('editFor', () => {
  it('writes the promoted image with the environment target editor', () => {
    const edit = editFor(pipeline, {
      type: 'rollback',
      environment: 'prod',
      image: 'reg.local/acme/web:1.0.0',
      failed: 'reg.local/acme/web:2.0.0',
      mode: 'commit',
      evidence,
    });
    expect(edit).toEqual({
      gitTarget: 'repo',
      spec: {
        editor: 'kustomize-images',
        file: 'envs/prod',
        name: 'reg.local/acme/web',
        newTag: '1.0.0',
        mode: 'tag',
      },
    });
  });

  it('a release-pause sets the annotation on the Rollout document, keeping the rest byte for byte', () => {
    const manifest = `# prod web
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  annotations:
    slipway.dev/release-pause: "" # merged PRs write here
spec:
  replicas: 3
`;
    const edit = editFor(pipeline, {
      type: 'release-pause',
      environment: 'prod',
      image: 'reg.local/acme/web:2.0.0',
      key: 'abc/1',
      evidence,
    });
    const result = applyEdit(manifest, edit.spec);
    expect(result.kind).toBe('changed');
    expect(result.kind === 'changed' && result.text).toBe(
      manifest.replace('release-pause: ""', 'release-pause: "abc/1"'),
    );
  });
});
