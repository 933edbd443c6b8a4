// The informer's data source over the API server: paged lists through RestClient and watches
// through the library's Watch (we only use its streaming; reconnects live in the informer).
import { Watch } from '@kubernetes/client-node';
import { isKubeStatus } from './api-error.js';
import type { ListWatchSource, WatchEvent, WatchHandle } from './informer.js';
import type { KubeObject } from './object.js';
import { type ApiResource, resourcePath } from './resource.js';
import type { RestClient } from './rest.js';

export interface ApiListWatchOptions {
  /** Watch one namespace; omit for all namespaces (or for cluster-scoped resources). */
  namespace?: string;
  /** e.g. `rollouts-pod-template-hash` so the cache holds only Rollout-managed ReplicaSets. */
  labelSelector?: string;
  fieldSelector?: string;
}

const WATCH_EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

export function apiListWatch<T extends KubeObject>(
  client: RestClient,
  resource: ApiResource,
  options: ApiListWatchOptions = {},
): ListWatchSource<T> {
  const { namespace, labelSelector, fieldSelector } = options;
  const path = resourcePath(resource, { namespace });
  const watcher = new Watch(client.kubeConfig);
  const scope = namespace ? `namespace ${namespace}` : resource.namespaced ? 'all namespaces' : 'cluster';
  const selectors = [labelSelector && `labels ${labelSelector}`, fieldSelector && `fields ${fieldSelector}`]
    .filter(Boolean)
    .join(', ');
  const description = `${resource.plural}${resource.group ? `.${resource.group}` : ''} in ${scope}${selectors ? ` (${selectors})` : ''}`;

  return {
    description,
    list: async () => {
      const listed = await client.list<T>(resource, { namespace, labelSelector, fieldSelector });
      for (const item of listed.items) withoutManagedFields(item);
      return listed;
    },
    async watch(resourceVersion, onEvent, onClose): Promise<WatchHandle> {
      let closedEarly: unknown;
      const controller = await watcher.watch(
        path,
        {
          resourceVersion,
          allowWatchBookmarks: true,
          // Like client-go: 5-10 minutes, spread so many informers do not reconnect in step.
          timeoutSeconds: Math.floor(300 + Math.random() * 300),
          labelSelector,
          fieldSelector,
        },
        (phase: string, object: unknown) => {
          // Watch swallows exceptions thrown here (it treats them as JSON parse errors), so
          // anything unexpected is turned into a close instead of being lost.
          try {
            const event = toWatchEvent<T>(phase, object);
            if (event) {
              onEvent(event);
            }
          } catch (error) {
            onClose(error);
          }
        },
        (error: unknown) => {
          closedEarly ??= error ?? null;
          onClose(error ?? undefined);
        },
      );
      client.requestCounter?.record({
        verb: 'watch',
        resource: resource.plural,
        namespace: namespace ?? '',
        name: '',
        statusCode: watchStatusCode(closedEarly),
      });
      return { stop: () => controller.abort() };
    },
  };
}

function toWatchEvent<T>(phase: string, object: unknown): WatchEvent<T> | undefined {
  if (phase === 'ERROR') {
    return {
      type: 'ERROR',
      object: isKubeStatus(object)
        ? object
        : { kind: 'Status', message: `watch error: ${JSON.stringify(object)}` },
    };
  }
  if (WATCH_EVENT_TYPES.has(phase) && typeof object === 'object' && object !== null) {
    return {
      type: phase as 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK',
      object: withoutManagedFields(object) as T,
    };
  }
  return undefined;
}

/**
 * Drops metadata.managedFields, as client-go's informer transforms do: server-side apply's
 * bookkeeping is often the largest part of an object's metadata, nothing here reads it, and
 * an update sent without it keeps the server's (the API server fills it in from the live
 * object). Caches then hold less per object.
 */
export function withoutManagedFields<T>(object: T): T {
  const metadata = (object as { metadata?: { managedFields?: unknown } }).metadata;
  if (metadata && 'managedFields' in metadata) delete metadata.managedFields;
  return object;
}

/** Status of the watch request as far as we can tell: Watch only exposes failures. */
function watchStatusCode(closedEarly: unknown): number {
  if (closedEarly === undefined || closedEarly === null) {
    return 200;
  }
  const statusCode = (closedEarly as { statusCode?: unknown }).statusCode;
  return typeof statusCode === 'number' ? statusCode : 0;
}
