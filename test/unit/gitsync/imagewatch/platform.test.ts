import { describe, expect, it } from 'vitest';
import { checkImage, type ImageSource } from '../../../../src/gitsync/imagewatch/check.js';
import { compilePolicy } from '../../../../src/gitsync/imagewatch/policy/strategy.js';
import { PlatformMissingError } from '../../../../src/gitsync/imagewatch/registry/client.js';

function policyOf(spec: Parameters<typeof compilePolicy>[0]) {
  const compiled = compilePolicy(spec);
  if ('error' in compiled) throw new Error(compiled.error);
  return compiled;
}

// Tags and the architectures their images are built for; build time = position in the list.
function source(images: Record<string, string[]>): ImageSource {
  const tags = Object.keys(images);
  const digestOf = (tag: string) => `sha256:${Buffer.from(tag).toString('hex').padEnd(64, '0')}`;
  return {
    listTags: async () => tags,
    resolve: async (tag: string) => ({ digest: digestOf(tag) }),
    buildTime: async (tag: string, platform?: string) => {
      const arch = (platform ?? 'linux/amd64').split('/')[1]!;
      if (platform !== undefined && !images[tag]!.includes(arch)) {
        throw new PlatformMissingError(`${tag} has no image for platform ${platform}`);
      }
      return { digest: digestOf(tag), createdAt: 1_000 + tags.indexOf(tag) };
    },
  } as unknown as ImageSource;
}

const images = { '1.0.0': ['amd64'], '1.1.0': ['amd64', 'arm64'], '1.2.0': ['arm64'] };

describe('spec.platform filters tags', () => {
  it('semver passes over the highest tag without the platform', async () => {
    const semver = policyOf({ strategy: 'semver', semver: { constraint: '^1' } });
    const outcome = await checkImage(source(images), semver, 10_000, 'linux/amd64');
    expect(outcome).toMatchObject({ kind: 'candidate', candidate: { tag: '1.1.0' } });
    const arm = await checkImage(source(images), semver, 10_000, 'linux/arm64');
    expect(arm).toMatchObject({ kind: 'candidate', candidate: { tag: '1.2.0' } });
  });

  it('without spec.platform any tag is taken', async () => {
    const semver = policyOf({ strategy: 'semver', semver: { constraint: '^1' } });
    expect(await checkImage(source(images), semver, 10_000)).toMatchObject({ candidate: { tag: '1.2.0' } });
  });

  it('newest-build skips a tag without the platform instead of failing the check', async () => {
    const newest = policyOf({ strategy: 'newest-build' });
    const outcome = await checkImage(source(images), newest, 10_000, 'linux/amd64');
    expect(outcome).toMatchObject({ kind: 'candidate', candidate: { tag: '1.1.0' } });
  });

  it('says so when no tag has the platform', async () => {
    const semver = policyOf({ strategy: 'semver', semver: { constraint: '^1' } });
    const outcome = await checkImage(source(images), semver, 10_000, 'linux/s390x');
    expect(outcome).toMatchObject({ kind: 'none', why: 'no matching tag has an image for linux/s390x' });
    const newest = policyOf({ strategy: 'newest-build' });
    const none = await checkImage(source(images), newest, 10_000, 'linux/s390x');
    expect(none).toMatchObject({
      kind: 'none',
      why: expect.stringContaining('3 tag(s) have no image for linux/s390x'),
    });
  });
});
