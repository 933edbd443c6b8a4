// Golden cases: each folder under test/fixtures/editors holds input.yaml (absent: the file does not
// exist yet), edit.json (one edit spec) and either expected.yaml, compared byte for byte, or
// expected-error.txt with the exact message. expected.yaml equal to input.yaml means "unchanged".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyEdit, type EditSpec } from '../../../../../src/gitsync/gittarget/editors/registry.js';

const fixtures = fileURLToPath(new URL('../../../../fixtures/editors/', import.meta.url));
const cases = readdirSync(fixtures, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

const read = (dir: string, name: string): string | null => {
  const path = join(fixtures, dir, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
};

describe('manifest editors, golden files', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(30);
  });

  for (const name of cases) {
    it(name, () => {
      const spec = JSON.parse(read(name, 'edit.json') ?? '') as EditSpec;
      const input = read(name, 'input.yaml');
      const expected = read(name, 'expected.yaml');
      const expectedError = read(name, 'expected-error.txt');
      const result = applyEdit(input, spec);

      if (expectedError !== null) {
        expect(result).toMatchObject({ kind: 'error', reason: expectedError.trimEnd() });
        return;
      }
      if (expected === null) throw new Error(`${name}: needs expected.yaml or expected-error.txt`);
      if (expected === input) {
        expect(result).toEqual({ kind: 'unchanged' });
        return;
      }
      if (result.kind !== 'changed')
        throw new Error(`${name}: expected a change, got ${JSON.stringify(result)}`);
      // String equality on text read as UTF-8 is byte equality; toBe also prints a readable diff.
      expect(result.text).toBe(expected);
      // The edit is idempotent: run again on its own output, it finds the value in place.
      expect(applyEdit(result.text, spec)).toEqual({ kind: 'unchanged' });
    });
  }
});
