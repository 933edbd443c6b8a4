// Every pending edit for one repository branch in one commit. The edits are applied to the
// remote head; when someone else pushed first, the clone is reset to the new head and the same
// edits are applied again (no rebase, no merge, never a force-push), with bounded, jittered
// retries. An edit already in place changes nothing, so a batch with nothing new makes no commit.

import { type EditJobResult, type EditRunner, sharedEditRunner } from '../editors/edit-runner.js';
import type { ValueChange } from '../editors/manifest-editor.js';
import type { EditSpec } from '../editors/registry.js';
import { DEFAULT_COMMIT_TEMPLATE, type ImageBump, renderCommitMessage } from './commit-message.js';
import type { GitWorkspace } from './workspace.js';

export interface PendingEdit {
  /** Identifies the edit in the outcome map, e.g. `shop/web#0`. */
  readonly id: string;
  readonly spec: EditSpec;
  /** The image this edit writes, for the commit message and trailers. */
  readonly image: string;
  readonly to: string;
  readonly policy: string;
  /**
   * Keep a person's change to the managed line (spec.manualChanges respect): set when this exact
   * value was written here before, so a difference now is someone else's; a line that changes
   * between push attempts (a conflicting commit edited it) counts too.
   */
  readonly respectManualChange?: boolean;
  /** We wrote this value here before (status.writes Applied): a change now is someone else's. */
  readonly writtenBefore?: boolean;
}

export type EditOutcome =
  | { readonly kind: 'changed'; readonly changes: readonly ValueChange[] }
  | { readonly kind: 'unchanged' }
  /** Someone else changed the managed line; left as they wrote it (changes say from what to what we would write). */
  | { readonly kind: 'manual'; readonly changes: readonly ValueChange[] }
  | { readonly kind: 'error'; readonly reason: string };

export interface BatchResult {
  /** The branch head once the batch is done (the pushed commit when there was one). */
  readonly head: string;
  readonly commit?: string;
  readonly outcomes: ReadonlyMap<string, EditOutcome>;
  /** Pushes that were rejected because the branch moved, then retried. */
  readonly retries: number;
}

export interface BatchOptions {
  readonly commitTemplate?: string;
  /** Push attempts in all; default 5. */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per retry up to maxRetryDelayMs, times a jitter of 0.5..1.5; default 250 ms. */
  readonly retryDelayMs?: number;
  /** Default 5 s. */
  readonly maxRetryDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** A rejected push is about to be retried. */
  readonly onRetry?: (attempt: number, reason: string) => void;
  /** Test seam: called after the commit and before the push. */
  readonly beforePush?: () => Promise<void>;
  /**
   * What earlier batches left in this branch: edits known to be in place (or kept as a person's
   * change) in files no commit touched since are not applied again. Updated by the batch.
   */
  readonly known?: KnownEdits;
}

/** An edit's identity for KnownEdits: what it writes and how, not when. */
function fingerprint(edit: PendingEdit): string {
  return JSON.stringify([edit.spec, edit.to, edit.respectManualChange === true]);
}

/**
 * Per edit id, the edit (by fingerprint) last seen in place at `head`, and whether it was ours or
 * a person's value kept. Incremental syncs: a monorepo with 500 managed files re-applies only the
 * edits that changed or whose file a commit touched, instead of reading and editing all 500.
 */
export class KnownEdits {
  head: string | undefined;
  private readonly edits = new Map<string, { fingerprint: string; outcome: EditOutcome }>();

  /** The outcome of the edit if its file is unchanged since `head` and the edit is the same. */
  recall(edit: PendingEdit, changedSinceHead: ReadonlySet<string> | undefined): EditOutcome | undefined {
    if (changedSinceHead === undefined || changedSinceHead.has(edit.spec.file)) return undefined;
    const known = this.edits.get(edit.id);
    return known?.fingerprint === fingerprint(edit) ? known.outcome : undefined;
  }

