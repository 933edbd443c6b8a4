import { describe, expect, it } from 'vitest';
import type { DocumentSelector } from '../../../../../src/gitsync/gittarget/editors/document-select.js';
import type { EditResult } from '../../../../../src/gitsync/gittarget/editors/manifest-editor.js';
import { yamlPathEditor } from '../../../../../src/gitsync/gittarget/editors/yaml-path.js';

const set = (
  source: string | null,
  path: string,
  value: string | number | boolean,
  document?: DocumentSelector,
): EditResult =>
  yamlPathEditor.apply(source, {
    editor: 'yaml-path',
    file: 'apps/web/values.yaml',
    path,
    value,
    ...(document !== undefined && { document }),
  });

const reason = (result: EditResult): string =>
  result.kind === 'error' ? result.reason : `not an error: ${result.kind}`;

describe('yaml-path editor', () => {
  it('reports what it changed, where', () => {
    const result = set('image:\n  repository: web\n  tag: v1\n', 'image.tag', 'v2');
    expect(result).toEqual({
      kind: 'changed',
      text: 'image:\n  repository: web\n  tag: v2\n',
      changes: [{ path: 'image.tag', line: 3, from: 'v1', to: 'v2' }],
    });
  });

  it('names the document in multi-document files', () => {
    const result = set('a: 1\n---\nb: 2\n', 'b', 3);
    expect(result.kind === 'changed' && result.changes).toEqual([
      { path: 'b', document: 1, line: 3, from: '2', to: '3' },
    ]);
  });

  it('says when an edit lands on an anchor through an alias, and when aliases follow it', () => {
    const source = 'base: &base\n  tag: &tag v1\nweb: *base\nworker:\n  tag: *tag\n';
    const result = set(source, 'web.tag', 'v2');
    expect(result.kind === 'changed' && result.text).toBe(source.replace('&tag v1', '&tag v2'));
    expect(result.kind === 'changed' && result.changes[0]?.note).toBe(
      'edited the anchored value through *base; anchor &tag is used by 1 alias(es), which change with it',
    );
  });

  it('writes a boolean over a boolean', () => {
    expect(set('enabled: false\n', 'enabled', true)).toMatchObject({
      kind: 'changed',
      text: 'enabled: true\n',
    });
  });

  it('treats the same value in another notation as unchanged', () => {
    expect(set('replicas: 0x3\n', 'replicas', 3)).toEqual({ kind: 'unchanged' });
  });

  describe('errors name the file, the path and the fix', () => {
    it.each([
      [
        null,
        'image.tag',
        'apps/web/values.yaml: file not found; check the path in the image target or create the file first',
      ],
      [
        'image: {}\n',
        'image..tag',
        'apps/web/values.yaml: path "image..tag" is malformed at character 7: empty key',
      ],
      [
        'args: [a, b]\n',
        'args[5]',
        'apps/web/values.yaml: path args[5] not found (nearest existing: args; args has 2 entries, no index 5)',
      ],
      [
        'containers:\n- name: web\n- name: db\n',
        'containers[name=api].image',
        'apps/web/values.yaml: path containers[name=api].image not found (nearest existing: containers; containers has no entry with name=api (2 have the field with other values))',
      ],
      [
        'containers:\n- name: web\n- name: web\n',
        'containers[name=web].image',
        'apps/web/values.yaml: path containers[name=web].image not found (nearest existing: containers; containers has 2 entries with name=web; use an index)',
      ],
      [
        'image: web:v1\n',
        'image.tag',
        'apps/web/values.yaml: path image.tag not found (nearest existing: image; image is a string scalar, not a map)',
      ],
      [
        'image:\n  tag: v1\n',
        'image',
        'apps/web/values.yaml:2: path image holds a map (keys: tag), not a single value; extend the path to the value',
      ],
      [
        '',
        'image.tag',
        'apps/web/values.yaml: path image.tag not found: the file has no documents with content',
      ],
    ])('%j at %s', (source, path, message) => {
      expect(reason(set(source, path, 'v2'))).toBe(message);
    });

    it('for documents that do not exist or do not match', () => {
      const source = 'kind: Deployment\nmetadata: {name: web}\n---\nkind: Service\nmetadata: {name: web}\n';
      expect(reason(set(source, 'kind', 'X', { index: 2 }))).toBe(
        'apps/web/values.yaml: has 2 document(s), no document index 2; indexes start at 0',
      );
      expect(reason(set(source, 'kind', 'X', { kind: 'Ingress' }))).toBe(
        'apps/web/values.yaml: no document matches kind=Ingress (documents: document 0 (Deployment/web), document 1 (Service/web))',
      );
      expect(set(source, 'metadata.name', 'api', { kind: 'Service', name: 'web' })).toMatchObject({
        kind: 'changed',
        text: source.replace('Service\nmetadata: {name: web}', 'Service\nmetadata: {name: api}'),
      });
    });

    it('for a path missing from every document, from the one that got furthest', () => {
      const source = 'kind: A\n---\nkind: B\nspec:\n  image: {}\n';
      expect(reason(set(source, 'spec.image.tag', 'v2'))).toBe(
        'apps/web/values.yaml: path spec.image.tag not found in any of 2 documents (document 1 (B): nearest existing: spec.image; spec.image has no key "tag")',
      );
    });

    it('for values YAML cannot hold', () => {
      expect(reason(set('n: 1\n', 'n', Number.NaN))).toBe(
        'apps/web/values.yaml: path n: NaN cannot be written to YAML',
      );
    });
  });
});
