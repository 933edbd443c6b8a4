import { describe, expect, it } from 'vitest';
import type { GitTarget } from '../../../../src/api/gitsync.js';
import { validateGitTarget } from '../../../../src/gitsync/gittarget/reconciler.js';

function target(spec: Partial<GitTarget['spec']>): GitTarget {
  return {
    metadata: { name: 'platform', namespace: 'shop' },
    spec: { url: 'https://git.example/acme/platform.git', branch: 'main', ...spec },
  };
}

const scm = { provider: 'github', owner: 'acme', repository: 'platform', secretRef: { name: 'gh' } } as const;

describe('GitTarget write modes', () => {
  it('pull-request mode needs spec.pullRequest.scm', () => {
    expect(validateGitTarget(target({ mode: 'pull-request' }))).toMatch(/spec.pullRequest.scm is required/);
    expect(
      validateGitTarget(target({ mode: 'pull-request', pullRequest: { scm, labels: ['x'] } })),
    ).toBeUndefined();
  });

  it('writeBranch is another valid branch, in commit mode only', () => {
    expect(validateGitTarget(target({ writeBranch: 'bumps/staging' }))).toBeUndefined();
    expect(validateGitTarget(target({ writeBranch: 'main' }))).toMatch(/must differ/);
    expect(validateGitTarget(target({ writeBranch: 'a..b' }))).toMatch(/not a valid branch name/);
    expect(
      validateGitTarget(target({ mode: 'pull-request', pullRequest: { scm }, writeBranch: 'x' })),
    ).toMatch(/commit mode/);
  });
});
