// What the push notifications of hosted registries say was pushed, from their documented payloads:
// Docker Hub (repository webhooks), GitHub Container Registry (the GitHub `package` and
// `registry_package` events), Harbor (PUSH_ARTIFACT, in Harbor's own and in its CloudEvents
// format) and Quay (the "Repository Push" notification). Names come out as `host/repository`,
// comparable with RepositoryLocation (Docker Hub's official images under `library/`).
import type { PushedImage } from './push-events.js';

type Parsed = PushedImage[] | { error: string };

function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Docker Hub: `{"push_data": {"tag"}, "repository": {"repo_name": "acme/web"}}`
 * (https://docs.docker.com/docker-hub/repos/manage/webhooks/).
 */
export function pushesFromDockerHub(body: unknown): Parsed {
  const repoName = text(object(object(body)?.repository)?.repo_name);
  if (repoName === undefined)
    return { error: 'expected a Docker Hub webhook body with repository.repo_name' };
  const repository = repoName.includes('/') ? repoName : `library/${repoName}`;
  const tag = text(object(object(body)?.push_data)?.tag);
  return [{ name: `docker.io/${repository.toLowerCase()}`, ...(tag !== undefined && { tag }) }];
}

/** GitHub events that carry package publications; any other (ping, ...) carries no push. */
export const GITHUB_PACKAGE_EVENTS = new Set(['package', 'registry_package']);

/**
 * GHCR: the GitHub `package` / `registry_package` event, action `published` (or `updated`), of a
 * container package: the image is `package_version.package_url` (`ghcr.io/acme/web:1.4.2`), else
 * `ghcr.io/<namespace>/<name>`; the tag is `package_version.container_metadata.tag.name`.
 */
export function pushesFromGitHubPackage(event: string, body: unknown): Parsed {
  if (!GITHUB_PACKAGE_EVENTS.has(event)) return [];
  const root = object(body);
  const pkg = object(root?.[event]);
  if (pkg === undefined) return { error: `expected a GitHub ${event} event with a "${event}" object` };
  const action = text(root?.action);
  if (action !== 'published' && action !== 'updated') return [];
  const kind = (text(pkg.package_type) ?? text(pkg.ecosystem) ?? '').toLowerCase();
  if (kind !== 'container' && kind !== 'docker') return [];
  const version = object(pkg.package_version);
  const tag = text(object(object(version?.container_metadata)?.tag)?.name);
  const fromUrl = repositoryOf(text(version?.package_url));
  const namespace = text(pkg.namespace) ?? text(object(pkg.owner)?.login);
  const name = text(pkg.name);
  const image = fromUrl ?? (namespace && name ? `ghcr.io/${namespace}/${name}` : undefined);
  if (image === undefined) return { error: `the ${event} event names no container image` };
  return [{ name: image.toLowerCase(), ...(tag !== undefined && { tag }) }];
}

/**
 * Harbor: `{"type": "PUSH_ARTIFACT", "event_data": {"resources": [{"tag", "resource_url"}]}}`, or
 * the CloudEvents form (`"type": "harbor.artifact.pushed"`, the same fields under `data`). Other
 * event types (pull, delete, scan) carry no push.
 */
export function pushesFromHarbor(body: unknown): Parsed {
  const root = object(body);
  const type = text(root?.type);
  if (type === undefined) return { error: 'expected a Harbor webhook body with a type' };
  if (type !== 'PUSH_ARTIFACT' && type !== 'harbor.artifact.pushed') return [];
  const data = object(root?.event_data) ?? object(root?.data);
  const resources = data?.resources;
  if (!Array.isArray(resources)) return { error: 'expected event_data.resources to be a list' };
  const pushes: PushedImage[] = [];
  for (const resource of resources) {
    const url = text(object(resource)?.resource_url);
    const name = repositoryOf(url);
    if (name === undefined) continue;
    const tag = text(object(resource)?.tag);
    pushes.push({ name, ...(tag !== undefined && !tag.startsWith('sha256:') && { tag }) });
  }
  return pushes;
}

/**
 * Quay "Repository Push": `{"docker_url": "quay.io/acme/web", "updated_tags": ["1.4.2"]}`
 * (older Quay sends updated_tags as an object keyed by tag).
 */
export function pushesFromQuay(body: unknown): Parsed {
  const root = object(body);
  const repository = text(root?.repository);
  const name = text(root?.docker_url) ?? (repository === undefined ? undefined : `quay.io/${repository}`);
  if (name === undefined) return { error: 'expected a Quay repository push body with docker_url' };
  const updated = root?.updated_tags;
  const tags = Array.isArray(updated)
    ? updated.filter((t): t is string => typeof t === 'string' && t !== '')
    : Object.keys(object(updated) ?? {});
  if (tags.length === 0) return [{ name }];
  return tags.map((tag) => ({ name, tag }));
}

/** `host/repo:tag` or `host/repo@sha256:…` → `host/repo`; undefined when it has no host part. */
function repositoryOf(reference: string | undefined): string | undefined {
  if (reference === undefined) return undefined;
  let name = reference.split('@')[0]!;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) name = name.slice(0, colon);
  return lastSlash > 0 ? name : undefined;
}
