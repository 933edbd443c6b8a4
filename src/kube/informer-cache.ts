// The informer caches one process shares between its controllers: one Informer per resource and
// selector, however many controllers read it (client-go's SharedInformerFactory). A cache is
// created per leadership term; informers start when a controller first uses them and all stop
// together when the term ends.
import { type IndexFunction, Informer, type ListWatchSource } from './informer.js';
import { type ApiListWatchOptions, apiListWatch } from './list-watch.js';
import type { KubeObject } from './object.js';
import { type ApiResource, apiVersionOf } from './resource.js';
import type { RestClient } from './rest.js';

export type CacheScope = ApiListWatchOptions;

export interface InformerCacheOptions {
  /** List/watch failures of every informer, each prefixed with what it watches. */
  onError: (error: Error) => void;
  /** Where informers get their data; default the API server through `client`. */
  listWatch?: (resource: ApiResource, scope: CacheScope) => ListWatchSource<KubeObject>;
}

export class InformerCache {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly listWatch: (resource: ApiResource, scope: CacheScope) => ListWatchSource<KubeObject>;
  private stopped = false;

  constructor(
    client: RestClient | undefined,
    private readonly options: InformerCacheOptions,
  ) {
    this.listWatch =
      options.listWatch ??
      ((resource, scope) => {
        if (client === undefined) throw new Error('InformerCache: no client and no listWatch');
        return apiListWatch(client, resource, scope);
      });
  }

  /**
   * The cache of `resource` within `scope` (namespace, label and field selectors), created on
   * first use. `indexers` are added to it; callers start it (Informer.start is idempotent).
   */
  informer<T extends KubeObject>(
    resource: ApiResource,
    scope: CacheScope = {},
    indexers?: Record<string, IndexFunction<T>>,
  ): Informer<T> {
    if (this.stopped) throw new Error('InformerCache: used after stop()');
    const key = [
      apiVersionOf(resource),
      resource.plural,
      scope.namespace ?? '',
      scope.labelSelector ?? '',
      scope.fieldSelector ?? '',
    ].join('|');
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (informer === undefined) {
      informer = new Informer<T>(this.listWatch(resource, scope) as ListWatchSource<T>, {
        onError: this.options.onError,
      });
      this.informers.set(key, informer as unknown as Informer<KubeObject>);
    }
    if (indexers !== undefined) informer.addIndexers(indexers);
    return informer;
  }

  /** How many distinct caches exist (one per resource and scope). */
  size(): number {
    return this.informers.size;
  }

  /** Stops every informer (waiters for a first sync are rejected); the cache is then spent. */
  stop(): void {
    this.stopped = true;
    for (const informer of this.informers.values()) informer.stop();
  }
}
