// The `images:` list of a kustomization.yaml, edited the way `kustomize edit set image` would decide
// but byte for byte: the entry whose `name` matches gets newName/newTag/digest; a missing key is
// added to that entry, a missing entry to the list, each in the style already there.
import { isAlias, isMap, isScalar, isSeq, Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { isValidDigest, isValidTag, parseImageRef, sameImageName } from '../../../api/image-ref.js';
import { appendItem, appendPair, fillEmptyValue, removePair } from './collection-edit.js';
import { EditPlan } from './edit-plan.js';
import {
  type EditError,
  type EditSpecBase,
  editError,
  existingFileEditor,
  isEditError,
} from './manifest-editor.js';
import { lineOf, type ManifestSource, parseManifest, rootMap } from './manifest-source.js';
import { findPair } from './node-lookup.js';
import type { PathSegment, ValuePath } from './value-path.js';
import { type Fragment, fragmentValue, map, scalar, seq } from './yaml-fragment.js';

export interface KustomizeImagesEdit extends EditSpecBase {
  readonly editor: 'kustomize-images';
  /** The `images[].name` to match: the image as the kustomized manifests spell it, e.g. `ghcr.io/acme/web`. */
  readonly name: string;
  readonly newName?: string;
  readonly newTag?: string;
  readonly digest?: string;
  /**
   * `merge` (default) sets only the fields given. `tag` also removes a `digest` from the entry, which
   * kustomize would otherwise use instead of the new tag; `digest` also removes `newTag`.
   */
  readonly mode?: 'merge' | 'tag' | 'digest';
}

type ImageField = 'newName' | 'newTag' | 'digest';
// kustomize writes the fields of an entry in this order.
const FIELDS: readonly ImageField[] = ['newName', 'newTag', 'digest'];

export const kustomizeImagesEditor = existingFileEditor<KustomizeImagesEdit>(
  'kustomize-images',
  (source, spec) => {
    const invalid = validate(spec);
    if (invalid !== undefined) return editError(spec.file, invalid);
    const manifest = parseManifest(spec.file, source);
    if (isEditError(manifest)) return manifest;
    const root = rootMap(manifest, 'kustomization');
    if (root.kind !== 'map') {
      return root.kind === 'empty' ? editError(spec.file, 'is empty; it is not a kustomization') : root;
    }
    const plan = new EditPlan(manifest);
    const error = planImages(plan, manifest, root.document, root.map, spec);
    return error ?? plan.finish();
  },
);

function validate(spec: KustomizeImagesEdit): string | undefined {
  const values = FIELDS.filter((f) => spec[f] !== undefined);
  if (values.length === 0) return `image ${spec.name}: give at least one of newName, newTag or digest`;
  if (spec.mode === 'tag' && spec.newTag === undefined) return `image ${spec.name}: mode "tag" needs newTag`;
  if (spec.mode === 'digest' && spec.digest === undefined)
    return `image ${spec.name}: mode "digest" needs digest`;
  if (spec.mode === 'tag' && spec.digest !== undefined) {
    return `image ${spec.name}: mode "tag" removes the digest, so do not also set one (use mode "merge")`;
  }
  if (spec.mode === 'digest' && spec.newTag !== undefined) {
    return `image ${spec.name}: mode "digest" removes newTag, so do not also set one (use mode "merge")`;
  }
  if (spec.newTag !== undefined && !isValidTag(spec.newTag))
    return `image ${spec.name}: invalid tag "${spec.newTag}"`;
  if (spec.digest !== undefined && !isValidDigest(spec.digest)) {
    return `image ${spec.name}: invalid digest "${spec.digest}" (expected sha256:<64 hex>)`;
  }
  if (spec.newName !== undefined) {
    const parsed = parseImageRef(spec.newName);
    if (!parsed.ok) return parsed.reason;
    if (parsed.ref.tag !== undefined || parsed.ref.digest !== undefined) {
      return `image ${spec.name}: newName "${spec.newName}" must not carry a tag or digest; use newTag/digest`;
    }
  }
  return undefined;
}

function planImages(
  plan: EditPlan,
  manifest: ManifestSource,
  document: number,
  root: YAMLMap.Parsed,
  spec: KustomizeImagesEdit,
): EditError | undefined {
  const ctx = plan.layoutFor(document);
  const wanted = FIELDS.flatMap((f): [ImageField, string][] => (spec[f] === undefined ? [] : [[f, spec[f]]]));
  // A new entry quotes each field the way the entries already there quote it.
  const entryFor = (list?: YAMLSeq.Parsed): Fragment => {
    const styled = (key: string, value: string) =>
      scalar(value, list === undefined ? undefined : siblingStyle(list, key));
    return map(
      ['name', styled('name', spec.name)],
      ...wanted.map(([f, v]): [string, Fragment] => [f, styled(f, v)]),
    );
  };
  const entry = entryFor();
  const entryPath: ValuePath = [
    { kind: 'key', key: 'images' },
    { kind: 'match', key: 'name', value: spec.name },
  ];
  const created = (line: number, note: string) => ({
    document,
    path: entryPath,
    line,
    from: null,
    to: wanted.map(([f, v]) => `${f}=${v}`).join(' '),
    note,
  });

  const imagesPair = findPair(root, 'images');
  if (imagesPair === undefined) {
    const splice = appendPair(ctx, root, 'images', seq(entry));
    plan.add([splice], created(lineOf(manifest, splice.start), 'added the images list'), {
      kind: 'value',
      value: fragmentValue(entry),
    });
    return undefined;
  }
  const images = imagesPair.value;
  if (images === null || (isScalar(images) && images.value === null)) {
    const splices = fillEmptyValue(ctx, root, imagesPair, seq(entry));
    const line = lineOf(manifest, imagesPair.key.range[0]);
    plan.add(splices, created(line, 'filled the empty images list'), {
      kind: 'value',
      value: fragmentValue(entry),
    });
    return undefined;
  }
  if (!isSeq(images)) {
    const what = isAlias(images) ? `the alias *${images.source}` : isMap(images) ? 'a map' : 'a scalar';
    return editError(
      manifest.file,
      `images is ${what}, not a list; kustomize expects a list of {name, newTag, ...}`,
      {
        path: 'images',
        line: lineOf(manifest, images.range[0]),
      },
    );
  }

  const match = findEntry(images, spec.name);
  if (typeof match === 'string') return editError(manifest.file, match, { path: 'images' });
  if (match === undefined) {
    const splice = appendItem(ctx, images, entryFor(images));
    plan.add([splice], created(lineOf(manifest, splice.start), 'added an images entry'), {
      kind: 'value',
      value: fragmentValue(entry),
    });
    return undefined;
  }

  const { item, name } = match;
  const at: ValuePath = [
    { kind: 'key', key: 'images' },
    { kind: 'match', key: 'name', value: name },
  ];
  const field = (key: string): ValuePath => [...at, { kind: 'key', key } satisfies PathSegment];
  for (const [key, value] of wanted) {
    const pair = findPair(item, key);
    if (pair === undefined) {
      const splice = appendPair(ctx, item, key, scalar(value, siblingStyle(images, key)));
      plan.add(
        [splice],
        { document, path: field(key), line: lineOf(manifest, splice.start), from: null, to: value },
        { kind: 'value', value },
      );
      continue;
    }
    if (pair.value === null || !isScalar(pair.value)) {
      return editError(manifest.file, `images[name=${name}].${key} is not a single value`, {
        path: `images[name=${name}].${key}`,
        line: lineOf(manifest, pair.key.range[0]),
      });
    }
    const error = plan.setScalar({ document, path: field(key), node: pair.value, via: [] }, value);
    if (error !== undefined) return error;
  }
  const conflicting = spec.mode === 'tag' ? 'digest' : spec.mode === 'digest' ? 'newTag' : undefined;
  const stale = conflicting === undefined ? undefined : findPair(item, conflicting);
  if (conflicting !== undefined && stale !== undefined) {
    const removal = removePair(ctx, item, stale);
    if (!removal.ok) return editError(manifest.file, `images[name=${name}]: ${removal.reason}`);
    const from = isScalar(stale.value) && stale.value.value !== null ? String(stale.value.value) : null;
    const why =
      conflicting === 'digest' ? 'a digest would win over the new tag' : 'the digest pins the image';
    plan.add(
      [removal.splice],
      {
        document,
        path: field(conflicting),
        line: lineOf(manifest, stale.key.range[0]),
        from,
        to: null,
        note: `removed: ${why}`,
      },
      { kind: 'absent' },
    );
  }
  return undefined;
}

type EntryMatch = { readonly item: YAMLMap.Parsed; readonly name: string } | undefined | string;

/** The entry named exactly `name`, else the one naming the same image another way (`nginx` = `docker.io/library/nginx`). */
function findEntry(images: YAMLSeq.Parsed, name: string): EntryMatch {
  const entries = images.items.flatMap((item) => {
    if (!isMap(item)) return [];
    const value = findPair(item, 'name')?.value;
    return value !== undefined && value !== null && isScalar(value) && typeof value.value === 'string'
      ? [{ item, name: value.value }]
      : [];
  });
  const exact = entries.filter((e) => e.name === name);
  if (exact.length > 1)
    return `images has ${exact.length} entries named ${name}; kustomize would apply only one, remove the others`;
  if (exact[0] !== undefined) return exact[0];
  const wanted = parseImageRef(name);
  if (!wanted.ok) return undefined;
  const same = entries.filter((e) => {
    const ref = parseImageRef(e.name);
    return ref.ok && sameImageName(ref.ref, wanted.ref);
  });
  if (same.length > 1) return `images has ${same.length} entries naming ${name}; use the exact name`;
  return same[0];
}

/** Quote a new key's value the way the same key is quoted in other entries, if they quote it. */
function siblingStyle(images: YAMLSeq.Parsed, key: string): Scalar.Type | undefined {
  for (const item of images.items) {
    if (!isMap(item)) continue;
    const value = findPair(item, key)?.value;
    if (isScalar(value) && (value.type === Scalar.QUOTE_DOUBLE || value.type === Scalar.QUOTE_SINGLE)) {
      return value.type;
    }
  }
  return undefined;
}
