// A PromotionPipeline's rollback rewrites a file an ImageWatch writes (the first environment's,
// typically): the watch's write entry there still says it put the failed image in, so with
// spec.manualChanges respect the rollback would count as a person's change and the image, once
// its hold is released, would never be written again. The rollback is Slipway's own decision:
// the repository plan sees such a write as superseded, so the watch writes the image again when
// it is its candidate (the hold keeps it out until a person releases it).
import type { ImageWatch } from '../../api/gitsync.js';
import type { PromotionPipeline } from '../../api/promotion.js';

/** The watches as the repository plan should see them: without writes a pipeline rolled back since. */
export function withoutRolledBackWrites(
  watches: readonly ImageWatch[],
  pipelinesIn: (namespace: string) => readonly PromotionPipeline[],
): ImageWatch[] {
  return watches.map((watch) => {
    const writes = watch.status?.writes;
    if (writes === undefined || writes.length === 0) return watch;
    const rollbacks = rollbacksIn(pipelinesIn(watch.metadata.namespace));
    if (rollbacks.length === 0) return watch;
    const kept = writes.filter(
      (w) =>
        w.image === undefined ||
        w.updatedAt === undefined ||
        !rollbacks.some(
          (r) =>
            r.gitTarget === w.gitTarget &&
            r.path === w.path &&
            r.from === w.image &&
            // Times have one-second resolution; a rollback always follows the write it undoes.
            Date.parse(r.at) >= Date.parse(w.updatedAt!),
        ),
    );
    return kept.length === writes.length ? watch : { ...watch, status: { ...watch.status, writes: kept } };
  });
}

interface Rollback {
  readonly gitTarget: string;
  readonly path: string;
  /** The image the rollback took out of the file. */
  readonly from: string;
  readonly at: string;
}

function rollbacksIn(pipelines: readonly PromotionPipeline[]): Rollback[] {
  const out: Rollback[] = [];
  for (const pipeline of pipelines) {
    const targets = new Map(pipeline.spec.environments.map((e) => [e.name, e.target]));
    for (const record of pipeline.status?.history ?? []) {
      const target = targets.get(record.environment);
      if (record.type !== 'rollback' || record.from === undefined || target === undefined) continue;
      out.push({ gitTarget: target.gitTarget, path: target.path, from: record.from, at: record.at });
    }
  }
  return out;
}
