import { describe, expect, it } from 'vitest';
import {
  nextLink,
  parseChallenge,
  parseRetryAfter,
} from '../../../../../src/gitsync/imagewatch/registry/challenge.js';
import { locateRepository } from '../../../../../src/gitsync/imagewatch/registry/location.js';
import { credentialsFromDockerConfig } from '../../../../../src/gitsync/imagewatch/registry/pull-secret.js';

describe('WWW-Authenticate challenges', () => {
  it('reads a Bearer challenge with quoted parameters', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/nginx:pull',
      },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge(null)).toBeUndefined();
  });
});

describe('Retry-After and Link', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('resolves rel="next" against the request URL', () => {
    expect(
      nextLink('</v2/a/b/tags/list?last=x&n=2>; rel="next"', 'http://127.0.0.1:5000/v2/a/b/tags/list?n=2'),
    ).toBe('http://127.0.0.1:5000/v2/a/b/tags/list?last=x&n=2');
    expect(nextLink(null, 'http://x/')).toBeUndefined();
  });
});

describe('repository locations', () => {
  it('maps Docker Hub names, keeps other hosts, and speaks HTTP to loopback only', () => {
    expect(locateRepository('nginx')).toEqual({
      host: 'docker.io',
      baseUrl: 'https://registry-1.docker.io',
      repository: 'library/nginx',
    });
    expect(locateRepository('ghcr.io/acme/web')).toEqual({
      host: 'ghcr.io',
      baseUrl: 'https://ghcr.io',
      repository: 'acme/web',
    });
    expect(locateRepository('127.0.0.1:5000/acme/web')).toMatchObject({ baseUrl: 'http://127.0.0.1:5000' });
    expect(locateRepository('ghcr.io/acme/web:1.0')).toMatchObject({
      error: expect.stringContaining('without tag'),
    });
  });
});

describe('pull secrets', () => {
  const config = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
      'ghcr.io': { username: 'bot', password: 'ghp_token' },
    },
  });

  it('finds credentials by host, whatever scheme or path the key has', () => {
    expect(credentialsFromDockerConfig(config, 'docker.io')).toEqual({
      username: 'hubuser',
      password: 'hubpass',
    });
    expect(credentialsFromDockerConfig(config, 'ghcr.io')).toEqual({
      username: 'bot',
      password: 'ghp_token',
    });
    expect(credentialsFromDockerConfig(config, 'quay.io')).toBeUndefined();
    expect(() => credentialsFromDockerConfig('{', 'ghcr.io')).toThrow('.dockerconfigjson is not valid JSON');
  });
});
