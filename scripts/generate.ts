// `npm run generate`: writes every generated file that is checked in, from its one source:
//   - the CRDs from src/api into charts/slipway/crds/
//   - the Argo CD argocd-cm fragments from health-checks/ and actions/ into health-checks/
//     and, for the chart's `argocd.customizations` option, into charts/slipway/files/
// Unit tests fail when any of them is stale.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles } from '../src/api/crd-files.js';
import { HEALTH_CHECKS_DIR, renderArgoCdCmFiles } from '../src/argocd/argocd-cm.js';
import { CRD_DIR, PACKAGE_ROOT } from '../src/package-paths.js';

const CHART_FILES_DIR = join(PACKAGE_ROOT, 'charts', 'slipway', 'files');

function writeAll(dir: string, files: Map<string, string>, removeOthers: boolean): void {
  mkdirSync(dir, { recursive: true });
  if (removeOthers) {
    for (const existing of readdirSync(dir)) if (!files.has(existing)) rmSync(join(dir, existing));
  }
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  process.stdout.write(`wrote ${files.size} file(s) to ${dir}\n`);
}

writeAll(CRD_DIR, renderCrdFiles(), true);
const argocdCm = renderArgoCdCmFiles();
writeAll(HEALTH_CHECKS_DIR, argocdCm, false);
writeAll(CHART_FILES_DIR, argocdCm, false);
