// GitHub commit statuses (services/github.go, status only): authenticate as the GitHub App
// installation (a JWT signed with the app's key buys an installation token), then POST
// /repos/<owner>/<repo>/statuses/<revision> with the template's state, label (context) and
// targetURL, and the message (truncated to 140) as description. repoURLPath and revisionPath
// are templates over the notification's variables.

import { createSign } from 'node:crypto';
import type { RenderedNotification } from '../render.js';
import { DeliveryError, type NotificationService, stringOption, successfulRequest } from './service.js';

const GITHUB_API = 'https://api.github.com';

/** go-github's WithEnterpriseURLs: append /api/v3/ unless the URL already is an API endpoint. */
export function enterpriseApiBase(url: string): string {
  const u = new URL(url);
  let path = u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`;
  if (!path.endsWith('/api/v3/') && !u.host.startsWith('api.') && !u.host.includes('.api.'))
    path += 'api/v3/';
  return `${u.protocol}//${u.host}${path}`.replace(/\/$/, '');
}

/** owner/repo from https, ssh or scp-like Git URLs (giturls.Parse + the first two path parts). */
export function repoFullName(repoUrl: string): [string, string] | undefined {
  const scp = /^[\w.-]+@[^:]+:(.+)$/.exec(repoUrl);
  let path = scp?.[1];
  if (path === undefined) {
    try {
      path = new URL(repoUrl).pathname;
    } catch {
      return undefined;
    }
  }
  const parts = path
    .replace(/\.git$/, '')
    .split('/')
    .filter((p) => p !== '');
  return parts.length >= 2 ? [parts[0] ?? '', parts[1] ?? ''] : undefined;
}

function appJwt(appId: string, privateKey: string): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: now - 60, exp: now + 540, iss: appId })}`;
  try {
    const signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey, 'base64url');
    return `${unsigned}.${signature}`;
  } catch (error) {
    throw new DeliveryError(`github: cannot sign with privateKey: ${(error as Error).message}`, false);
  }
}

export function githubService(options: Record<string, unknown>): NotificationService {
  const appId = stringOption(options, 'appID');
  const installationId = stringOption(options, 'installationID');
  const privateKey = stringOption(options, 'privateKey') ?? '';
  const enterprise = stringOption(options, 'enterpriseBaseURL');
  const base = enterprise ? enterpriseApiBase(enterprise) : GITHUB_API;
  let cached: { token: string; expires: number } | undefined;

  const installationToken = async (): Promise<string> => {
    if (cached && cached.expires > Date.now() + 60_000) return cached.token;
    if (!appId || !installationId)
      throw new DeliveryError('github service needs appID and installationID', false);
    const url = `${base}/app/installations/${installationId}/access_tokens`;
    const result = await successfulRequest('github installation token', url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${appJwt(appId, privateKey)}`,
        Accept: 'application/vnd.github+json',
      },
    });
    const answer = JSON.parse(result.body) as { token?: string; expires_at?: string };
    if (!answer.token) throw new DeliveryError('github: no installation token in the answer', true);
    cached = { token: answer.token, expires: Date.parse(answer.expires_at ?? '') || Date.now() + 3_000_000 };
    return answer.token;
  };

  return {
    async send(notification: RenderedNotification) {
      const gh = notification.github;
      if (!gh) throw new DeliveryError('github: config is empty', false);
      const repo = repoFullName(gh.repoURLPath ?? '');
      if (!repo)
        throw new DeliveryError(`GitHub.repoURL (${gh.repoURLPath ?? ''}) does not have a \`/\``, false);
      const revision = gh.revisionPath ?? '';
      if (!gh.status) return;
      const token = await installationToken();
      const url = `${base}/repos/${repo[0]}/${repo[1]}/statuses/${encodeURIComponent(revision)}`;
      await successfulRequest('github status', url, {
        method: 'POST',
        headers: {
          Authorization: `token ${token}`,
          Accept: 'application/vnd.github+json',
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          state: gh.status.state ?? '',
          description: [...(notification.message ?? '')].slice(0, 140).join(''),
          context: gh.status.label ?? '',
          target_url: gh.status.targetURL ?? '',
        }),
      });
    },
  };
}
