// The worker thread side of EditRunner: applies a file's edits in order, off the main thread, so
// a hostile file can exhaust only this thread's capped heap and never stall the event loop (and
// with it the Lease renewal).
import { parentPort } from 'node:worker_threads';
import type { EditJob, EditJobResult, EditOutcomeLite } from './edit-runner.js';
import { applyEdit } from './registry.js';

parentPort?.on('message', (job: EditJob) => {
  let text = job.text;
  const results: EditOutcomeLite[] = [];
  for (const spec of job.specs) {
    try {
      const result = applyEdit(text, spec);
      if (result.kind === 'changed') {
        text = result.text;
        results.push({ kind: 'changed', changes: result.changes });
      } else {
        results.push(result);
      }
    } catch (error) {
      // An editor bug or a parser limit (stack depth): name it, quote nothing from the file.
      results.push({ kind: 'error', reason: `${spec.file}: could not be edited (${(error as Error).name})` });
    }
  }
  const answer: EditJobResult = { id: job.id, text, results };
  parentPort?.postMessage(answer);
});
