import { describe, expect, it } from 'vitest';
import {
  checkRepositoryUrl,
  schemeOf,
} from '../../../../../src/gitsync/gittarget/workspace/repository-url.js';
import { itMaps } from '../../../support/each.js';

describe('repository URL policy', () => {
  itMaps('%s is %s', schemeOf, [
    ['https://github.com/acme/deploy.git', 'https'],
    ['ssh://git@github.com/acme/deploy.git', 'ssh'],
    ['git@github.com:acme/deploy.git', 'ssh'],
    ['http://gitea.local/acme/deploy.git', 'http'],
    ['git://example.com/deploy.git', 'git'],
    ['file:///srv/git/deploy.git', 'file'],
    ['/var/lib/slipway/work/abc', 'file'],
    ['./relative/repo', 'file'],
    ['ext::sh -c touch% /tmp/pwned', undefined],
    ['fd::17', undefined],
    ['ftp://example.com/repo', undefined],
  ]);

  it('allows https and ssh by default; http and local paths only when the operator says so', () => {
    expect(checkRepositoryUrl('https://github.com/acme/deploy.git', {})).toBeUndefined();
    expect(checkRepositoryUrl('git@github.com:acme/deploy.git', {})).toBeUndefined();
    expect(checkRepositoryUrl('http://gitea.local/acme/deploy.git', {})).toContain(
      '--allow-http-repositories',
    );
    expect(checkRepositoryUrl('http://gitea.local/acme/deploy.git', { allowHttp: true })).toBeUndefined();
    expect(checkRepositoryUrl('file:///work/abc', {})).toContain('--allow-local-repositories');
    expect(checkRepositoryUrl('/work/abc', {})).toContain('--allow-local-repositories');
    expect(checkRepositoryUrl('file:///work/abc', { allowLocal: true })).toBeUndefined();
    expect(checkRepositoryUrl('ext::sh -c id', { allowLocal: true, allowHttp: true })).toContain(
      'only https and ssh',
    );
    expect(checkRepositoryUrl('--upload-pack=touch /tmp/x', { allowLocal: true })).toContain(
      'must not start',
    );
    expect(checkRepositoryUrl('  ', {})).toBe('spec.url is empty');
  });
});
