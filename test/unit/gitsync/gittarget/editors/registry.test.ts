import { describe, expect, it } from 'vitest';
import { applyEdit, editorFor, isEditorKey } from '../../../../../src/gitsync/gittarget/editors/registry.js';

describe('editor registry', () => {
  it('maps every key to the editor that carries it', () => {
    for (const key of ['yaml-path', 'kustomize-images', 'helm-values', 'argocd-source-override'] as const) {
      expect(isEditorKey(key)).toBe(true);
      expect(editorFor(key).key).toBe(key);
    }
    expect(isEditorKey('toString')).toBe(false);
    expect(isEditorKey('jsonnet')).toBe(false);
  });

  it('dispatches on the spec', () => {
    expect(applyEdit('a: 1\n', { editor: 'yaml-path', file: 'a.yaml', path: 'a', value: 2 })).toMatchObject({
      kind: 'changed',
      text: 'a: 2\n',
    });
  });
});
