// Optimistic concurrency for the writes of one plan to objects it read from a cache.
import type { KubeObject } from './object.js';
import { mergePatch, type ObjectTarget, type PatchOptions } from './patch.js';
import type { RestClient } from './rest.js';

/**
 * Makes the writes of one plan conditional: the first write to an object on the
 * resourceVersion the plan was made from, each later one on what our own previous write to it
 * returned. An object someone else changed meanwhile (the ReplicaSet controller's status, a
 * person's scale) answers 409, and the controller requeues to plan again from the new state,
 * as Argo's Update of its informer copy does. One instance per plan; objects are keyed by name
 * (a plan writes in one namespace).
 */
export class ConditionalWrites {
  private readonly written = new Map<string, string>();

  /** The patch options that make a write to `name` conditional (none if no version is known). */
  guard(name: string, planned: string | undefined): PatchOptions {
    const resourceVersion = this.written.get(name) ?? planned;
    return resourceVersion ? { resourceVersion } : {};
  }

  /** Remembers the version our write to `name` produced, for the plan's next write to it. */
  record(name: string, answer: KubeObject | undefined): void {
    const resourceVersion = answer?.metadata?.resourceVersion;
    if (resourceVersion) this.written.set(name, resourceVersion);
  }

  /** A merge patch guarded by `planned` (or our own last write), remembered for the next one. */
  async mergePatch<T extends KubeObject>(
    client: RestClient,
    target: ObjectTarget,
    planned: string | undefined,
    patch: Record<string, unknown>,
  ): Promise<T> {
    const answer = await mergePatch<T>(client, target, patch, this.guard(target.name, planned));
    this.record(target.name, answer);
    return answer;
  }
}
