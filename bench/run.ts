// `npm run bench`: every benchmark in turn; each prints its own figures.
//   npm run bench              all of them
//   npm run bench -- canary    one of them
//   npm run bench -- --against argo [options]   side by side with Argo Rollouts (bench/against-argo.ts)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/package-paths.js';

const BENCHMARKS = ['canary', 'gitsync'];
if (process.argv.includes('--against') || process.argv.some((a) => a.startsWith('--against='))) {
  const file = join(PACKAGE_ROOT, 'bench', 'against-argo.ts');
  const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of chosen.length > 0 ? chosen : BENCHMARKS) {
  const file = join(PACKAGE_ROOT, 'bench', `${name}.ts`);
  if (!existsSync(file)) {
    process.stderr.write(`bench: no benchmark '${name}' (known: ${BENCHMARKS.join(', ')})\n`);
    process.exit(2);
  }
  process.stdout.write(`\n== ${name} ==\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
