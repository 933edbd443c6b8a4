// The act side of a router write: one API call per TrafficWrite through src/kube.
import type { KubeObject } from '../kube/object.js';
import { createObject, deleteObject, mergePatch } from '../kube/patch.js';
import type { RestClient } from '../kube/rest.js';
import type { TrafficWrite } from './router.js';

/**
 * Sends one write. A create that finds the object already there and a delete that finds it
 * gone are not errors (the next observe sees the object); a stale resourceVersion throws
 * ConflictError, and the caller re-plans from a fresh observe.
 */
export async function applyTrafficWrite(
  client: RestClient,
  write: TrafficWrite,
): Promise<KubeObject | undefined> {
  const { target } = write;
  switch (write.op) {
    case 'create':
      return createObject(client, target.resource, write.object, { ifExists: 'ignore' });
    case 'mergePatch':
      return mergePatch(client, target, write.patch, {
        ...(write.resourceVersion ? { resourceVersion: write.resourceVersion } : {}),
      });
    case 'delete':
      await deleteObject(client, target, {
        ifMissing: 'ignore',
        ...(write.uid ? { preconditions: { uid: write.uid } } : {}),
      });
      return undefined;
  }
}
