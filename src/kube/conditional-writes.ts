// Optimistic concurrency for the writes of one plan to objects it read from a cache.
import { isPatchNotApplied, type KubeApiError, TestFailedError } from './api-error.js';
import type { KubeObject } from './object.js';
import { type JsonPatchOperation, jsonPatch, mergePatch, type ObjectTarget } from './patch.js';
import type { RestClient } from './rest.js';

type StringMap = Record<string, string>;
/** Values to set; null removes the key. */
type StringChanges = Record<string, string | null>;

/**
 * What a guarded write to a workload (a ReplicaSet) rests on: the metadata.generation the plan
 * saw, its annotations, and its pod template's metadata (exact at that generation, needed to
 * turn a removal into a JSON patch op only when the key is there).
 */
export interface GuardedState {
  generation: number;
  annotations?: StringMap;
  templateMetadata?: { labels?: StringMap; annotations?: StringMap };
}

/** The fields a guarded write sets (null removes a key). */
export interface GuardedChanges {
  annotations?: StringChanges;
  /** spec.replicas */
  replicas?: number;
  /** spec.template.metadata */
  templateMetadata?: { labels?: StringChanges; annotations?: StringChanges };
}

/** The state a guarded write to `object` rests on; undefined when it carries no generation. */
export function guardedStateOf(
  object:
    | (KubeObject & { spec?: { template?: { metadata?: { labels?: StringMap; annotations?: StringMap } } } })
    | undefined,
): GuardedState | undefined {
  const generation = object?.metadata?.generation;
  if (typeof generation !== 'number') return undefined;
  const template = object?.spec?.template?.metadata;
  return {
    generation,
    ...(object?.metadata?.annotations ? { annotations: object.metadata.annotations } : {}),
    ...(template ? { templateMetadata: { labels: template.labels, annotations: template.annotations } } : {}),
  };
}

/** RFC 6901: `~` and `/` in a key (e.g. rollout.argoproj.io/revision) are escaped. */
export function jsonPointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The ops that apply `changes` to the string map at `path`, which holds `current` (undefined:
 * the map is missing, so it is added whole). A removal of a key that is not there is no op
 * (JSON patch's `remove` would fail on it); `add` sets a member whether or not it exists.
 */
function mapOperations(
  path: string,
  current: StringMap | undefined,
  changes: StringChanges | undefined,
): JsonPatchOperation[] {
  if (!changes) return [];
  if (current === undefined) {
    const value = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== null));
    return Object.keys(value).length > 0 ? [{ op: 'add', path, value }] : [];
  }
  const ops: JsonPatchOperation[] = [];
  for (const [key, value] of Object.entries(changes)) {
    const member = `${path}/${jsonPointerToken(key)}`;
    if (value === null) {
      if (Object.hasOwn(current, key)) ops.push({ op: 'remove', path: member });
    } else if (current[key] !== value) {
      ops.push({ op: 'add', path: member, value });
    }
  }
  return ops;
}

/**
 * The JSON patch of a guarded write: `test` ops on what the plan rests on, then the changes.
 *
 * - metadata.generation: the API server bumps it on every change of the spec (a scale by us, by a
 *   person's `kubectl scale` or the /scale subresource, a template change) and never on a /status
 *   write. So the ReplicaSet controller's constant status writes during an update (readyReplicas,
 *   ...) no longer fail our write, as the resourceVersion precondition did, while any spec
 *   change since the plan still does. (Most of the 409s a rollout update drew came from plans
 *   made before our own last write reached the cache; OwnRolloutWrites skips those passes.) A `test` of spec.replicas is not
 *   needed: spec.replicas is part of the spec, so a different value means a different generation.
 * - metadata.annotations (when the set has any): annotations are metadata, which a generation
 *   does not cover, and the plan decides on them (revision, scale-down-deadline, ephemeral
 *   metadata); a plan made before our own last annotation write reached the cache must not act.
 *   Nobody else writes a ReplicaSet's annotations in the course of an update. A set without an
 *   annotations map gets one added whole (a JSON patch cannot test that a member is absent).
 */
