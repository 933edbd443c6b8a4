// Argo CD's per-application parameter override file, `.argocd-source-<app>.yaml` beside the
// application's manifests. Argo CD merges it into the Application's source when it renders. The
// format is the one Argo CD Image Updater's Git write-back produces (go-yaml v2 layout):
//
//   helm:                              kustomize:
//     parameters:                        images:
//     - name: image.tag                  - ghcr.io/acme/web:1.4.2
//       value: 1.4.2
//       forcestring: true
//
// A missing file is created in that layout; an existing one is edited byte for byte.
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, type ParsedNode, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  canonicalImageName,
  formatImageRef,
  parseImageRef,
  sameImageName,
  withVersion,
} from '../../../api/image-ref.js';
import { appendItem, appendPair, fillEmptyValue } from './collection-edit.js';
import { EditPlan, type PlannedChange } from './edit-plan.js';
import {
  type EditError,
  type EditResult,
  type EditSpecBase,
  editError,
  isEditError,
  type ManifestEditor,
  type ValueChange,
} from './manifest-editor.js';
import { lineOf, type ManifestSource, parseManifest, rootMap } from './manifest-source.js';
import { findPair, type MapPair } from './node-lookup.js';
import { formatValuePath, type ValuePath } from './value-path.js';
import {
  type BlockLayout,
  blockLines,
  type Fragment,
  fragmentValue,
  map,
  scalar,
  seq,
} from './yaml-fragment.js';

export interface HelmParameterOverride {
  /** A Helm value path in `--set` syntax, e.g. `image.tag`. */
  readonly name: string;
  readonly value: string;
  /** `--set-string` rather than `--set`, so a tag like 1.10 stays a string. Default true. */
  readonly forceString?: boolean;
}

export type SourceOverride =
  | { readonly kind: 'helm'; readonly parameters: readonly HelmParameterOverride[] }
  /** Kustomize image overrides: `[old-name=]name[:tag][@digest]`, as `kustomize edit set image` takes them. */
  | { readonly kind: 'kustomize'; readonly images: readonly string[] };

export interface ArgoCDSourceOverrideEdit extends EditSpecBase {
  readonly editor: 'argocd-source-override';
  readonly override: SourceOverride;
}

// Argo CD reads `.argocd-source.yaml` and `.argocd-source-<app>.yaml`, nothing else.
const OVERRIDE_FILE = /(^|\/)\.argocd-source(-[^/]+)?\.yaml$/;
// go-yaml v2 (Image Updater) writes sequences unindented under their key.
const IMAGE_UPDATER_LAYOUT: BlockLayout = { indentUnit: 2, indentlessSequences: true, itemGap: 1 };

export const argocdSourceOverrideEditor: ManifestEditor<ArgoCDSourceOverrideEdit> = {
  key: 'argocd-source-override',
  apply(source, spec) {
    if (!OVERRIDE_FILE.test(spec.file)) {
      return editError(
        spec.file,
        'Argo CD only reads overrides from .argocd-source.yaml or .argocd-source-<app>.yaml',
      );
    }
    const invalid = validate(spec.override);
    if (invalid !== undefined) return editError(spec.file, invalid);
    if (source === null) return create(spec, '');
    const manifest = parseManifest(spec.file, source);
    if (isEditError(manifest)) return manifest;
    const root = rootMap(manifest, 'Argo CD source override');
    if (root.kind === 'empty') return create(spec, source);
    if (isEditError(root)) return root;
    const plan = new EditPlan(manifest, IMAGE_UPDATER_LAYOUT);
    const error =
      spec.override.kind === 'helm'
        ? planHelm(plan, manifest, root.document, root.map, spec.override.parameters)
        : planKustomize(plan, manifest, root.document, root.map, spec.override.images);
    return error ?? plan.finish();
  },
};

