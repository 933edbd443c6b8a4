// Paths inside the installed package. Modules sit one level below src/ (run with tsx) or
// dist/ (built), so the package root is two levels above any of them.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CRD_DIR = join(PACKAGE_ROOT, 'charts', 'slipway', 'crds');
export const CLUSTER_ASSETS_DIR = join(PACKAGE_ROOT, 'test', 'cluster');
