import { describe, expect, it } from 'vitest';
import {
  argocdSourceOverrideEditor,
  type SourceOverride,
} from '../../../../../src/gitsync/gittarget/editors/argocd-source-override.js';
import type { EditResult } from '../../../../../src/gitsync/gittarget/editors/manifest-editor.js';

const FILE = 'apps/web/.argocd-source-web.yaml';
const edit = (source: string | null, override: SourceOverride, file = FILE): EditResult =>
  argocdSourceOverrideEditor.apply(source, { editor: 'argocd-source-override', file, override });
const text = (result: EditResult): string =>
  result.kind === 'changed' ? result.text : JSON.stringify(result);
const reason = (result: EditResult): string =>
  result.kind === 'error' ? result.reason : JSON.stringify(result);
const helm = (...parameters: { name: string; value: string; forceString?: boolean }[]): SourceOverride => ({
  kind: 'helm',
  parameters,
});

describe('argocd-source-override editor', () => {
  it('creates the file in the layout Image Updater writes, parameters sorted by name', () => {
    const result = edit(
      null,
      helm({ name: 'image.tag', value: '1.5.0' }, { name: 'image.name', value: 'web', forceString: false }),
    );
    expect(text(result)).toBe(
      'helm:\n  parameters:\n  - name: image.name\n    value: web\n  - name: image.tag\n    value: 1.5.0\n    forcestring: true\n',
    );
    expect(result.kind === 'changed' && result.changes.map((c) => c.path)).toEqual([
      'helm.parameters[name=image.name].value',
      'helm.parameters[name=image.tag].value',
    ]);
  });

  it("follows the file's spelling of forceString and turns it on when asked", () => {
    const source =
      'helm:\n  parameters:\n    - name: image.tag\n      value: "1.4"\n      forceString: false\n';
    expect(text(edit(source, helm({ name: 'image.tag', value: '1.5' })))).toBe(
      'helm:\n  parameters:\n    - name: image.tag\n      value: "1.5"\n      forceString: true\n',
    );
    const bare = 'helm:\n  parameters:\n    - name: image.tag\n      value: "1.4"\n';
    expect(text(edit(bare, helm({ name: 'image.tag', value: '1.5' })))).toBe(
      'helm:\n  parameters:\n    - name: image.tag\n      value: "1.5"\n      forcestring: true\n',
    );
  });

  it('adds the helm section beside other keys of an existing file', () => {
    expect(text(edit('# overrides\nhelm:\n', helm({ name: 'image.tag', value: 'v2' })))).toBe(
      '# overrides\nhelm:\n  parameters:\n  - name: image.tag\n    value: v2\n    forcestring: true\n',
    );
  });

  it('keeps the name spelling and old= prefix of kustomize images', () => {
    const source = 'kustomize:\n  images: [web=ghcr.io/acme/web:1.4, redis:7.2]\n';
    expect(
      text(
        edit(source, { kind: 'kustomize', images: ['ghcr.io/acme/web:1.5', 'docker.io/library/redis:7.4'] }),
      ),
    ).toBe('kustomize:\n  images: [web=ghcr.io/acme/web:1.5, redis:7.4]\n');
  });

  it.each<[string | null, SourceOverride, string]>([
    [
      'kustomize:\n  images: []\n',
      helm({ name: 'image.tag', value: 'v2' }),
      'holds kustomize overrides but the edit is for helm',
    ],
    [
      'helm:\n  parameters: {}\n',
      helm({ name: 'image.tag', value: 'v2' }),
      'helm.parameters should be a list',
    ],
    [null, helm(), 'no Helm parameters given'],
    [null, helm({ name: 'a', value: '1' }, { name: 'a', value: '2' }), 'Helm parameter a is given twice'],
    [
      null,
      { kind: 'kustomize', images: ['redis:7', 'docker.io/library/redis:8'] },
      'kustomize image docker.io/library/redis:8 is given twice',
    ],
    [null, { kind: 'kustomize', images: ['Redis:7'] }, 'invalid repository component "Redis"'],
    ['helm: [', helm({ name: 'a', value: '1' }), 'does not parse as YAML'],
  ])('rejects %j with %j', (source, override, message) => {
    expect(reason(edit(source, override))).toContain(message);
  });

  it('only writes files Argo CD reads', () => {
    expect(reason(edit(null, helm({ name: 'a', value: '1' }), 'apps/web/argocd-source.yaml'))).toBe(
      'apps/web/argocd-source.yaml: Argo CD only reads overrides from .argocd-source.yaml or .argocd-source-<app>.yaml',
    );
    expect(edit(null, helm({ name: 'a', value: '1' }), '.argocd-source.yaml').kind).toBe('changed');
  });
});
