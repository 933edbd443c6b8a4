// `npm run generate`: writes the CRD manifests from src/api into the chart. The files are
// checked in because the chart ships them; test/unit/api/crd-files.test.ts fails when stale.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CRD_DIR } from '../package-paths.js';
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
