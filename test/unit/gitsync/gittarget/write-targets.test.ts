import { describe, expect, it } from 'vitest';
import type { ImageWatch, WriteTarget } from '../../../../src/api/gitsync.js';
import { conditionsFor } from '../../../../src/gitsync/conditions.js';
import type { KustomizeImagesEdit } from '../../../../src/gitsync/gittarget/editors/kustomize-images.js';
import { kustomizeImagesEditor } from '../../../../src/gitsync/gittarget/editors/kustomize-images.js';
import { planRepositoryEdits } from '../../../../src/gitsync/gittarget/repository-plan.js';
import { editSpecFor, fileOf, validateWriteTarget } from '../../../../src/gitsync/gittarget/write-targets.js';
import { imageWatchState } from '../../../../src/gitsync/imagewatch/state.js';

const tagWrite = {
  image: 'ghcr.io/acme/web',
  tag: '1.4.2',
  digest: `sha256:${'a'.repeat(64)}`,
  pinDigest: false,
};
const digestWrite = { ...tagWrite, tag: 'latest', pinDigest: true };

describe('write targets to editor calls', () => {
  it('sets newTag of the kustomize entry, or its digest when pinning', () => {
    const target: WriteTarget = { gitTarget: 'repo', path: 'apps/web/kustomization.yaml', kustomize: {} };
    expect(editSpecFor(target, tagWrite)).toEqual({
      editor: 'kustomize-images',
      file: 'apps/web/kustomization.yaml',
      name: 'ghcr.io/acme/web',
      newTag: '1.4.2',
      mode: 'tag',
    });
    expect(editSpecFor(target, digestWrite)).toEqual({
      editor: 'kustomize-images',
      file: 'apps/web/kustomization.yaml',
      name: 'ghcr.io/acme/web',
      digest: digestWrite.digest,
      mode: 'digest',
    });
  });

  it('pins the digest in a stale-newTag kustomization by removing newTag', () => {
    const target: WriteTarget = { gitTarget: 'repo', path: 'k.yaml', kustomize: {} };
    const result = kustomizeImagesEditor.apply(
      'images:\n  - name: ghcr.io/acme/web\n    newTag: 1.0.0\n',
      editSpecFor(target, digestWrite) as KustomizeImagesEdit,
    );
    expect(result).toMatchObject({
      kind: 'changed',
      text: `images:\n  - name: ghcr.io/acme/web\n    digest: ${digestWrite.digest}\n`,
    });
  });

  it('writes tag@digest to tag-only fields when pinning the digest', () => {
    const pinned = `latest@${digestWrite.digest}`;
    expect(
      editSpecFor({ gitTarget: 'r', path: 'd.yaml', yaml: { path: 'x', value: 'tag' } }, digestWrite),
    ).toMatchObject({ value: pinned });
    expect(
      editSpecFor({ gitTarget: 'r', path: 'd.yaml', yaml: { path: 'x', value: 'digest' } }, digestWrite),
    ).toMatchObject({ value: digestWrite.digest });
    expect(
      editSpecFor(
        {
          gitTarget: 'r',
          path: 'apps/web',
          argocdSourceOverride: { application: 'web', helm: { tagParameter: 'image.tag' } },
        },
        digestWrite,
      ),
    ).toMatchObject({ override: { kind: 'helm', parameters: [{ name: 'image.tag', value: pinned }] } });
  });

  it('maps Helm values paths, split or combined', () => {
    expect(
      editSpecFor(
        {
          gitTarget: 'r',
          path: 'values.yaml',
          helm: { repositoryPath: 'image.repository', tagPath: 'image.tag' },
        },
        tagWrite,
      ),
    ).toEqual({
      editor: 'helm-values',
      file: 'values.yaml',
      targets: [
        {
          kind: 'split',
          image: 'ghcr.io/acme/web:1.4.2',
          repositoryPath: 'image.repository',
          tagPath: 'image.tag',
        },
      ],
    });
    expect(
      editSpecFor({ gitTarget: 'r', path: 'values.yaml', helm: { imagePath: 'web.image' } }, digestWrite),
    ).toEqual({
      editor: 'helm-values',
      file: 'values.yaml',
      targets: [
        { kind: 'combined', image: `ghcr.io/acme/web:latest@${digestWrite.digest}`, path: 'web.image' },
      ],
    });
  });

  it('writes any YAML field as the tag, the digest or the whole reference', () => {
    const target: WriteTarget = {
      gitTarget: 'r',
      path: 'deploy.yaml',
      yaml: { path: 'spec.template.spec.containers[name=web].image', document: { kind: 'Deployment' } },
    };
    expect(editSpecFor(target, tagWrite)).toEqual({
      editor: 'yaml-path',
      file: 'deploy.yaml',
      path: 'spec.template.spec.containers[name=web].image',
      value: 'ghcr.io/acme/web:1.4.2',
      document: { kind: 'Deployment' },
    });
    expect(editSpecFor({ ...target, yaml: { path: 'x', value: 'tag' } }, tagWrite)).toMatchObject({
      value: '1.4.2',
    });
  });

  it('puts Argo CD overrides in .argocd-source-<app>.yaml of the source directory', () => {
    const helm: WriteTarget = {
      gitTarget: 'r',
      path: 'apps/web/',
      argocdSourceOverride: {
        application: 'web-prod',
        helm: { repositoryParameter: 'image.repository', tagParameter: 'image.tag' },
      },
    };
    expect(fileOf(helm)).toBe('apps/web/.argocd-source-web-prod.yaml');
    expect(editSpecFor(helm, tagWrite)).toEqual({
      editor: 'argocd-source-override',
      file: 'apps/web/.argocd-source-web-prod.yaml',
      override: {
        kind: 'helm',
        parameters: [
          { name: 'image.repository', value: 'ghcr.io/acme/web' },
          { name: 'image.tag', value: '1.4.2' },
        ],
      },
    });
    expect(editSpecFor({ ...helm, argocdSourceOverride: { application: 'web' } }, tagWrite)).toMatchObject({
      override: { kind: 'kustomize', images: ['ghcr.io/acme/web:1.4.2'] },
    });
  });

  it('refuses targets with no or two edits, or a path leaving the repository', () => {
    expect(validateWriteTarget({ gitTarget: 'r', path: 'a.yaml' })).toMatch(/exactly one of .* \(got none\)/);
    expect(
      validateWriteTarget({ gitTarget: 'r', path: 'a.yaml', kustomize: {}, helm: { tagPath: 't' } }),
    ).toMatch(/got kustomize, helm/);
    expect(validateWriteTarget({ gitTarget: 'r', path: '../a.yaml', kustomize: {} })).toMatch(
      /stay inside it/,
    );
    expect(validateWriteTarget({ gitTarget: 'r', path: '/etc/a.yaml', kustomize: {} })).toMatch(/relative/);
  });
});

