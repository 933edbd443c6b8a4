// Email against a real SMTP server on loopback, GitHub statuses against the GitHub stand-in.
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailService } from '../../../src/notifications/services/email.js';
import {
  enterpriseApiBase,
  githubService,
  repoFullName,
} from '../../../src/notifications/services/github.js';
import { DeliveryError } from '../../../src/notifications/services/service.js';
import { type GitHubFixture, startGitHubFixture } from '../../e2e/support/github-fixture.js';

let smtp: SMTPServer;
let smtpPort = 0;
const mails: { from: string; to: string[]; raw: string }[] = [];
let github: GitHubFixture;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.endsWith('@rejected.example')) {
        callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => {
        raw += c.toString('utf8');
      });
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  github = await startGitHubFixture({ owner: 'shop', repo: 'web', token: 'none', appInstallationId: 9 });
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await github.stop();
});

describe('email', () => {
  it('sends subject and body to every comma-separated recipient', async () => {
    const service = emailService({ host: '127.0.0.1', port: smtpPort, from: 'rollouts@example.com' });
    await service.send(
      { message: 'Rollout web has been completed.', email: { subject: 'Rollout web done' } },
      { service: 'email', recipient: 'a@example.com, b@example.com' },
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]?.from).toBe('rollouts@example.com');
    expect(mails[0]?.to).toEqual(['a@example.com', 'b@example.com']);
    expect(mails[0]?.raw).toMatch(/^Subject: Rollout web done\r?$/m);
    expect(mails[0]?.raw).toContain('\r\n\r\nRollout web has been completed.');
  });

  it('a 5xx SMTP answer is a permanent failure', async () => {
    const service = emailService({ host: '127.0.0.1', port: smtpPort, from: 'rollouts@example.com' });
    const error = await service
      .send({ message: 'x' }, { service: 'email', recipient: 'x@rejected.example' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/mailbox unavailable/);
  });
});

describe('github', () => {
  it('posts a commit status as the app installation', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const service = githubService({
      appID: 1,
      installationID: 9,
      privateKey,
      enterpriseBaseURL: github.baseUrl,
    });
    const sha = 'b'.repeat(40);
    await service.send(
      {
        message: 'Rollout web has been completed.',
        github: {
          repoURLPath: 'git@github.com:shop/web.git',
          revisionPath: sha,
          status: { state: 'success', label: 'cd/web', targetURL: 'https://rollouts.example/web' },
        },
      },
      { service: 'github', recipient: '' },
    );
    expect(github.statuses.get(sha)).toEqual([
      {
        state: 'success',
        context: 'cd/web',
        description: 'Rollout web has been completed.',
        target_url: 'https://rollouts.example/web',
      },
    ]);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /app/installations/9/access_tokens',
      `POST /repos/shop/web/statuses/${sha}`,
    ]);
  });

  it('repository names and enterprise URLs as go-github reads them', () => {
    expect(repoFullName('https://github.com/shop/web.git')).toEqual(['shop', 'web']);
    expect(repoFullName('git@github.com:shop/web.git')).toEqual(['shop', 'web']);
    expect(repoFullName('web')).toBeUndefined();
    expect(enterpriseApiBase('https://ghe.example.com')).toBe('https://ghe.example.com/api/v3');
    expect(enterpriseApiBase('https://api.ghe.example.com/')).toBe('https://api.ghe.example.com');
  });
});
