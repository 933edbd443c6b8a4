// Git-sync correctness against a real docker-registry on loopback (part 3 of the git-sync work):
// spec.platform filters tags of real single-platform images and OCI indexes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../src/gitsync/image-check.js';
import { compilePolicy } from '../../src/gitsync/policy/strategy.js';
import { RegistryClient } from '../../src/gitsync/registry/client.js';
import { locateRepository } from '../../src/gitsync/registry/location.js';
import { pushImage, startRegistry, type TestRegistry } from './support/registry.js';

let registry: TestRegistry;

beforeAll(async () => {
  registry = await startRegistry();
}, 60_000);
afterAll(async () => registry?.stop());

function client(repository: string): RegistryClient {
  const found = locateRepository(`${registry.host}/${repository}`);
  if ('error' in found) throw new Error(found.error);
  return new RegistryClient(found);
}

function policyOf(spec: Parameters<typeof compilePolicy>[0]) {
  const compiled = compilePolicy(spec);
  if ('error' in compiled) throw new Error(compiled.error);
  return compiled;
}

describe('spec.platform against real images', () => {
  it('skips tags without an image for the platform, in semver and newest-build', async () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    const day = 86_400_000;
    await pushImage(registry.url, 'plat/web', '1.0.0', { created: new Date(base) });
    await pushImage(registry.url, 'plat/web', '1.1.0', {
      format: 'oci-index',
      created: new Date(base + day),
    });
    // The newest and highest: an index and a single image with arm64 only.
    await pushImage(registry.url, 'plat/web', '1.2.0', {
      created: new Date(base + 2 * day),
      architectures: ['arm64'],
    });
    await pushImage(registry.url, 'plat/web', '1.3.0', {
      format: 'oci-index',
      created: new Date(base + 3 * day),
      architectures: ['arm64'],
    });
    const now = base + 10 * day;
    const semver = policyOf({ strategy: 'semver', semver: { constraint: '^1' } });
    const newest = policyOf({ strategy: 'newest-build' });
    const pick = async (policy: typeof semver, platform?: string) => {
      const outcome = await checkImage(client('plat/web'), policy, now, platform);
      return outcome.kind === 'candidate' ? outcome.candidate.tag : outcome.why;
    };
    expect(await pick(semver, 'linux/amd64')).toBe('1.1.0');
    expect(await pick(newest, 'linux/amd64')).toBe('1.1.0');
    expect(await pick(semver, 'linux/arm64')).toBe('1.3.0');
    expect(await pick(semver)).toBe('1.3.0');
    expect(await pick(semver, 'linux/s390x')).toBe('no matching tag has an image for linux/s390x');
  });
});
