import { describe, expect, it } from 'vitest';
import {
  type HelmImageTarget,
  helmValuesEditor,
} from '../../../../../src/gitsync/gittarget/editors/helm-values.js';
import type { EditResult } from '../../../../../src/gitsync/gittarget/editors/manifest-editor.js';

const digest = `sha256:${'9e'.repeat(32)}`;
const edit = (source: string | null, ...targets: HelmImageTarget[]): EditResult =>
  helmValuesEditor.apply(source, { editor: 'helm-values', file: 'apps/web/values.yaml', targets });
const text = (result: EditResult): string =>
  result.kind === 'changed' ? result.text : JSON.stringify(result);
const reason = (result: EditResult): string =>
  result.kind === 'error' ? result.reason : JSON.stringify(result);

const split = (
  image: string,
  more: Partial<Extract<HelmImageTarget, { kind: 'split' }>> = {},
): HelmImageTarget => ({
  kind: 'split',
  image,
  repositoryPath: 'image.repository',
  tagPath: 'image.tag',
  ...more,
});

/** A split target that writes only the tag, at `tagPath`. */
const tagOnly = (image: string, tagPath: string): HelmImageTarget => ({ kind: 'split', image, tagPath });

describe('helm-values editor', () => {
  const values = 'image:\n  repository: nginx\n  tag: "1.25"\n  digest: ""\n';

  it('rewrites the repository only when the image really changes', () => {
    expect(text(edit(values, split('docker.io/library/nginx:1.27')))).toBe(
      values.replace('"1.25"', '"1.27"'),
    );
    expect(text(edit(values, split('ghcr.io/acme/nginx:1.27')))).toBe(
      values.replace('repository: nginx', 'repository: ghcr.io/acme/nginx').replace('"1.25"', '"1.27"'),
    );
  });

  it('writes and clears digests', () => {
    const pinned = edit(values, split(`nginx:1.27@${digest}`, { digestPath: 'image.digest' }));
    expect(text(pinned)).toBe(
      values.replace('"1.25"', '"1.27"').replace('digest: ""', `digest: "${digest}"`),
    );
    const unpinned = values.replace('digest: ""', `digest: ${digest}`);
    // An empty string cannot be plain, so the cleared digest is written `""`.
    expect(text(edit(unpinned, split('nginx:1.27', { digestPath: 'image.digest' })))).toBe(
      values.replace('"1.25"', '"1.27"'),
    );
  });

  it('keeps the spelling of a combined value and moves only tag and digest', () => {
    const source = 'sidecar:\n  image: busybox:1.36 # shell\n';
    expect(
      text(
        edit(source, { kind: 'combined', path: 'sidecar.image', image: 'docker.io/library/busybox:1.37' }),
      ),
    ).toBe('sidecar:\n  image: busybox:1.37 # shell\n');
    expect(text(edit(source, { kind: 'combined', path: 'sidecar.image', image: `busybox@${digest}` }))).toBe(
      `sidecar:\n  image: busybox@${digest} # shell\n`,
    );
  });

  it('edits several targets in one pass, or none when one fails', () => {
    const source = 'web:\n  tag: v1\nworker:\n  tag: v1\n';
    const both = edit(source, tagOnly('web:v2', 'web.tag'), tagOnly('worker:v3', 'worker.tag'));
    expect(text(both)).toBe('web:\n  tag: v2\nworker:\n  tag: v3\n');
    const oneBad = edit(source, tagOnly('web:v2', 'web.tag'), tagOnly('worker:v3', 'worker.version'));
    expect(oneBad.kind).toBe('error');
  });

  it('refuses two targets that write different values into one node', () => {
    const source = 'shared: &t v1\nweb: {tag: *t}\n';
    const result = edit(source, tagOnly('web:v2', 'shared'), tagOnly('worker:v3', 'shared'));
    expect(reason(result)).toContain('reaches the same node as an earlier target with a different value');
  });

  it.each<[HelmImageTarget, string]>([
    [split('nginx'), 'image nginx has neither tag nor digest; nothing to write'],
    [
      split(`nginx:1@${digest}`),
      `image nginx:1@${digest} pins a digest but the target has no digestPath; add one or drop the digest`,
    ],
    [{ kind: 'split', image: 'nginx:1' }, 'image nginx:1: give tagPath, digestPath or both'],
    [
      split('nginx:1', { registryPath: 'image.registry', repositoryPath: undefined }),
      'image nginx:1: registryPath needs a repositoryPath beside it',
    ],
    [
      split('Nginx:1'),
      'image reference "Nginx:1" has an invalid repository component "Nginx" (lowercase letters, digits and . _ - only)',
    ],
  ])('rejects %j', (target, message) => {
    expect(reason(edit(values, target))).toBe(`apps/web/values.yaml: ${message}`);
  });

  it('rejects empty and missing files', () => {
    expect(reason(edit('# only comments\n', split('nginx:1')))).toBe(
      'apps/web/values.yaml: is empty; no values to set',
    );
    expect(edit(null, split('nginx:1')).kind).toBe('error');
  });
});
