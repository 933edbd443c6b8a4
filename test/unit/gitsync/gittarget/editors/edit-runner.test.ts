// Edits run in a worker thread with a capped heap: a file built to exhaust memory fails its own
// edit with a clear message (no file content in it), and the next edit runs in a fresh worker.
import { afterAll, describe, expect, it } from 'vitest';
import { EditRunner } from '../../../../../src/gitsync/gittarget/editors/edit-runner.js';
import type { EditSpec } from '../../../../../src/gitsync/gittarget/editors/registry.js';

const runner = new EditRunner({ maxHeapMb: 48, timeoutMs: 120_000 });
afterAll(() => runner.close());

const spec: EditSpec = {
  editor: 'helm-values',
  file: 'apps/web/values.yaml',
  targets: [{ kind: 'split', image: 'ghcr.io/acme/web:2.0.0', tagPath: 'image.tag' }],
};

describe('edit runner', () => {
  it('applies edits in order and returns the new text', async () => {
    const result = await runner.run('apps/web/values.yaml', 'image:\n  tag: 1.0.0\n', [spec, spec]);
    expect(result.text).toBe('image:\n  tag: 2.0.0\n');
    expect(result.results.map((r) => r.kind)).toEqual(['changed', 'unchanged']);
  }, 120_000);

  it('stops a file that needs more memory than the cap, then keeps working', async () => {
    const marker = 'MARKER-OOM-5d2';
    const huge = `image:\n  tag: 1.0.0\nitems:\n${`  - ${marker}\n`.repeat(400_000)}`;
    const failure = await runner.run('apps/web/values.yaml', huge, [spec]).then(
      () => 'no error',
      (error: Error) => error.message,
    );
    expect(failure).toContain('apps/web/values.yaml: parsing it needed more than 48 MiB');
    expect(failure).not.toContain(marker);
    const after = await runner.run('apps/web/values.yaml', 'image:\n  tag: 1.0.0\n', [spec]);
    expect(after.text).toBe('image:\n  tag: 2.0.0\n');
  }, 120_000);
});
