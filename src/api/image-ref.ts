// Container image references: `[registry/]repository[:tag][@digest]`, following the grammar of
// github.com/distribution/reference. The spelling a user wrote is kept (`nginx` stays `nginx`);
// the Docker Hub defaults are only applied when comparing two references. Every part of Slipway
// that reads or writes an image reference (rollout defaults, git-sync, dashboard) uses this module.

export interface ImageRef {
  /** The registry host as written; undefined when the reference names none (Docker Hub). */
  readonly registry?: string;
  /** The repository path as written, without registry, tag or digest. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export type ImageRefParse =
  | { readonly ok: true; readonly ref: ImageRef }
  | { readonly ok: false; readonly reason: string };

const DOCKER_HUB = 'docker.io';
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_HEX = /^sha256:[a-f0-9]{64}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;

/** A reference cut into name, tag and digest, unchecked. */
export interface ImageRefParts {
  /** `[registry/]repository` */
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

/**
 * Cuts `name[:tag][@digest]` where Docker does (the digest after the first `@`, the tag after the
 * first `:` of the last path segment) without checking the parts, for text that need not be a
 * valid reference (a display, a commit trailer, a pod template Kubernetes will judge itself).
 */
export function splitImageRef(text: string): ImageRefParts {
  const at = text.indexOf('@');
  const named = at >= 0 ? text.slice(0, at) : text;
  const colon = named.indexOf(':', named.lastIndexOf('/') + 1);
  return {
    name: colon >= 0 ? named.slice(0, colon) : named,
    ...(colon >= 0 && { tag: named.slice(colon + 1) }),
    ...(at >= 0 && { digest: text.slice(at + 1) }),
  };
}

export function parseImageRef(text: string): ImageRefParse {
  const fail = (why: string): ImageRefParse => ({ ok: false, reason: `image reference "${text}" ${why}` });
  if (text.trim() !== text || text === '') return fail('is empty or has surrounding spaces');

  const { name, tag, digest } = splitImageRef(text);
  if (digest !== undefined) {
    if (!DIGEST.test(digest)) return fail(`has an invalid digest "${digest}" (expected algorithm:hex)`);
    if (digest.startsWith('sha256:') && !SHA256_HEX.test(digest)) {
      return fail(`has an invalid sha256 digest (expected 64 lowercase hex characters)`);
    }
  }
  if (tag !== undefined && !TAG.test(tag)) return fail(`has an invalid tag "${tag}"`);

  const components = name.split('/');
  let registry: string | undefined;
  // Same rule as Docker: the first component is a host only if it looks like one.
  const first = components[0] ?? '';
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    components.shift();
    if (!HOST.test(registry)) return fail(`has an invalid registry host "${registry}"`);
  }
  const bad = components.find((c) => !PATH_COMPONENT.test(c));
  if (bad !== undefined) {
    return fail(`has an invalid repository component "${bad}" (lowercase letters, digits and . _ - only)`);
  }

  const ref: ImageRef = {
    repository: components.join('/'),
    ...(registry !== undefined && { registry }),
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
  return { ok: true, ref };
}

/** `registry/repository` as written, without tag or digest. */
export function imageName(ref: ImageRef): string {
  return ref.registry === undefined ? ref.repository : `${ref.registry}/${ref.repository}`;
}

/** The fully qualified name two spellings of one image share: `nginx` → `docker.io/library/nginx`. */
export function canonicalImageName(ref: ImageRef): string {
  const registry =
    ref.registry === undefined || ref.registry === 'index.docker.io' ? DOCKER_HUB : ref.registry;
  const repository =
    registry === DOCKER_HUB && !ref.repository.includes('/') ? `library/${ref.repository}` : ref.repository;
  return `${registry}/${repository}`;
}

export function sameImageName(a: ImageRef, b: ImageRef): boolean {
  return canonicalImageName(a) === canonicalImageName(b);
}

/** The image `name` names (its registry and repository) at this tag and digest; undefined ones are left out. */
export function withVersion(name: ImageRef, tag: string | undefined, digest: string | undefined): ImageRef {
  return {
    ...(name.registry !== undefined && { registry: name.registry }),
    repository: name.repository,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

/** What follows the name: `tag`, `tag@digest` or `@digest`; '' when there is neither. */
export function versionOf(ref: { readonly tag?: string; readonly digest?: string }): string {
  const digest = ref.digest === undefined ? '' : `@${ref.digest}`;
  return `${ref.tag ?? ''}${digest}`;
}

export function formatImageRef(ref: ImageRef): string {
  const tag = ref.tag === undefined ? '' : `:${ref.tag}`;
  const digest = ref.digest === undefined ? '' : `@${ref.digest}`;
  return `${imageName(ref)}${tag}${digest}`;
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function isValidDigest(digest: string): boolean {
  return DIGEST.test(digest) && (!digest.startsWith('sha256:') || SHA256_HEX.test(digest));
}
