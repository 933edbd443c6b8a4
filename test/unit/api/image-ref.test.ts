import { describe, expect, it } from 'vitest';
import {
  canonicalImageName,
  formatImageRef,
  isValidDigest,
  parseImageRef,
  sameImageName,
  splitImageRef,
  versionOf,
  withVersion,
} from '../../../src/api/image-ref.js';
import { itMaps } from '../support/each.js';

const digest = `sha256:${'0a'.repeat(32)}`;

describe('parseImageRef', () => {
  it.each([
    ['nginx', { repository: 'nginx' }],
    ['nginx:1.25', { repository: 'nginx', tag: '1.25' }],
    ['bitnami/nginx:1.25.3-debian-12-r0', { repository: 'bitnami/nginx', tag: '1.25.3-debian-12-r0' }],
    ['ghcr.io/acme/web:1.4.2', { registry: 'ghcr.io', repository: 'acme/web', tag: '1.4.2' }],
    ['localhost:5000/web', { registry: 'localhost:5000', repository: 'web' }],
    ['localhost/web:dev', { registry: 'localhost', repository: 'web', tag: 'dev' }],
    [`web@${digest}`, { repository: 'web', digest }],
    [
      `ghcr.io/acme/web:1.4.2@${digest}`,
      { registry: 'ghcr.io', repository: 'acme/web', tag: '1.4.2', digest },
    ],
    ['registry:5000/team/app', { registry: 'registry:5000', repository: 'team/app' }],
  ])('reads %s', (text, ref) => {
    expect(parseImageRef(text)).toEqual({ ok: true, ref });
  });

  it.each([
    ['', 'is empty'],
    ['Nginx', 'invalid repository component "Nginx"'],
    ['nginx:', 'invalid tag ""'],
    ['nginx:-bad', 'invalid tag "-bad"'],
    ['nginx@sha256:abc', 'invalid digest'],
    [`nginx@sha256:${'A'.repeat(64)}`, 'invalid sha256 digest'],
    ['a//b', 'invalid repository component ""'],
  ])('rejects %j', (text, why) => {
    const parsed = parseImageRef(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(why);
  });

  it('round-trips through formatImageRef', () => {
    for (const text of ['nginx', 'ghcr.io/acme/web:1.4.2', `localhost:5000/web:dev@${digest}`]) {
      const parsed = parseImageRef(text);
      expect(parsed.ok && formatImageRef(parsed.ref)).toBe(text);
    }
  });
});

describe('image names', () => {
  const ref = (text: string) => {
    const parsed = parseImageRef(text);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.ref;
  };

  it('applies the Docker Hub defaults only when comparing', () => {
    expect(canonicalImageName(ref('nginx'))).toBe('docker.io/library/nginx');
    expect(canonicalImageName(ref('bitnami/nginx'))).toBe('docker.io/bitnami/nginx');
    expect(canonicalImageName(ref('index.docker.io/library/nginx'))).toBe('docker.io/library/nginx');
    expect(sameImageName(ref('nginx:1'), ref('docker.io/library/nginx:2'))).toBe(true);
    expect(sameImageName(ref('nginx'), ref('ghcr.io/nginx'))).toBe(false);
  });

  it('validates digests on their own', () => {
    expect(isValidDigest(digest)).toBe(true);
    expect(isValidDigest('sha256:123')).toBe(false);
  });
});

describe('splitImageRef', () => {
  itMaps('cuts %s', splitImageRef, [
    ['nginx', { name: 'nginx' }],
    ['nginx:1.25', { name: 'nginx', tag: '1.25' }],
    [`web@${digest}`, { name: 'web', digest }],
    [`localhost:5000/web:dev@${digest}`, { name: 'localhost:5000/web', tag: 'dev', digest }],
    ['registry:5000/team/app', { name: 'registry:5000/team/app' }],
    // Not a valid reference, still cut where Docker would cut it.
    ['Web:', { name: 'Web', tag: '' }],
  ]);
});

describe('versions', () => {
  it('names the part after the name as a bump commit writes it', () => {
    expect(versionOf({ tag: '1.2' })).toBe('1.2');
    expect(versionOf({ tag: '1.2', digest })).toBe(`1.2@${digest}`);
    expect(versionOf({ digest })).toBe(`@${digest}`);
    expect(versionOf({})).toBe('');
  });

  it('moves an image to another tag and digest, keeping the name as written', () => {
    const old = { registry: 'ghcr.io', repository: 'acme/web', tag: '1', digest };
    expect(formatImageRef(withVersion(old, '2', undefined))).toBe('ghcr.io/acme/web:2');
    expect(formatImageRef(withVersion({ repository: 'web' }, undefined, digest))).toBe(`web@${digest}`);
  });
});
