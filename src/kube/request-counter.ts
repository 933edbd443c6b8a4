// Counts API requests by verb, resource, namespace and status code, and passes each request
// (with the object it names) to hooks, so src/metrics can export Argo Rollouts'
// controller_clientset_k8s_request_total{kind,namespace,name,verb,status_code}.

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface ApiRequestRecord {
  verb: RequestVerb;
  /** Resource plural, e.g. 'replicasets' (Argo labels this `kind`). */
  resource: string;
  /** '' for cluster-scoped and all-namespace requests. */
  namespace: string;
  /** The object the request names ('' for a list, a watch or a create). */
  name: string;
  /** HTTP status; 0 when no response arrived (connection error, timeout). */
  statusCode: number;
}

export interface ApiRequestCount extends ApiRequestRecord {
  count: number;
}

export type ApiRequestHook = (record: ApiRequestRecord) => void;

export class RequestCounter {
  private readonly counts = new Map<string, ApiRequestCount>();
  private readonly hooks = new Set<ApiRequestHook>();

  record(record: ApiRequestRecord): void {
    const key = `${record.verb}\u0000${record.resource}\u0000${record.namespace}\u0000${record.statusCode}`;
    const existing = this.counts.get(key);
    if (existing) {
      existing.count += 1;
    } else {
      this.counts.set(key, { ...record, count: 1 });
    }
    for (const hook of this.hooks) {
      hook(record);
    }
  }

  /** A copy of every counter so far. */
  snapshot(): ApiRequestCount[] {
    return [...this.counts.values()].map((count) => ({ ...count }));
  }

  /** Calls `hook` on every request from now on; returns the unsubscribe function. */
  onRequest(hook: ApiRequestHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }
}
