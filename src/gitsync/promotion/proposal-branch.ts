// Pushes the clone's HEAD (base head plus the decision's commit) to the pull request's bot branch.
// The branch is ours and rebuilt from the base each time, so it is force-pushed; the tracked
// branch never is. Credentials come from the environment GitAccess prepared, as for every push.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { GitAccess } from '../gittarget/workspace/git-credentials.js';

const run = promisify(execFile);

export async function pushProposalBranch(dir: string, access: GitAccess, branch: string): Promise<void> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTPS_PROXY', 'NO_PROXY']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  await run('git', ['push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`], {
    cwd: dir,
    env: { ...env, ...access.env },
    timeout: 120_000,
  });
}
