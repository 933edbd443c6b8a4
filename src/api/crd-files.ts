// The CRD manifest files generated from src/api. `npm run generate` (scripts/generate.ts)
// writes them into the chart; test/unit/api/crd.test.ts fails when they are stale.
import { stringify } from 'yaml';
import { buildCrd } from './crd.js';
import { ALL_KINDS } from './kinds.js';

const HEADER = '# Generated from src/api by `npm run generate`. Do not edit by hand.\n';

/** File name → content of every generated CRD file. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const kind of ALL_KINDS) {
    const crd = buildCrd(kind);
    files.set(`${crd.metadata.name}.yaml`, HEADER + stringify(crd, { lineWidth: 0 }));
  }
  return files;
}
