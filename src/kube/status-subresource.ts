// Where a custom resource's status is written: through /status when its CRD declares the status
// subresource, with the object otherwise. Argo Rollouts' CRDs give AnalysisRun and Experiment
// none (Argo writes their status with the object) and so do ours; a Slipway chart before that
// installed them with one, and Helm never upgrades CRDs. API discovery says which is installed,
// read once. A CRD can be replaced while we run, and discovery lags such a change, so a write
// that shows the other kind of CRD (/status answers 404; the object is stored unchanged because
// the server ignores status there) is sent the other way at once, and its outcome is the answer
// from then on: no discovery read, and no request beyond that one write.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../process/logger.js';
import { NotFoundError } from './api-error.js';
import type { KubeObject } from './object.js';
import { updateObject } from './patch.js';
import { type ApiResource, apiVersionOf } from './resource.js';
import type { RestClient } from './rest.js';

interface APIResourceList {
  resources?: { name: string }[];
}

/** Which resources have /status: from `GET /apis/<group>/<version>`, then from what writes show. */
export class StatusSubresources {
  private readonly discovered = new Map<string, Promise<Set<string>>>();
  private readonly learned = new Map<string, boolean>();

  constructor(
    private readonly client: RestClient,
    /** Told when a write shows that a CRD changed (gained or lost /status) since we looked. */
    private readonly onChange: (resource: ApiResource, hasStatus: boolean) => void = () => {},
  ) {}

  /** True when the CRD of `resource` declares the status subresource (discovery read on first use). */
  async has(resource: ApiResource): Promise<boolean> {
    const key = resourceKey(resource);
    const learned = this.learned.get(key);
    if (learned !== undefined) return learned;
    const groupVersion = apiVersionOf(resource);
    let names = this.discovered.get(groupVersion);
    if (names === undefined) {
      const path = resource.group === '' ? `/api/${resource.version}` : `/apis/${groupVersion}`;
      const read = this.client
        .request({ method: 'GET', path, verb: 'get', resource: groupVersion })
        .then((list) => new Set(((list as APIResourceList | undefined)?.resources ?? []).map((r) => r.name)));
      names = read;
      this.discovered.set(groupVersion, read);
      // A failed read is not kept: the next write reads again.
      read.catch(() => {
        if (this.discovered.get(groupVersion) === read) this.discovered.delete(groupVersion);
      });
    }
    return (await names).has(`${resource.plural}/status`);
  }

  /** What a write showed about the installed CRD; it overrides discovery from now on. */
  learn(resource: ApiResource, hasStatus: boolean): void {
    const key = resourceKey(resource);
    if (this.learned.get(key) === hasStatus) return;
    this.learned.set(key, hasStatus);
    this.onChange(resource, hasStatus);
  }
}

const resourceKey = (resource: ApiResource) => `${apiVersionOf(resource)}/${resource.plural}`;

/**
 * A controller's StatusSubresources with `resource` looked up at start-up, and the answer logged;
 * a failed look-up is only logged (the first write looks again).
 */
export async function discoverStatusSubresource(
  client: RestClient,
  resource: ApiResource,
  logger: Logger,
): Promise<StatusSubresources> {
  const subresources = new StatusSubresources(client, (changed, hasStatus) =>
    logger.info(
      { resource: changed.plural, statusSubresource: hasStatus },
      hasStatus
        ? 'the CRD gained the status subresource: status written through /status'
        : 'the CRD lost the status subresource: status written with the object',
    ),
  );
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
  const read = object.metadata?.resourceVersion;
  const viaStatus = async () =>
    (await updateObject(client, resource, next, { subresource: 'status' })).metadata;
  const withObject = async () => (await updateObject(client, resource, next)).metadata;

  if (await subresources.has(resource)) {
    try {
      return (await viaStatus())?.resourceVersion;
    } catch (error) {
      // 404: the object is gone, or its CRD lost /status (Argo's or ours applied over an older one).
      if (!(error instanceof NotFoundError)) throw error;
      const written = await withObject().catch((again: unknown) => {
        throw again instanceof NotFoundError ? error : again;
      });
      if (written?.resourceVersion === read) throw error;
      subresources.learn(resource, false);
      return written?.resourceVersion;
    }
  }
  const written = await withObject();
  if (written?.resourceVersion !== read) return written?.resourceVersion;
  // Stored unchanged: the server ignores status with the object, so the CRD gained /status (an
  // older Slipway chart's applied over); or it saw no change at all, and /status answers 404.
  try {
    const viaSubresource = await viaStatus();
    subresources.learn(resource, true);
    return viaSubresource?.resourceVersion === read ? undefined : viaSubresource?.resourceVersion;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
