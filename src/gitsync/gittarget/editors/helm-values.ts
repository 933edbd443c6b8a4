// Image values in a Helm values file: charts either split an image into repository/tag (and
// sometimes registry/digest) values, or hold `repo:tag` in one value. Every target of the file is
// planned in one pass, so one commit carries all of them, and the file is written only if all fit.

import {
  formatImageRef,
  type ImageRef,
  imageName,
  parseImageRef,
  sameImageName,
  withVersion,
} from '../../../api/image-ref.js';
import { EditPlan, type ScalarTarget } from './edit-plan.js';
import {
  type EditError,
  type EditSpecBase,
  editError,
  existingFileEditor,
  isEditError,
} from './manifest-editor.js';
import { type ManifestSource, parseManifest } from './manifest-source.js';
import { findScalar } from './scalar-target.js';
import { parseValuePath } from './value-path.js';

export type HelmImageTarget =
  /** `image.repository` + `image.tag` style; registry and digest paths are optional. */
  | {
      readonly kind: 'split';
      /** The full reference to write, e.g. `ghcr.io/acme/web:1.4.2` or `...@sha256:...`. */
      readonly image: string;
      readonly registryPath?: string;
      readonly repositoryPath?: string;
      readonly tagPath?: string;
      readonly digestPath?: string;
    }
  /** One value holding the whole reference, e.g. `image: ghcr.io/acme/web:1.4.2`. */
  | { readonly kind: 'combined'; readonly image: string; readonly path: string };

export interface HelmValuesEdit extends EditSpecBase {
  readonly editor: 'helm-values';
  readonly targets: readonly HelmImageTarget[];
}

export const helmValuesEditor = existingFileEditor<HelmValuesEdit>('helm-values', (source, spec) => {
  if (spec.targets.length === 0) return editError(spec.file, 'no image targets given');
  const manifest = parseManifest(spec.file, source);
  if (isEditError(manifest)) return manifest;
  if (manifest.documents[0]?.contents == null) return editError(spec.file, 'is empty; no values to set');
  const plan = new EditPlan(manifest);
  for (const target of spec.targets) {
    const error =
      target.kind === 'split' ? planSplit(plan, manifest, target) : planCombined(plan, manifest, target);
    if (error !== undefined) return error;
  }
  return plan.finish();
});

type Split = Extract<HelmImageTarget, { kind: 'split' }>;
type Combined = Extract<HelmImageTarget, { kind: 'combined' }>;

function planSplit(plan: EditPlan, manifest: ManifestSource, target: Split): EditError | undefined {
  const ref = parseTargetImage(manifest, target.image);
  if (isEditError(ref)) return ref;
  const { file } = manifest;
  if (target.tagPath === undefined && target.digestPath === undefined) {
    return editError(file, `image ${target.image}: give tagPath, digestPath or both`);
  }
  if (ref.tag !== undefined && target.tagPath === undefined && ref.digest === undefined) {
    return editError(file, `image ${target.image} has a tag but the target has no tagPath`);
  }
  if (ref.digest !== undefined && target.digestPath === undefined) {
    return editError(
      file,
      `image ${target.image} pins a digest but the target has no digestPath; add one or drop the digest`,
    );
  }
  if (target.registryPath !== undefined && target.repositoryPath === undefined) {
    return editError(file, `image ${target.image}: registryPath needs a repositoryPath beside it`);
  }

  const sets: [string, (current: ScalarTarget) => string | undefined][] = [];
  if (target.tagPath !== undefined && ref.tag !== undefined) sets.push([target.tagPath, () => ref.tag]);
  if (target.digestPath !== undefined) {
    // No digest in the new reference: clear a stale one, or the chart keeps deploying the old image.
    sets.push([target.digestPath, (current) => ref.digest ?? (isBlank(current) ? undefined : '')]);
  }
  if (target.repositoryPath !== undefined) {
    const repository = findTarget(manifest, target.repositoryPath);
    if (isEditError(repository)) return repository;
    const registry =
      target.registryPath === undefined ? undefined : findTarget(manifest, target.registryPath);
    if (registry !== undefined && isEditError(registry)) return registry;
    const writtenRegistry =
      registry === undefined || isBlank(registry) ? undefined : String(registry.node.value);
    const writtenName = [writtenRegistry, String(repository.node.value ?? '')]
      .filter((p) => p !== undefined)
      .join('/');
    const written = parseImageRef(writtenName);
    // Same image spelled another way (`nginx` vs `docker.io/library/nginx`): leave the user's spelling.
    if (!(written.ok && sameImageName(written.ref, ref))) {
      if (registry !== undefined) {
        const error = plan.setScalar(registry, ref.registry ?? 'docker.io');
        if (error !== undefined) return error;
      }
      const error = plan.setScalar(repository, registry === undefined ? imageName(ref) : ref.repository);
      if (error !== undefined) return error;
    }
  }
  for (const [path, valueFor] of sets) {
    const found = findTarget(manifest, path);
    if (isEditError(found)) return found;
    const value = valueFor(found);
    if (value === undefined) continue;
    const error = plan.setScalar(found, value);
    if (error !== undefined) return error;
  }
  return undefined;
}

function planCombined(plan: EditPlan, manifest: ManifestSource, target: Combined): EditError | undefined {
  const ref = parseTargetImage(manifest, target.image);
  if (isEditError(ref)) return ref;
  const found = findTarget(manifest, target.path);
  if (isEditError(found)) return found;
  const current = typeof found.node.value === 'string' ? parseImageRef(found.node.value) : undefined;
  // Keep the name as the file spells it when it names the same image; only tag and digest move.
  const name =
    current?.ok === true && sameImageName(current.ref, ref)
      ? current.ref
      : { registry: ref.registry, repository: ref.repository };
  const value = formatImageRef(withVersion(name, ref.tag, ref.digest));
  return plan.setScalar(found, value);
}

function parseTargetImage(manifest: ManifestSource, image: string): ImageRef | EditError {
  const parsed = parseImageRef(image);
  if (!parsed.ok) return editError(manifest.file, parsed.reason);
  if (parsed.ref.tag === undefined && parsed.ref.digest === undefined) {
    return editError(manifest.file, `image ${image} has neither tag nor digest; nothing to write`);
  }
  return parsed.ref;
}

function findTarget(manifest: ManifestSource, pathText: string): ScalarTarget | EditError {
  const path = parseValuePath(pathText);
  if (!path.ok) return editError(manifest.file, path.reason, { path: pathText });
  // Values files are single documents; a second one would be ignored by Helm anyway.
  return findScalar(manifest, [0], path.path);
}

function isBlank(target: ScalarTarget): boolean {
  return target.node.value === null || target.node.value === '';
}
