// `valueFrom.fieldRef` for analysis arguments, read from the Rollout as Argo Rollouts reads it:
// `metadata.*` paths with Kubernetes' downward-API rules (name, namespace, uid,
// labels['k'], annotations['k']), any other path (`spec.template...`, `status.alb...`) by walking
// the object on `.` and `[...]` to a primitive.

import type { ObjectMeta } from '../kube/object.js';

export class FieldRefError extends Error {}

type Json = unknown;

function formatPrimitive(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** k8s.io/kubernetes/pkg/fieldpath FormatMap: `k="v"` lines, sorted by key. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map?.[key] ?? '')}`)
    .join('\n');
}

function metadataField(object: { metadata?: Record<string, unknown> }, fieldPath: string): string {
  const metadata = (object.metadata ?? {}) as ObjectMeta;
  const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (subscript) {
    const map = subscript[1] === 'labels' ? metadata.labels : metadata.annotations;
    return map?.[subscript[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return metadata.name ?? '';
    case 'metadata.namespace':
      return metadata.namespace ?? '';
    case 'metadata.uid':
      return metadata.uid ?? '';
    case 'metadata.generateName':
      return metadata.generateName ?? '';
    case 'metadata.resourceVersion':
      return metadata.resourceVersion ?? '';
    case 'metadata.labels':
      return formatMap(metadata.labels);
    case 'metadata.annotations':
      return formatMap(metadata.annotations);
    default:
      throw new FieldRefError(`unsupported fieldPath: ${fieldPath}`);
  }
}

/** The string value of `fieldPath` in the Rollout; throws FieldRefError naming the path. */
export function rolloutFieldValue(rollout: object, fieldPath: string): string {
  if (fieldPath.startsWith('metadata'))
    return metadataField(rollout as { metadata?: Record<string, unknown> }, fieldPath);
  let current: Json = rollout;
  for (const section of fieldPath.split(/[.[\]]+/)) {
    if (section === '') continue;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(section)) throw new FieldRefError(`invalid index '${section}'`);
      const index = Number(section);
      if (index >= current.length) throw new FieldRefError(`index ${index} out of range`);
      current = current[index];
    } else if (typeof current === 'object' && current !== null) {
      current = (current as Record<string, Json>)[section];
    } else {
      throw new FieldRefError(`invalid path ${fieldPath} in rollout`);
    }
  }
  if (current === undefined || current === null)
    throw new FieldRefError(`invalid path ${fieldPath} in rollout`);
  if (typeof current === 'object') {
    throw new FieldRefError(`path ${fieldPath} in rollout must terminate in a primitive value`);
  }
  return formatPrimitive(current);
}
