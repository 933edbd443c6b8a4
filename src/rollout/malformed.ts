// A pod template with a value its Go type cannot hold (`memory: invalid`) is not refused by
// Argo Rollouts: its tolerant informer falls back to encoding/json, which stops at the first
// value whose UnmarshalJSON fails and keeps what it decoded before (utils/tolerantinformer;
// e2e TestMalformedRollout expects such a Rollout to become Healthy). This module decodes
// spec.template the same way, so the ReplicaSet and its pod-template-hash equal Argo's.
//
// encoding/json reads keys in the order json.Marshal of the unstructured object wrote them
// (sorted), fills struct fields in place (a partly decoded struct or slice element stays),
// and sets a map entry only once its value decoded (the failing entry is dropped).
// Deliberate difference: Argo's decode also loses every later field of the whole Rollout,
// status included; we keep the status, which only Argo's bookkeeping would miss.
import { type GoType, podTemplateRootType, podTemplateStructs } from './pod-template-fields.generated.js';
import { canonicalQuantity } from './pod-template-hash.js';

export interface MalformedValue {
  /** e.g. spec.template.spec.containers[0].resources.requests.memory */
  path: string;
  /** The Go error, without the value (it is user input). */
  problem: string;
}

export interface TolerantTemplate {
  template: unknown;
  malformed?: MalformedValue;
}

const QUANTITY_FORMAT =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Decoded {
  value: unknown;
  cut?: MalformedValue;
}

function sortedKeys(object: JsonObject): string[] {
  return Object.keys(object).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

function validQuantity(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'string' && typeof value !== 'number') return false;
  try {
    canonicalQuantity(value);
    return true;
  } catch {
    return false;
  }
}

function decode(value: unknown, type: GoType, path: string): Decoded {
  switch (type.kind) {
    case 'quantity':
      return validQuantity(value) ? { value } : { value: undefined, cut: { path, problem: QUANTITY_FORMAT } };
    case 'ptr': {
      const decoded = decode(value, type.elem, path);
      // The pointer was allocated before UnmarshalJSON failed: a zero Quantity, written "0".
      if (decoded.cut && type.elem.kind === 'quantity') return { value: '0', cut: decoded.cut };
      return decoded;
    }
    case 'slice': {
      if (!Array.isArray(value)) return { value };
      const out: unknown[] = [];
      for (const [i, element] of value.entries()) {
        const decoded = decode(element, type.elem, `${path}[${i}]`);
        if (decoded.cut) {
          out.push(type.elem.kind === 'quantity' ? '0' : decoded.value);
          return { value: out, cut: decoded.cut };
        }
        out.push(decoded.value);
      }
      return { value: out };
    }
    case 'map': {
      if (!isObject(value)) return { value };
      const out: JsonObject = {};
      for (const key of sortedKeys(value)) {
        const decoded = decode(value[key], type.elem, `${path}.${key}`);
        if (decoded.cut) return { value: out, cut: decoded.cut };
        out[key] = decoded.value;
      }
      return { value: out };
    }
    case 'struct': {
      if (!isObject(value)) return { value };
      const fields = podTemplateStructs[type.name] ?? [];
      const out: JsonObject = {};
      for (const key of sortedKeys(value)) {
        const field = fields.find((f) => f.json === key);
        if (!field) {
          out[key] = value[key]; // unknown to Go: skipped there, ignored by the hash here
          continue;
        }
        const decoded = decode(value[key], field.type, `${path}.${key}`);
        if (decoded.cut) {
          const partial = field.type.kind === 'quantity' ? '0' : decoded.value;
          if (partial !== undefined) out[key] = partial;
          return { value: out, cut: decoded.cut };
        }
        out[key] = decoded.value;
      }
      return { value: out };
    }
    default:
      return { value };
  }
}

/** spec.template as Argo Rollouts' tolerant decode sees it; `malformed` names the first bad value. */
export function tolerantPodTemplate(template: unknown): TolerantTemplate {
  const decoded = decode(template, podTemplateRootType, 'spec.template');
  return decoded.cut ? { template: decoded.value, malformed: decoded.cut } : { template };
}
