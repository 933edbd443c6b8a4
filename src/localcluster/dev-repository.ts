// The local Git repository `slipway dev` gives git-sync to write to: a bare repository on
// disk, seeded with the canary example as an app Argo CD could sync (a kustomization whose
// `images:` entry is what git-sync bumps), and the GitTarget that names it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-paths.js';

export interface DevRepository {
  /** The bare repository (what git-sync pushes to; clone it to look). */
  bareDir: string;
  url: string;
}

function git(cwd: string, args: string[]): void {
  execFileSync('git', args, {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'slipway dev',
      GIT_AUTHOR_EMAIL: 'dev@slipway.invalid',
      GIT_COMMITTER_NAME: 'slipway dev',
      GIT_COMMITTER_EMAIL: 'dev@slipway.invalid',
    },
  });
}

export function createDevRepository(dir: string): DevRepository {
  const bareDir = join(dir, 'deploy.git');
  const seedDir = join(dir, 'seed');
  mkdirSync(seedDir, { recursive: true });
  git(dir, ['init', '--quiet', '--bare', '--initial-branch=main', bareDir]);
  git(dir, ['clone', '--quiet', bareDir, seedDir]);
  const app = join(seedDir, 'apps', 'canary-demo');
  mkdirSync(app, { recursive: true });
  writeFileSync(
    join(app, 'rollout.yaml'),
    readFileSync(join(PACKAGE_ROOT, 'examples', 'rollout-canary.yaml')),
  );
  writeFileSync(
    join(app, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      '  - rollout.yaml',
      'images:',
      '  # git-sync bumps this entry when an ImageWatch finds a newer tag',
      '  - name: nginx',
      '    newTag: "1.26"',
      '',
    ].join('\n'),
  );
  git(seedDir, ['add', '.']);
  git(seedDir, ['commit', '--quiet', '-m', 'Seed the canary-demo app']);
  git(seedDir, ['push', '--quiet', 'origin', 'HEAD:main']);
  return { bareDir, url: `file://${bareDir}` };
}

/** The GitTarget for the dev repository, for `kubectl apply -f -`. */
export function devGitTarget(url: string, namespace: string): string {
  return JSON.stringify({
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'GitTarget',
    metadata: { name: 'dev-repository', namespace },
    spec: { url, branch: 'main', mode: 'commit' },
  });
}