function watch(name: string, tag: string | undefined, targets: WriteTarget[], generation = 1): ImageWatch {
  return {
    metadata: { name, namespace: 'shop', generation },
    spec: {
      image: `ghcr.io/acme/${name}`,
      policy: { strategy: 'semver', semver: { constraint: '^1' } },
      targets,
    },
    status: {
      observedGeneration: 1,
      ...(tag !== undefined && {
        latest: { tag, digest: `sha256:${'b'.repeat(64)}`, image: `ghcr.io/acme/${name}:${tag}` },
      }),
    },
  };
}

describe('the edits a GitTarget owes, from desired state', () => {
  it('derives one edit per target of this GitTarget from each watch’s latest candidate', () => {
    const plan = planRepositoryEdits('platform', [
      watch('web', '1.2.0', [
        { gitTarget: 'platform', path: 'apps/web/kustomization.yaml', kustomize: {} },
        { gitTarget: 'other', path: 'x.yaml', kustomize: {} },
      ]),
      watch('api', undefined, [
        { gitTarget: 'platform', path: 'apps/api/values.yaml', helm: { tagPath: 'image.tag' } },
      ]),
      watch('old', '1.0.0', [{ gitTarget: 'platform', path: 'apps/old/k.yaml', kustomize: {} }], 2),
      watch('bad', '1.0.0', [{ gitTarget: 'platform', path: 'apps/bad/k.yaml' }]),
    ]);
    expect(plan.edits.map((e) => [e.id, e.spec.file, e.to, e.policy])).toEqual([
      ['shop/web#0', 'apps/web/kustomization.yaml', '1.2.0', 'semver ^1'],
    ]);
    expect(plan.waiting.map((w) => w.watch)).toEqual(['shop/api', 'shop/old']);
    expect(plan.invalid.map((i) => i.watch)).toEqual(['shop/bad']);
  });
});

describe('ImageWatch conditions', () => {
  const base = watch('web', '1.2.0', [{ gitTarget: 'platform', path: 'k.yaml', kustomize: {} }]);
  const withWrites = (
    state: 'Applied' | 'Failed' | 'Pending',
    image = 'ghcr.io/acme/web:1.2.0',
  ): ImageWatch => ({
    ...base,
    status: {
      ...base.status,
      writes: [{ gitTarget: 'platform', path: 'k.yaml', state, image, message: 'why' }],
    },
  });

  it('is Ready once the latest candidate is applied to every target', () => {
    expect(imageWatchState({ watch: withWrites('Applied'), missingGitTargets: [] })).toMatchObject({
      ready: true,
      reason: 'UpToDate',
    });
    expect(
      imageWatchState({ watch: withWrites('Applied', 'ghcr.io/acme/web:1.1.0'), missingGitTargets: [] }),
    ).toMatchObject({
      ready: false,
      error: false,
      reason: 'WritePending',
    });
    expect(imageWatchState({ watch: withWrites('Failed'), missingGitTargets: [] })).toMatchObject({
      error: true,
      reason: 'WriteFailed',
    });
    expect(imageWatchState({ watch: base, missingGitTargets: ['platform'] })).toMatchObject({
      reason: 'GitTargetNotFound',
    });
    expect(
      imageWatchState({
        watch: base,
        missingGitTargets: [],
        check: { reason: 'RegistryUnauthorized', message: 'no', error: true },
      }),
    ).toMatchObject({ ready: false, error: true, reason: 'RegistryUnauthorized' });
  });

  it('keeps lastTransitionTime while a condition holds its status', () => {
    const first = conditionsFor(
      undefined,
      { ready: false, error: false, reason: 'Checking', message: 'm' },
      't1',
    );
    const second = conditionsFor(
      first,
      { ready: false, error: true, reason: 'RegistryNotFound', message: 'x' },
      't2',
    );
    expect(second.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      lastTransitionTime: 't1',
      lastUpdateTime: 't2',
    });
    expect(second.find((c) => c.type === 'Error')).toMatchObject({
      status: 'True',
      reason: 'RegistryNotFound',
      lastTransitionTime: 't2',
    });
  });
});