  /** After a push or a batch with nothing to do: every edit's outcome at the new head. */
  record(head: string, edits: readonly PendingEdit[], outcomes: ReadonlyMap<string, EditOutcome>): void {
    this.head = head;
    const ids = new Set(edits.map((e) => e.id));
    for (const id of this.edits.keys()) if (!ids.has(id)) this.edits.delete(id);
    for (const edit of edits) {
      const outcome = outcomes.get(edit.id);
      if (outcome === undefined || outcome.kind === 'error') this.edits.delete(edit.id);
      else
        this.edits.set(edit.id, {
          fingerprint: fingerprint(edit),
          // Changed and pushed: in place from now on.
          outcome: outcome.kind === 'changed' ? { kind: 'unchanged' } : outcome,
        });
    }
  }

  /** Forget everything (a failed sync leaves the branch in an unknown state). */
  clear(): void {
    this.head = undefined;
    this.edits.clear();
  }
}

export class PushRejectedError extends Error {
  constructor(
    message: string,
    readonly conflict: boolean,
  ) {
    super(message);
    this.name = 'PushRejectedError';
  }
}

/** Files read, edited and written at once by applyEdits. */
const FILE_CONCURRENCY = 16;

export async function pushEdits(
  workspace: GitWorkspace,
  edits: readonly PendingEdit[],
  options: BatchOptions = {},
): Promise<BatchResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const random = options.random ?? Math.random;
  const baseDelay = options.retryDelayMs ?? 250;
  // The values each edit replaced at the first attempt: a different one at a retry was written by
  // the commit we conflicted with.
  const firstFrom = new Map<string, string>();
  const isManual = (edit: PendingEdit, changes: readonly ValueChange[]) => {
    if (edit.respectManualChange !== true) return false;
    if (edit.writtenBefore === true) return true;
    const from = JSON.stringify(changes.map((c) => c.from));
    const seen = firstFrom.get(edit.id);
    if (seen === undefined) firstFrom.set(edit.id, from);
    return seen !== undefined && seen !== from;
  };
  const known = options.known;
  for (let attempt = 1; ; attempt += 1) {
    const head = await workspace.sync();
    const changedSince =
      known?.head === undefined ? undefined : await workspace.changedFiles(known.head, head);
    const recalled = new Map<string, EditOutcome>();
    for (const edit of edits) {
      const outcome = known?.recall(edit, changedSince);
      if (outcome !== undefined) recalled.set(edit.id, outcome);
    }
    const outcomes = await applyEdits(
      workspace,
      edits.filter((e) => !recalled.has(e.id)),
      undefined,
      isManual,
    );
    for (const [id, outcome] of recalled) outcomes.set(id, outcome);
    const bumps = bumpsOf(edits, outcomes);
    if (bumps.length === 0) {
      known?.record(head, edits, outcomes);
      return { head, outcomes, retries: attempt - 1 };
    }
    if (!(await workspace.hasStagedChanges())) {
      // Edits that say they changed a file but left the tree as it was: claim nothing.
      for (const [id, outcome] of outcomes) {
        if (outcome.kind === 'changed') {
          outcomes.set(id, {
            kind: 'error',
            reason: 'the edit left the repository unchanged; nothing was committed',
          });
        }
      }
      known?.record(head, edits, outcomes);
      return { head, outcomes, retries: attempt - 1 };
    }
    const message = renderCommitMessage(
      options.commitTemplate ?? DEFAULT_COMMIT_TEMPLATE,
      bumps,
      workspace.branch,
    );
    const commit = await workspace.commit(message);
    await options.beforePush?.();
    const pushed = await workspace.push();
    if (pushed.ok) {
      known?.record(commit, edits, outcomes);
      return { head: commit, commit, outcomes, retries: attempt - 1 };
    }
    if (!pushed.conflict) throw new PushRejectedError(pushed.message, false);
    if (attempt >= maxAttempts) {
      throw new PushRejectedError(
        `push to ${workspace.branch} was rejected ${attempt} times because the branch kept moving; will retry on the next sync`,
        true,
      );
    }
    options.onRetry?.(attempt, pushed.message);
    const delay = Math.min(baseDelay * 2 ** (attempt - 1), options.maxRetryDelayMs ?? 5000);
    await sleep(Math.round(delay * (0.5 + random())));
  }
}

