// Runs manifest edits in a worker thread with a capped heap and a deadline. YAML parsing of an
// attacker-written file is the costly part of a sync (53 MB took 29 s of CPU; 1 M list items took
// 2 GB): in the worker, the worst a file can do is fail its own edit. The worker is long-lived
// (started on first use, unref'd) and replaced after it runs out of memory or time.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EditResult, ValueChange } from './manifest-editor.js';
import type { EditSpec } from './registry.js';

export type EditOutcomeLite =
  | { readonly kind: 'changed'; readonly changes: readonly ValueChange[] }
  | Exclude<EditResult, { kind: 'changed' }>;

export interface EditJob {
  readonly id: number;
  readonly text: string | null;
  readonly specs: readonly EditSpec[];
}

export interface EditJobResult {
  readonly id: number;
  /** The file's text after every edit that applied. */
  readonly text: string | null;
  readonly results: readonly EditOutcomeLite[];
}

export interface EditLimits {
  /** Old-generation heap of the worker; default 256 MiB (the chart gives the pod 1 GiB). */
  readonly maxHeapMb?: number;
  /** One file's edits must finish within this; default 20 s. */
  readonly timeoutMs?: number;
}

export const DEFAULT_EDIT_HEAP_MB = 256;
export const DEFAULT_EDIT_TIMEOUT_MS = 20_000;

export class EditRunner {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  private readonly maxHeapMb: number;
  private readonly timeoutMs: number;

  constructor(limits: EditLimits = {}) {
    this.maxHeapMb = limits.maxHeapMb ?? DEFAULT_EDIT_HEAP_MB;
    this.timeoutMs = limits.timeoutMs ?? DEFAULT_EDIT_TIMEOUT_MS;
  }

  /** Applies `specs` in order to one file's text; jobs run one at a time. */
  run(file: string, text: string | null, specs: readonly EditSpec[]): Promise<EditJobResult> {
    const job = this.queue.then(() => this.runNow(file, text, specs));
    this.queue = job.catch(() => undefined);
    return job;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private runNow(file: string, text: string | null, specs: readonly EditSpec[]): Promise<EditJobResult> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<EditJobResult>((resolve, reject) => {
      const finish = (error?: Error, result?: EditJobResult) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (error !== undefined) reject(error);
        else resolve(result as EditJobResult);
      };
      const discard = () => {
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
      };
      const onMessage = (message: EditJobResult) => {
        if (message.id === id) finish(undefined, message);
      };
      const onError = (error: Error & { code?: string }) => {
        discard();
        finish(
          new Error(
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `${file}: parsing it needed more than ${this.maxHeapMb} MiB; the file is too large or complex to edit`
              : `${file}: the editor stopped (${error.code ?? error.name})`,
          ),
        );
      };
      const onExit = () => {
        if (this.worker === worker) this.worker = undefined;
        finish(new Error(`${file}: the editor stopped before it finished`));
      };
      const timer = setTimeout(() => {
        discard();
        finish(new Error(`${file}: editing took longer than ${this.timeoutMs / 1000} s and was stopped`));
      }, this.timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, text, specs } satisfies EditJob);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(bootstrap(), {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 32 },
    });
    // Idle, it must not keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/**
 * The worker's entry: the built edit-worker.js, or under tsx (tests, `slipway` run from source)
 * the .ts file with tsx's loader registered inside the worker (workers do not inherit it).
 */
function bootstrap(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./edit-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  if (!fromSource) return `import(${JSON.stringify(entry)});`;
  // createRequire resolves the CommonJS entry; the ESM one sits beside it.
  const api = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const apiUrl = pathToFileURL(api).href;
  return `import(${JSON.stringify(apiUrl)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
}

let shared: EditRunner | undefined;

/** The process-wide runner (one worker serves every repository sync). */
export function sharedEditRunner(): EditRunner {
  shared ??= new EditRunner();
  return shared;
}