export function guardedOperations(state: GuardedState, changes: GuardedChanges): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [{ op: 'test', path: '/metadata/generation', value: state.generation }];
  if (state.annotations) ops.push({ op: 'test', path: '/metadata/annotations', value: state.annotations });
  ops.push(...mapOperations('/metadata/annotations', state.annotations, changes.annotations));
  if (changes.replicas !== undefined)
    ops.push({ op: 'add', path: '/spec/replicas', value: changes.replicas });
  const template = changes.templateMetadata;
  if (template) {
    const current = state.templateMetadata;
    ops.push(
      ...mapOperations('/spec/template/metadata/labels', current?.labels, template.labels),
      ...mapOperations('/spec/template/metadata/annotations', current?.annotations, template.annotations),
    );
  }
  return ops;
}

/** The same changes as a merge patch (for a set whose generation is unknown). */
function mergePatchOf(changes: GuardedChanges): Record<string, unknown> {
  const patch: { metadata?: unknown; spec?: { replicas?: number; template?: unknown } } = {};
  if (changes.annotations) patch.metadata = { annotations: changes.annotations };
  if (changes.replicas !== undefined) patch.spec = { replicas: changes.replicas };
  if (changes.templateMetadata)
    patch.spec = { ...patch.spec, template: { metadata: changes.templateMetadata } };
  return patch;
}

/**
 * Makes the writes of one plan conditional: the first write to an object on the state the plan
 * was made from, each later one on what our own previous write to it returned. A JSON patch
 * whose `test` ops (see guardedOperations) fail is refused with 422, thrown on as a
 * TestFailedError (a ConflictError): the controller drops the pass and plans again from
 * the new state, as it does on a 409. One instance per plan; objects are keyed by name (a plan
 * writes in one namespace).
 */
export class ConditionalWrites {
  private readonly written = new Map<string, GuardedState>();

  /** `onWrite`: told of each object our writes (and creates recorded here) produced. */
  constructor(private readonly onWrite?: (name: string, answer: KubeObject) => void) {}

  /** Remembers the state our write to `name` produced, for the plan's next write to it. */
  record(name: string, answer: KubeObject | undefined): void {
    if (!answer) return;
    this.onWrite?.(name, answer);
    const state = guardedStateOf(answer);
    if (state) this.written.set(name, state);
  }

  /** The state the next write to `name` is guarded by (our own last write, else the plan's). */
  guard(name: string, planned: GuardedState | undefined): GuardedState | undefined {
    return this.written.get(name) ?? planned;
  }

  /**
   * Writes `changes` to the object, guarded by `planned` (or our own last write), and remembers
   * the answer for the next write. Without a known generation: an unconditional merge patch.
   */
  async patch<T extends KubeObject>(
    client: RestClient,
    target: ObjectTarget,
    planned: GuardedState | undefined,
    changes: GuardedChanges,
  ): Promise<T> {
    const state = this.guard(target.name, planned);
    if (!state) {
      const answer = await mergePatch<T>(client, target, mergePatchOf(changes));
      this.record(target.name, answer);
      return answer;
    }
    try {
      const answer = await jsonPatch<T>(client, target, guardedOperations(state, changes));
      this.record(target.name, answer);
      return answer;
    } catch (error) {
      // The ops after the tests are made from the tested state (a key is removed only where the
      // tested annotations, or the template of the tested generation, have it), so a patch the
      // server could not apply is one whose test failed.
      if (isPatchNotApplied(error)) {
        const { request, statusCode, status } = error as KubeApiError;
        throw new TestFailedError(
          request,
          statusCode,
          status,
          `${target.resource.kind} ${target.name} changed since the plan read it`,
        );
      }
      throw error;
    }
  }
}
