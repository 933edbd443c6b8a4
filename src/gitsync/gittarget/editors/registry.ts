// The one place that maps an edit's `editor` key to its implementation. A new editor is a module
// beside these and one line in each of the two tables below; the compiler checks both agree.
import { type ArgoCDSourceOverrideEdit, argocdSourceOverrideEditor } from './argocd-source-override.js';
import { type HelmValuesEdit, helmValuesEditor } from './helm-values.js';
import { type KustomizeImagesEdit, kustomizeImagesEditor } from './kustomize-images.js';
import type { EditResult, ManifestEditor } from './manifest-editor.js';
import { type YamlPathEdit, yamlPathEditor } from './yaml-path.js';

interface EditSpecs {
  'yaml-path': YamlPathEdit;
  'kustomize-images': KustomizeImagesEdit;
  'helm-values': HelmValuesEdit;
  'argocd-source-override': ArgoCDSourceOverrideEdit;
}

export type EditorKey = keyof EditSpecs;
export type EditSpec = EditSpecs[EditorKey];

const editors: { readonly [K in EditorKey]: ManifestEditor<EditSpecs[K]> } = {
  'yaml-path': yamlPathEditor,
  'kustomize-images': kustomizeImagesEditor,
  'helm-values': helmValuesEditor,
  'argocd-source-override': argocdSourceOverrideEditor,
};

/** For specs read from configuration: is `key` an editor this build has? */
export function isEditorKey(key: string): key is EditorKey {
  return Object.hasOwn(editors, key);
}

export function editorFor<K extends EditorKey>(key: K): ManifestEditor<EditSpecs[K]> {
  return editors[key];
}

/** Applies one edit to a file's text (null when the file does not exist). Pure: no I/O. */
export function applyEdit(source: string | null, spec: EditSpec): EditResult {
  return run(spec.editor, source, spec);
}

function run<K extends EditorKey>(key: K, source: string | null, spec: EditSpecs[K]): EditResult {
  return editors[key].apply(source, spec);
}
