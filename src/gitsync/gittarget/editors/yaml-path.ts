// The general editor: set one scalar at a path, in any document of a (multi-document) YAML file.
import { type DocumentSelector, selectDocuments } from './document-select.js';
import { EditPlan } from './edit-plan.js';
import { type EditSpecBase, editError, existingFileEditor, isEditError } from './manifest-editor.js';
import { parseManifest } from './manifest-source.js';
import type { ScalarValue } from './scalar-style.js';
import { findScalar } from './scalar-target.js';
import { parseValuePath } from './value-path.js';

export interface YamlPathEdit extends EditSpecBase {
  readonly editor: 'yaml-path';
  /** e.g. `spec.template.spec.containers[name=web].image`; see value-path.ts. */
  readonly path: string;
  /** Written with its type: a string stays a string (quoted if it must), a number stays a number. */
  readonly value: ScalarValue;
  /** Which document of a multi-document file; without it the path must exist in exactly one. */
  readonly document?: DocumentSelector;
}

export const yamlPathEditor = existingFileEditor<YamlPathEdit>('yaml-path', (source, spec) => {
  const path = parseValuePath(spec.path);
  if (!path.ok) return editError(spec.file, path.reason, { path: spec.path });
  const manifest = parseManifest(spec.file, source);
  if (isEditError(manifest)) return manifest;
  const documents = selectDocuments(manifest, spec.document);
  if (isEditError(documents)) return documents;
  const target = findScalar(manifest, documents, path.path);
  if (isEditError(target)) return target;
  const plan = new EditPlan(manifest);
  return plan.setScalar(target, spec.value) ?? plan.finish();
});