/** Applies the edits file by file (several edits of one file apply in order to the same text). */
export async function applyEdits(
  workspace: GitWorkspace,
  edits: readonly PendingEdit[],
  runner: EditRunner = sharedEditRunner(),
  isManual: (edit: PendingEdit, changes: readonly ValueChange[]) => boolean = () => false,
): Promise<Map<string, EditOutcome>> {
  const outcomes = new Map<string, EditOutcome>();
  const byFile = new Map<string, PendingEdit[]>();
  for (const edit of edits) {
    const list = byFile.get(edit.spec.file) ?? [];
    list.push(edit);
    byFile.set(edit.spec.file, list);
  }
  // Files are independent: their reads, edits (queued to the one worker) and writes overlap,
  // so a batch of 500 files is not 500 round trips in a row.
  const applyFile = async ([file, fileEdits]: [string, PendingEdit[]]): Promise<void> => {
    let original: string | null;
    try {
      original = await workspace.readFile(file);
    } catch (error) {
      // The message names the file and the reason (link, size, binary), never its content.
      for (const edit of fileEdits)
        outcomes.set(edit.id, { kind: 'error', reason: (error as Error).message });
      return;
    }
    let applied: EditJobResult;
    let kept = fileEdits;
    try {
      applied = await runner.run(
        file,
        original,
        fileEdits.map((e) => e.spec),
      );
      // Edits over a person's change are left out: the file is edited again without them.
      const manual = fileEdits.filter((edit, i) => {
        const result = applied.results[i];
        return result?.kind === 'changed' && isManual(edit, result.changes);
      });
      if (manual.length > 0) {
        for (const edit of manual) {
          const result = applied.results[fileEdits.indexOf(edit)];
          if (result?.kind === 'changed') outcomes.set(edit.id, { kind: 'manual', changes: result.changes });
        }
        kept = fileEdits.filter((edit) => !manual.includes(edit));
        applied =
          kept.length === 0
            ? { id: applied.id, text: original, results: [] }
            : await runner.run(
                file,
                original,
                kept.map((e) => e.spec),
              );
      }
    } catch (error) {
      for (const edit of fileEdits)
        outcomes.set(edit.id, { kind: 'error', reason: (error as Error).message });
      return;
    }
    kept.forEach((edit, i) => {
      const result = applied.results[i];
      if (result === undefined || result.kind === 'error') {
        outcomes.set(edit.id, { kind: 'error', reason: result?.reason ?? `${file}: no result` });
      } else if (result.kind === 'changed') {
        outcomes.set(edit.id, { kind: 'changed', changes: result.changes });
      } else {
        outcomes.set(edit.id, { kind: 'unchanged' });
      }
    });
    const text = applied.text;
    if (text !== null && text !== original) {
      try {
        await workspace.writeFile(file, text);
      } catch (error) {
        for (const edit of kept) outcomes.set(edit.id, { kind: 'error', reason: (error as Error).message });
      }
    }
  };
  const files = [...byFile];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const entry = files[next]!;
      next += 1;
      await applyFile(entry);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILE_CONCURRENCY, files.length) }, worker));
  return outcomes;
}

/** One bump per image and target reference, with every value it replaced and every file it touched. */
export function bumpsOf(
  edits: readonly PendingEdit[],
  outcomes: ReadonlyMap<string, EditOutcome>,
): ImageBump[] {
  const bumps = new Map<
    string,
    { image: string; to: string; policy: string; from: Set<string>; files: Set<string> }
  >();
  for (const edit of edits) {
    const outcome = outcomes.get(edit.id);
    if (outcome?.kind !== 'changed') continue;
    const key = `${edit.image}\n${edit.to}`;
    const bump = bumps.get(key) ?? {
      image: edit.image,
      to: edit.to,
      policy: edit.policy,
      from: new Set(),
      files: new Set(),
    };
    for (const change of outcome.changes) if (change.from !== null) bump.from.add(change.from);
    bump.files.add(edit.spec.file);
    bumps.set(key, bump);
  }
  return [...bumps.values()]
    .sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0))
    .map((b) => ({ image: b.image, to: b.to, policy: b.policy, from: [...b.from], files: [...b.files] }));
}
