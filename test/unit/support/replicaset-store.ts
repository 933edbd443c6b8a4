// One stored ReplicaSet with the API server's write rules, for act tests: a JSON patch is applied
// whole or not at all (a failed `test` op, or an op on a missing path, is refused with the
// 422 kube-apiserver sends), a merge patch naming another resourceVersion is refused with 409,
// any change of the spec bumps metadata.generation, every accepted write bumps resourceVersion,
// and /status writes change only status. Other requests are answered with their body; a list
// finds nothing.
import { isDeepStrictEqual } from 'node:util';
import { applyPatch, type Operation } from 'rfc6902';
import { kubeApiErrorFor } from '../../../src/kube/api-error.js';
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';
import type { ReplicaSet } from '../../../src/rollout/workload-types.js';

/** kube-apiserver's body for a JSON patch it could not apply (1.34-1.37). */
export const PATCH_NOT_APPLIED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'the server rejected our request due to an error in our request',
  reason: 'Invalid',
  details: {},
  code: 422,
};

export function replicaSetStore(initial: ReplicaSet) {
  let stored: ReplicaSet = structuredClone(initial);
  const requests: KubeRequest[] = [];
  const accept = (next: ReplicaSet) => {
    const metadata = next.metadata ?? {};
    if (!isDeepStrictEqual(next.spec, stored.spec)) metadata.generation = (metadata.generation ?? 1) + 1;
    metadata.resourceVersion = String(Number(stored.metadata?.resourceVersion ?? '0') + 1);
    stored = { ...next, metadata };
    return structuredClone(stored);
  };
  const client = {
    /** No pods (role metadata goes to the template only). */
    async list() {
      return { items: [] };
    },
    async request(request: KubeRequest) {
      requests.push(request);
      if (request.method !== 'PATCH' || !request.path.includes('/replicasets/')) return request.body;
      const failed = { method: request.method, path: request.path };
      if (request.contentType === 'application/json-patch+json') {
        const next = structuredClone(stored);
        const results = applyPatch(next, request.body as Operation[]);
        if (results.some((r) => r !== null)) throw kubeApiErrorFor(failed, 422, PATCH_NOT_APPLIED);
        if (request.path.endsWith('/status')) next.spec = stored.spec;
        return accept(next);
      }
      const body = structuredClone(request.body) as ReplicaSet & { status?: unknown };
      const wanted = body.metadata?.resourceVersion;
      if (wanted !== undefined && wanted !== stored.metadata?.resourceVersion) {
        throw kubeApiErrorFor(failed, 409, {
          kind: 'Status',
          reason: 'Conflict',
          message: `Operation cannot be fulfilled on replicasets.apps "${stored.metadata?.name}": the object has been modified`,
        });
      }
      if (request.path.endsWith('/status')) return accept({ ...stored, status: body.status } as ReplicaSet);
      return accept(mergeInto(structuredClone(stored), body) as ReplicaSet);
    },
  } as unknown as RestClient;
  return {
    client,
    requests,
    get stored(): ReplicaSet {
      return stored;
    },
    /** Someone else's write (a person's scale, the ReplicaSet controller's status). */
    write(change: (rs: ReplicaSet) => void): void {
      const next = structuredClone(stored);
      change(next);
      accept(next);
    },
  };
}

/** RFC 7386. */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergeInto(out[key], value);
  }
  return out;
}