function validate(override: SourceOverride): string | undefined {
  if (override.kind === 'helm') {
    if (override.parameters.length === 0) return 'no Helm parameters given';
    const names = override.parameters.map((p) => p.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    return twice === undefined ? undefined : `Helm parameter ${twice} is given twice`;
  }
  if (override.images.length === 0) return 'no kustomize images given';
  for (const image of override.images) {
    const parsed = parseImageRef(image.slice(image.indexOf('=') + 1));
    if (!parsed.ok) return parsed.reason;
  }
  const keys = override.images.map(overrideKey);
  const twice = override.images.find((image, i) => keys.indexOf(overrideKey(image)) !== i);
  return twice === undefined ? undefined : `kustomize image ${twice} is given twice`;
}

/** A new file, or a file holding only comments: written whole, in Image Updater's layout. */
function create(spec: ArgoCDSourceOverrideEdit, existing: string): EditResult {
  const { override } = spec;
  const top = topFragment(override);
  const eol = existing.includes('\r\n') ? '\r\n' : '\n';
  const lines = blockLines(top, 0, IMAGE_UPDATER_LAYOUT);
  const separator = existing === '' || existing.endsWith('\n') ? '' : eol;
  const text = existing + separator + lines.map((l) => l + eol).join('');
  const reread = parseManifest(spec.file, text);
  const first = isEditError(reread) ? undefined : reread.documents[0];
  if (first === undefined || !isDeepStrictEqual(first.toJS(), fragmentValue(top))) {
    return editError(spec.file, 'internal error, nothing written: the new override file does not read back');
  }
  const line = existing === '' ? 1 : existing.split('\n').length + (separator === '' ? 0 : 1);
  const changes: ValueChange[] =
    override.kind === 'helm'
      ? sortedParameters(override.parameters).map((p) => ({
          path: formatValuePath(parameterPath(p.name, 'value')),
          line,
          from: null,
          to: p.value,
          note: 'created the override file',
        }))
      : override.images.map((image) => ({
          path: 'kustomize.images',
          line,
          from: null,
          to: image,
          note: 'created the override file',
        }));
  return { kind: 'changed', text, changes };
}

function topFragment(override: SourceOverride): Fragment {
  if (override.kind === 'helm') {
    return map([
      'helm',
      map(['parameters', seq(...sortedParameters(override.parameters).map((p) => parameterEntry(p)))]),
    ]);
  }
  return map(['kustomize', map(['images', seq(...override.images.map((image) => scalar(image)))])]);
}

// Image Updater sorts parameters by name so the file does not churn between runs.
function sortedParameters(parameters: readonly HelmParameterOverride[]): HelmParameterOverride[] {
  return [...parameters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function parameterEntry(p: HelmParameterOverride, forceStringKey = 'forcestring'): Fragment {
  const force = p.forceString ?? true;
  return map(
    ['name', scalar(p.name)],
    ['value', scalar(p.value)],
    ...(force ? [[forceStringKey, scalar(true)] as const] : []),
  );
}

function parameterPath(name: string, field?: string): ValuePath {
  const entry: ValuePath = [
    { kind: 'key', key: 'helm' },
    { kind: 'key', key: 'parameters' },
    { kind: 'match', key: 'name', value: name },
  ];
  return field === undefined ? entry : [...entry, { kind: 'key', key: field }];
}

/** An existing collection to edit inside, or one just planned with everything in it. */
type Slot<T> = { readonly kind: 'existing'; readonly node: T } | { readonly kind: 'created' } | EditError;

const isMapNode = (node: ParsedNode): node is YAMLMap.Parsed => isMap(node);
const isListNode = (node: ParsedNode): node is YAMLSeq.Parsed => isSeq(node);

/** Finds the collection at `owner.key`, or plans it (empty `key:` or absent) holding `value`. */
function ensureCollection<T extends ParsedNode>(
  plan: EditPlan,
  owner: YAMLMap.Parsed,
  key: string,
  value: Fragment,
  at: { readonly document: number; readonly path: ValuePath },
  accept: (node: ParsedNode) => node is T,
): Slot<T> {
  const manifest = plan.source;
  const ctx = plan.layoutFor(at.document);
  const pair = findPair(owner, key);
  const shown = formatValuePath(at.path);
  const change = (line: number): PlannedChange => ({
    ...at,
    line,
    from: null,
    to: null,
    note: `added ${shown}`,
  });
  const expect = { kind: 'value', value: fragmentValue(value) } as const;
  if (pair === undefined) {
    const splice = appendPair(ctx, owner, key, value);
    plan.add([splice], change(lineOf(manifest, splice.start)), expect);
    return { kind: 'created' };
  }
  const node = pair.value;
  if (node === null || (isScalar(node) && node.value === null)) {
    plan.add(fillEmptyValue(ctx, owner, pair, value), change(lineOf(manifest, pair.key.range[0])), expect);
    return { kind: 'created' };
  }
  if (accept(node)) return { kind: 'existing', node };
  return editError(manifest.file, `${shown} should be a ${value.kind === 'map' ? 'map' : 'list'}`, {
    path: shown,
    line: lineOf(manifest, node.range[0]),
  });
}

function planHelm(
  plan: EditPlan,
  manifest: ManifestSource,
  document: number,
  root: YAMLMap.Parsed,
  parameters: readonly HelmParameterOverride[],
): EditError | undefined {
  if (findPair(root, 'kustomize') !== undefined) return wrongTool(manifest, 'kustomize', 'helm');
  const sorted = sortedParameters(parameters);
  const all = seq(...sorted.map((p) => parameterEntry(p)));
  const helmPath: ValuePath = [{ kind: 'key', key: 'helm' }];
  const helm = ensureCollection(
    plan,
    root,
    'helm',
    map(['parameters', all]),
    { document, path: helmPath },
    isMapNode,
  );
  if (helm.kind !== 'existing') return helm.kind === 'created' ? undefined : helm;
  const listPath: ValuePath = [...helmPath, { kind: 'key', key: 'parameters' }];
  const list = ensureCollection(plan, helm.node, 'parameters', all, { document, path: listPath }, isListNode);
  if (list.kind !== 'existing') return list.kind === 'created' ? undefined : list;

  const ctx = plan.layoutFor(document);
  const forceKey = forceStringSpelling(list.node);
  for (const p of sorted) {
    const entry = list.node.items.find(
      (item) => isMap(item) && scalarText(findPair(item, 'name')) === p.name,
    );
    if (entry === undefined || !isMap(entry)) {
      const fragment = parameterEntry(p, forceKey);
      const splice = appendItem(ctx, list.node, fragment);
      plan.add(
        [splice],
        {
          document,
          path: parameterPath(p.name, 'value'),
          line: lineOf(manifest, splice.start),
          from: null,
          to: p.value,
          note: 'added the parameter',
        },
        { kind: 'value', value: p.value },
      );
      continue;
    }
    const error = setField(plan, manifest, document, entry, parameterPath(p.name, 'value'), 'value', p.value);
    if (error !== undefined) return error;
    const force = p.forceString ?? true;
    const existingKey = ['forcestring', 'forceString'].find((k) => findPair(entry, k) !== undefined);
    if (existingKey !== undefined || force) {
      const key = existingKey ?? forceKey;
      const forceError = setField(plan, manifest, document, entry, parameterPath(p.name, key), key, force);
      if (forceError !== undefined) return forceError;
    }
  }
  return undefined;
}

function planKustomize(
  plan: EditPlan,
  manifest: ManifestSource,
  document: number,
  root: YAMLMap.Parsed,
  images: readonly string[],
): EditError | undefined {
  if (findPair(root, 'helm') !== undefined) return wrongTool(manifest, 'helm', 'kustomize');
  const all = seq(...images.map((image) => scalar(image)));
  const kustomizePath: ValuePath = [{ kind: 'key', key: 'kustomize' }];
  const top = ensureCollection(
    plan,
    root,
    'kustomize',
    map(['images', all]),
    { document, path: kustomizePath },
    isMapNode,
  );
  if (top.kind !== 'existing') return top.kind === 'created' ? undefined : top;
  const listPath: ValuePath = [...kustomizePath, { kind: 'key', key: 'images' }];
  const list = ensureCollection(plan, top.node, 'images', all, { document, path: listPath }, isListNode);
  if (list.kind !== 'existing') return list.kind === 'created' ? undefined : list;

  const ctx = plan.layoutFor(document);
  for (const image of images) {
    const items = list.node.items;
    const index = items.findIndex(
      (item) => isScalar(item) && typeof item.value === 'string' && overrides(item.value, image),
    );
    const item = items[index];
    const path: ValuePath = [...listPath, { kind: 'index', index: index < 0 ? items.length : index }];
    if (item === undefined || !isScalar(item) || typeof item.value !== 'string') {
      const splice = appendItem(ctx, list.node, scalar(image));
      plan.add(
        [splice],
        {
          document,
          path,
          line: lineOf(manifest, splice.start),
          from: null,
          to: image,
          note: 'added the image',
        },
        { kind: 'value', value: image },
      );
      continue;
    }
    const value = mergeOverrideEntry(item.value, image);
    const error = plan.setScalar({ document, path, node: item, via: [] }, value);
    if (error !== undefined) return error;
  }
  return undefined;
}

/**
 * The entry to write over `current`. Kustomize matches the name literally, so the file's spelling of
 * the name (and an `old=` prefix) stays when the edit names the same image another way.
 */
function mergeOverrideEntry(current: string, wanted: string): string {
  const eq = current.indexOf('=');
  const prefix = eq >= 0 && !wanted.includes('=') ? current.slice(0, eq + 1) : '';
  const have = parseImageRef(current.slice(eq + 1));
  const want = parseImageRef(wanted.slice(wanted.indexOf('=') + 1));
  if (!have.ok || !want.ok || !sameImageName(have.ref, want.ref)) return prefix + wanted;
  const wantedPrefix = wanted.includes('=') ? wanted.slice(0, wanted.indexOf('=') + 1) : prefix;
  return wantedPrefix + formatImageRef(withVersion(have.ref, want.ref.tag, want.ref.digest));
}

/**
 * Whether the existing entry is the one to update for `wanted`: same `old=` name, or, when `wanted`
 * names only an image, an entry that already sets that image (`web=ghcr.io/acme/web:1.4`).
 */
function overrides(entry: string, wanted: string): boolean {
  if (overrideKey(entry) === overrideKey(wanted)) return true;
  if (wanted.includes('=') || !entry.includes('=')) return false;
  return overrideKey(entry.slice(entry.indexOf('=') + 1)) === overrideKey(wanted);
}

/** What an override entry replaces: the part before `=`, else the image name, Docker Hub defaults applied. */
function overrideKey(entry: string): string {
  const eq = entry.indexOf('=');
  const name = eq >= 0 ? entry.slice(0, eq) : entry;
  const parsed = parseImageRef(name);
  return parsed.ok ? canonicalImageName(parsed.ref) : name;
}

function setField(
  plan: EditPlan,
  manifest: ManifestSource,
  document: number,
  entry: YAMLMap.Parsed,
  path: ValuePath,
  key: string,
  value: string | boolean,
): EditError | undefined {
  const pair = findPair(entry, key);
  if (pair === undefined) {
    const splice = appendPair(plan.layoutFor(document), entry, key, scalar(value));
    plan.add(
      [splice],
      { document, path, line: lineOf(manifest, splice.start), from: null, to: String(value) },
      { kind: 'value', value },
    );
    return undefined;
  }
  if (pair.value === null || !isScalar(pair.value)) {
    return editError(manifest.file, `${formatValuePath(path)} is not a single value`, {
      path: formatValuePath(path),
      line: lineOf(manifest, pair.key.range[0]),
    });
  }
  return plan.setScalar({ document, path, node: pair.value, via: [] }, value);
}

/** Image Updater writes `forcestring`; Argo CD's own field is `forceString`. Follow the file. */
function forceStringSpelling(list: YAMLSeq.Parsed): string {
  for (const item of list.items) {
    if (!isMap(item)) continue;
    if (findPair(item, 'forceString') !== undefined) return 'forceString';
    if (findPair(item, 'forcestring') !== undefined) return 'forcestring';
  }
  return 'forcestring';
}

function scalarText(pair: MapPair | undefined): string | undefined {
  const value = pair?.value;
  return value !== undefined && value !== null && isScalar(value) && value.value !== null
    ? String(value.value)
    : undefined;
}

function wrongTool(manifest: ManifestSource, present: string, wanted: string): EditError {
  return editError(
    manifest.file,
    `holds ${present} overrides but the edit is for ${wanted}; the application's source type differs from the target's, fix the target or remove the file`,
  );
}
