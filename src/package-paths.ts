// Paths inside the installed package. Modules sit one level below src/ (run with tsx) or
// dist/ (built), and the bundled controller (dist/cmd/controller.js) two levels below it, so
// the package root is the nearest directory above this module that holds package.json.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return resolve(from, '..');
}

export const PACKAGE_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));
export const CRD_DIR = join(PACKAGE_ROOT, 'charts', 'slipway', 'crds');
export const CLUSTER_ASSETS_DIR = join(PACKAGE_ROOT, 'test', 'cluster');
