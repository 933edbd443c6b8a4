import { describe, expect, it } from 'vitest';
import {
  type KustomizeImagesEdit,
  kustomizeImagesEditor,
} from '../../../../../src/gitsync/gittarget/editors/kustomize-images.js';
import type { EditResult } from '../../../../../src/gitsync/gittarget/editors/manifest-editor.js';

const digest = `sha256:${'c4'.repeat(32)}`;
const edit = (source: string | null, fields: Omit<KustomizeImagesEdit, 'editor' | 'file'>): EditResult =>
  kustomizeImagesEditor.apply(source, {
    editor: 'kustomize-images',
    file: 'envs/prod/kustomization.yaml',
    ...fields,
  });
const text = (result: EditResult): string =>
  result.kind === 'changed' ? result.text : JSON.stringify(result);
const reason = (result: EditResult): string =>
  result.kind === 'error' ? result.reason : JSON.stringify(result);

describe('kustomize-images editor', () => {
  const base = 'images:\n- name: nginx\n  newTag: 1.25.3\n';

  it('matches an entry that names the same image another way', () => {
    const result = edit(base, { name: 'docker.io/library/nginx', newTag: '1.27.0' });
    expect(text(result)).toBe('images:\n- name: nginx\n  newTag: 1.27.0\n');
  });

  it('pins a digest and, in digest mode, drops the tag', () => {
    expect(text(edit(base, { name: 'nginx', digest, mode: 'digest' }))).toBe(
      `images:\n- name: nginx\n  digest: ${digest}\n`,
    );
    expect(text(edit(base, { name: 'nginx', digest }))).toBe(`${base}  digest: ${digest}\n`);
  });

  it('removes a conflicting digest from a flow entry', () => {
    const source = `images:\n- {name: nginx, digest: "${digest}", newTag: "1.25"}\n`;
    expect(text(edit(source, { name: 'nginx', newTag: '1.27', mode: 'tag' }))).toBe(
      'images:\n- {name: nginx, newTag: "1.27"}\n',
    );
  });

  it('fills an empty images key', () => {
    expect(text(edit('resources:\n  - a.yaml\nimages: ~ # none yet\n', { name: 'web', newTag: 'v1' }))).toBe(
      'resources:\n  - a.yaml\nimages: # none yet\n  - name: web\n    newTag: v1\n',
    );
  });

  it('records created and removed fields', () => {
    const source = `images:\n- name: web\n  digest: ${digest}\n`;
    const result = edit(source, { name: 'web', newTag: 'v2', mode: 'tag' });
    expect(result.kind === 'changed' && result.changes).toEqual([
      { path: 'images[name=web].newTag', line: 4, from: null, to: 'v2' },
      {
        path: 'images[name=web].digest',
        line: 3,
        from: digest,
        to: null,
        note: 'removed: a digest would win over the new tag',
      },
    ]);
  });

  it.each<[string, Omit<KustomizeImagesEdit, 'editor' | 'file'>, string]>([
    [base, { name: 'nginx' }, 'image nginx: give at least one of newName, newTag or digest'],
    [base, { name: 'nginx', newTag: 'bad tag' }, 'image nginx: invalid tag "bad tag"'],
    [
      base,
      { name: 'nginx', digest: 'sha256:1' },
      'image nginx: invalid digest "sha256:1" (expected sha256:<64 hex>)',
    ],
    [
      base,
      { name: 'nginx', newName: 'ghcr.io/x:1' },
      'image nginx: newName "ghcr.io/x:1" must not carry a tag or digest; use newTag/digest',
    ],
    [base, { name: 'nginx', digest, mode: 'tag' }, 'image nginx: mode "tag" needs newTag'],
    [
      'images:\n- name: a\n  newTag: v1\n- name: a\n  newTag: v2\n',
      { name: 'a', newTag: 'v3' },
      'images has 2 entries named a; kustomize would apply only one, remove the others',
    ],
    [
      'images:\n  a: b\n',
      { name: 'a', newTag: 'v3' },
      'images is a map, not a list; kustomize expects a list of {name, newTag, ...}',
    ],
    ['', { name: 'a', newTag: 'v3' }, 'is empty; it is not a kustomization'],
    ['- a\n', { name: 'a', newTag: 'v3' }, 'is not a kustomization: its top level is not a map'],
  ])('rejects %j with %j', (source, fields, message) => {
    const got = reason(edit(source, fields));
    expect(got.startsWith('envs/prod/kustomization.yaml')).toBe(true);
    expect(got.endsWith(`: ${message}`)).toBe(true);
  });

  it('needs the file to exist', () => {
    expect(edit(null, { name: 'a', newTag: 'v1' }).kind).toBe('error');
  });
});
