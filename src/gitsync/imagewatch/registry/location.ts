// Where an image repository lives on the wire: `ghcr.io/acme/web` → https://ghcr.io, `acme/web`;
// Docker Hub names get their registry host and `library/` prefix; loopback registries speak HTTP.
import { parseImageRef } from '../../../api/image-ref.js';

export interface RepositoryLocation {
  /** The host credentials are looked up by, as written in a docker config (`docker.io` for Hub). */
  readonly host: string;
  /** e.g. `https://registry-1.docker.io`. */
  readonly baseUrl: string;
  /** The repository path the distribution API takes, e.g. `library/nginx`. */
  readonly repository: string;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

export function locateRepository(image: string, insecure = false): RepositoryLocation | { error: string } {
  const parsed = parseImageRef(image);
  if (!parsed.ok) return { error: parsed.reason };
  const { ref } = parsed;
  if (ref.tag !== undefined || ref.digest !== undefined) {
    return { error: `image "${image}" must name a repository only, without tag or digest` };
  }
  const hub =
    ref.registry === undefined || ref.registry === 'docker.io' || ref.registry === 'index.docker.io';
  if (hub) {
    const repository = ref.repository.includes('/') ? ref.repository : `library/${ref.repository}`;
    return { host: 'docker.io', baseUrl: 'https://registry-1.docker.io', repository };
  }
  const host = ref.registry as string;
  const scheme = insecure || LOOPBACK.test(host) ? 'http' : 'https';
  return { host, baseUrl: `${scheme}://${host}`, repository: ref.repository };
}
