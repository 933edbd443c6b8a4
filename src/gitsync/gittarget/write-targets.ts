// From an ImageWatch target and the image to run to the edit the manifest editors apply. Pure;
// the repository sync reads and writes the files.
import { posix } from 'node:path';
import type { WriteTarget } from '../../api/gitsync.js';
import type { EditSpec } from './editors/registry.js';

/** What a target is told to write: the watched image, the candidate and how to pin it. */
export interface ImageToWrite {
  /** The watched repository as the ImageWatch spells it, e.g. `ghcr.io/acme/web`. */
  readonly image: string;
  readonly tag: string;
  readonly digest: string;
  /** The digest strategy pins the digest; the other strategies write the tag. */
  readonly pinDigest: boolean;
}

const EDIT_KINDS = ['kustomize', 'helm', 'yaml', 'argocdSourceOverride'] as const;

/** `image:tag`, or `image:tag@digest` when pinning the digest. */
export function referenceOf(write: ImageToWrite): string {
  return `${write.image}:${tagValueOf(write)}`;
}

/**
 * What a tag-only field receives: the tag, or `tag@digest` when pinning. A chart that renders
 * `repo:{{tag}}` then pulls the pinned digest, as the status and trailers say (writing the bare
 * mutable tag would deploy whatever it points at when the pod starts).
 */
export function tagValueOf(write: ImageToWrite): string {
  return write.pinDigest ? `${write.tag}@${write.digest}` : write.tag;
}

/** Problems with a target that no repository content can fix; undefined when it is well-formed. */
export function validateWriteTarget(target: WriteTarget): string | undefined {
  const given = EDIT_KINDS.filter((kind) => target[kind] !== undefined);
  if (given.length !== 1) {
    return `target ${target.path}: give exactly one of ${EDIT_KINDS.join(', ')} (got ${given.length === 0 ? 'none' : given.join(', ')})`;
  }
  const normalized = posix.normalize(target.path);
  if (target.path === '' || posix.isAbsolute(target.path) || normalized.startsWith('..')) {
    return `target path "${target.path}" must be relative to the repository root and stay inside it`;
  }
  if (target.helm !== undefined) {
    const h = target.helm;
    if (h.imagePath === undefined && h.tagPath === undefined && h.digestPath === undefined) {
      return `target ${target.path}: helm needs imagePath, or tagPath and/or digestPath`;
    }
  }
  const override = target.argocdSourceOverride;
  if (override !== undefined && !/^[a-zA-Z0-9._-]+$/.test(override.application)) {
    return `target ${target.path}: argocdSourceOverride.application "${override.application}" is not an application name`;
  }
  if (override?.helm !== undefined) {
    const h = override.helm;
    if (h.imageParameter === undefined && h.tagParameter === undefined) {
      return `target ${target.path}: argocdSourceOverride.helm needs imageParameter or tagParameter`;
    }
  }
  return undefined;
}

/** The repository-relative file a target edits. */
export function fileOf(target: WriteTarget): string {
  const path = posix.normalize(target.path);
  return target.argocdSourceOverride === undefined
    ? path
    : posix.join(path, `.argocd-source-${target.argocdSourceOverride.application}.yaml`);
}

/** The editor call for one target; call validateWriteTarget first. */
export function editSpecFor(target: WriteTarget, write: ImageToWrite): EditSpec {
  const file = fileOf(target);
  const reference = referenceOf(write);
  if (target.kustomize !== undefined) {
    const name = target.kustomize.name ?? write.image;
    // kustomize renders `name@digest` from digest alone; mode digest drops a newTag left from
    // before, which would otherwise read as the version running.
    return write.pinDigest
      ? { editor: 'kustomize-images', file, name, digest: write.digest, mode: 'digest' }
      : { editor: 'kustomize-images', file, name, newTag: write.tag, mode: 'tag' };
  }
  if (target.helm !== undefined) {
    const h = target.helm;
    if (h.imagePath !== undefined) {
      return {
        editor: 'helm-values',
        file,
        targets: [{ kind: 'combined', image: reference, path: h.imagePath }],
      };
    }
    return {
      editor: 'helm-values',
      file,
      targets: [
        {
          kind: 'split',
          image: reference,
          ...(h.registryPath !== undefined && { registryPath: h.registryPath }),
          ...(h.repositoryPath !== undefined && { repositoryPath: h.repositoryPath }),
          ...(h.tagPath !== undefined && { tagPath: h.tagPath }),
          ...(h.digestPath !== undefined && { digestPath: h.digestPath }),
        },
      ],
    };
  }
  if (target.yaml !== undefined) {
    const y = target.yaml;
    const format = y.value ?? 'image';
    const value = format === 'tag' ? tagValueOf(write) : format === 'digest' ? write.digest : reference;
    const document =
      y.document === undefined
        ? undefined
        : y.document.index !== undefined
          ? { index: y.document.index }
          : {
              ...(y.document.kind !== undefined && { kind: y.document.kind }),
              ...(y.document.name !== undefined && { name: y.document.name }),
              ...(y.document.namespace !== undefined && { namespace: y.document.namespace }),
            };
    return { editor: 'yaml-path', file, path: y.path, value, ...(document !== undefined && { document }) };
  }
  const override = target.argocdSourceOverride!;
  if (override.helm !== undefined) {
    const h = override.helm;
    const parameters = [
      ...(h.imageParameter !== undefined ? [{ name: h.imageParameter, value: reference }] : []),
      ...(h.repositoryParameter !== undefined ? [{ name: h.repositoryParameter, value: write.image }] : []),
      ...(h.tagParameter !== undefined ? [{ name: h.tagParameter, value: tagValueOf(write) }] : []),
    ];
    return { editor: 'argocd-source-override', file, override: { kind: 'helm', parameters } };
  }
  return { editor: 'argocd-source-override', file, override: { kind: 'kustomize', images: [reference] } };
}
