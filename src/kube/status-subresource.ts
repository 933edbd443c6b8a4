// Where a custom resource's status is written: through /status when its CRD declares the status
// subresource, with the object otherwise. Argo Rollouts' CRDs give AnalysisRun and Experiment
// none (Argo writes their status with the object) and so do ours; a Slipway chart before that
// installed them with one, and Helm never upgrades CRDs. API discovery says which is installed;
// it is read once, and again (at most every few seconds) when a write shows that the CRD
// changed under us: /status answers 404, or the server stored the object unchanged because it
// ignores status there.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../process/logger.js';
import { NotFoundError } from './api-error.js';
import type { KubeObject } from './object.js';
import { updateObject } from './patch.js';
import { type ApiResource, apiVersionOf } from './resource.js';
import type { RestClient } from './rest.js';

/** Discovery is read again after a suspicious write no more often than this. */
const DEFAULT_MIN_RECHECK_MS = 2000;

interface APIResourceList {
  resources?: { name: string }[];
}

export interface StatusSubresourceOptions {
  minRecheckMs?: number;
  now?: () => number;
}

/** Which resources of a group-version have /status, from `GET /apis/<group>/<version>`. */
export class StatusSubresources {
  private readonly lists = new Map<string, { names: Promise<Set<string>>; readAtMs: number }>();
  private readonly minRecheckMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: RestClient,
    options: StatusSubresourceOptions = {},
  ) {
    this.minRecheckMs = options.minRecheckMs ?? DEFAULT_MIN_RECHECK_MS;
    this.now = options.now ?? Date.now;
  }

  /** True when the CRD of `resource` declares the status subresource (discovery read on first use). */
  async has(resource: ApiResource): Promise<boolean> {
    const names = await (this.lists.get(apiVersionOf(resource)) ?? this.read(resource)).names;
    return names.has(`${resource.plural}/status`);
  }

  /**
   * Reads discovery again (unless it was read within minRecheckMs) and tells whether the answer
   * now differs from `used`, the one a failed or ignored write relied on.
   */
  async changed(resource: ApiResource, used: boolean): Promise<boolean> {
    const last = this.lists.get(apiVersionOf(resource));
    if (last === undefined || this.now() - last.readAtMs >= this.minRecheckMs) this.read(resource);
    try {
      return (await this.has(resource)) !== used;
    } catch {
      return false; // discovery failed too: the write's own error says more
    }
  }

  private read(resource: ApiResource): { names: Promise<Set<string>>; readAtMs: number } {
    const groupVersion = apiVersionOf(resource);
    const path = resource.group === '' ? `/api/${resource.version}` : `/apis/${groupVersion}`;
    const names = this.client
      .request({ method: 'GET', path, verb: 'get', resource: groupVersion })
      .then((list) => new Set(((list as APIResourceList | undefined)?.resources ?? []).map((r) => r.name)));
    const entry = { names, readAtMs: this.now() };
    this.lists.set(groupVersion, entry);
    // A failed read is not kept: the next write reads again.
    names.catch(() => {
      if (this.lists.get(groupVersion) === entry) this.lists.delete(groupVersion);
    });
    return entry;
  }
}

/**
 * A controller's StatusSubresources with `resource` looked up at start-up, and the answer logged;
 * a failed look-up is only logged (the first write looks again).
 */
export async function discoverStatusSubresource(
  client: RestClient,
  resource: ApiResource,
  logger: Logger,
): Promise<StatusSubresources> {
  const subresources = new StatusSubresources(client);
  try {
    const has = await subresources.has(resource);
    logger.info(
      { resource: resource.plural, statusSubresource: has },
      has ? 'status written through /status (the installed CRD has it)' : 'status written with the object',
    );
  } catch (error) {
    logger.warn({ resource: resource.plural, err: (error as Error).message }, 'API discovery failed');
  }
  return subresources;
}

/**
 * PUTs `status` (with the object's resourceVersion, so a concurrent change is a ConflictError)
 * unless the object already holds it: through /status where the CRD has it, with the object
 * otherwise. The resourceVersion written; undefined when nothing was written.
 */
export async function updateChangedStatus<T extends KubeObject & { status?: unknown }>(
  client: RestClient,
  subresources: StatusSubresources,
  resource: ApiResource,
  object: T,
  status: NonNullable<T['status']>,
): Promise<string | undefined> {
  if (isDeepStrictEqual(status, object.status ?? {})) return undefined;
  const next = { ...object, status };
  const viaStatus = await subresources.has(resource);
  let written: KubeObject;
  try {
    written = await updateObject(client, resource, next, viaStatus ? { subresource: 'status' } : {});
  } catch (error) {
    // 404 on /status: the object is gone, or the CRD lost its status subresource.
    if (!(viaStatus && error instanceof NotFoundError && (await subresources.changed(resource, true))))
      throw error;
    written = await updateObject(client, resource, next);
  }
  const version = written.metadata?.resourceVersion;
  if (viaStatus || version !== object.metadata?.resourceVersion) return version;
  // The object was stored unchanged: the server ignores status there, so the CRD gained
  // /status; or the server saw no change (a field it drops), and there is nothing to write.
  if (!(await subresources.changed(resource, false))) return undefined;
  return (await updateObject(client, resource, next, { subresource: 'status' })).metadata?.resourceVersion;
}
