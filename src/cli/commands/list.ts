// `list rollouts|experiments [-A] [-w] [--name N] [--timestamps]`: Argo's tables; with
// --watch, a line for each Rollout whose row changed, as Argo's plugin prints them.
import { Command } from 'commander';
import { apiListWatch } from '../../kube/list-watch.js';
import type { KubeObject } from '../../kube/object.js';
import type { ApiResource } from '../../kube/resource.js';
import type { RestClient } from '../../kube/rest.js';
import { type CliContext, pause } from '../context.js';
import { EXPERIMENTS, ROLLOUTS } from '../fetch.js';
import type { ExperimentObject, RolloutObject } from '../info.js';
import {
  renderExperimentList,
  renderRolloutList,
  rolloutLine,
  rolloutListHeader,
  rolloutRow,
} from '../render.js';
import { alignColumns } from '../tabwriter.js';

interface ListFlags {
  allNamespaces?: boolean;
  watch?: boolean;
  timestamps?: boolean;
  name?: string;
}

/** Streams changes until interrupted; `onObject` sees every added or modified object. */
async function watchUntilInterrupted<T extends KubeObject>(
  context: CliContext,
  client: RestClient,
  resource: ApiResource,
  namespace: string | undefined,
  fieldSelector: string | undefined,
  resourceVersion: string,
  onObject: (object: T) => void,
): Promise<void> {
  const source = apiListWatch<T>(client, resource, { namespace, fieldSelector });
  let version = resourceVersion;
  let stopped = false;
  let current: { stop(): void } | undefined;
  const done = context.interrupted().then(() => {
    stopped = true;
    current?.stop();
  });
  while (!stopped) {
    const closed = new Promise<unknown>((resolve) => {
      source
        .watch(
          version,
          (event) => {
            if (event.type === 'ERROR') {
              resolve(new Error(event.object.message ?? 'watch error'));
              current?.stop();
            } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
              version = event.object.metadata?.resourceVersion ?? version;
              onObject(event.object);
            }
          },
          resolve,
        )
        .then((handle) => {
          current = handle;
          if (stopped) handle.stop();
        }, resolve);
    });
    const reason = await Promise.race([closed, done.then(() => undefined)]);
    if (stopped) break;
    if (reason) {
      // An error (a 410 Gone included) starts over from a fresh list, replayed through the
      // same de-duplication, so no change is missed; a plain server-side close resumes.
      if (await pause(context, 1000)) break;
      const fresh = await client.list<T>(resource, { namespace, fieldSelector });
      for (const object of fresh.items) onObject(object);
      version = fresh.resourceVersion;
    }
  }
}

export function listCommand(context: CliContext): Command {
  const list = new Command('list').usage('<rollout|experiment>').description('List rollouts or experiments');
  list
    .command('rollouts')
    .aliases(['ro', 'rollout'])
    .description('List rollouts')
    .option('--name <name>', 'Only show rollout with specified name')
    .option('-A, --all-namespaces', 'Include all namespaces')
    .option('-w, --watch', 'Watch for changes')
    .option('--timestamps', 'Print timestamps on updates')
    .action(async (flags: ListFlags) => {
      const { client, namespace } = context.cluster();
      const ns = flags.allNamespaces ? undefined : namespace;
      const fieldSelector = flags.name ? `metadata.name=${flags.name}` : undefined;
      const { items, resourceVersion } = await client.list<RolloutObject>(ROLLOUTS, {
        namespace: ns,
        fieldSelector,
      });
      const tableFlags = {
        allNamespaces: flags.allNamespaces === true,
        timestamps: flags.timestamps === true,
      };
      if (items.length === 0 && !flags.watch) {
        context.err.write('No resources found.\n');
        return;
      }
      context.out.write(renderRolloutList(items, tableFlags, context.now()));
      if (!flags.watch) return;
      const key = (ro: RolloutObject) => `${ro.metadata?.namespace}/${ro.metadata?.name}`;
      const previous = new Map(items.map((ro) => [key(ro), JSON.stringify(rolloutLine(ro))]));
      const printed = items.map((ro) => rolloutRow(rolloutLine(ro), tableFlags, context.now()));
      await watchUntilInterrupted<RolloutObject>(
        context,
        client,
        ROLLOUTS,
        ns,
        fieldSelector,
        resourceVersion,
        (ro) => {
          const line = rolloutLine(ro);
          const text = JSON.stringify(line);
          if (previous.get(key(ro)) === text) return;
          previous.set(key(ro), text);
          printed.push(rolloutRow(line, tableFlags, context.now()));
          // Aligned with what is already on screen (Go's tab writer flushes in batches too).
          const table = alignColumns(rolloutListHeader(tableFlags) + printed.join('')).split('\n');
          context.out.write(`${table[table.length - 2]}\n`);
        },
      );
    });
  list
    .command('experiments')
    .aliases(['exp', 'experiment'])
    .description('List experiments')
    .option('-A, --all-namespaces', 'Include all namespaces')
    .option('-w, --watch', 'Watch for changes')
    .action(async (flags: ListFlags) => {
      const { client, namespace } = context.cluster();
      const ns = flags.allNamespaces ? undefined : namespace;
      const { items, resourceVersion } = await client.list<ExperimentObject>(EXPERIMENTS, { namespace: ns });
      if (items.length === 0 && !flags.watch) {
        context.err.write('No resources found.\n');
        return;
      }
      const all = flags.allNamespaces === true;
      context.out.write(renderExperimentList(items, all, context.now()));
      if (!flags.watch) return;
      const shown = [...items];
      await watchUntilInterrupted<ExperimentObject>(
        context,
        client,
        EXPERIMENTS,
        ns,
        undefined,
        resourceVersion,
        (exp) => {
          const phase = (e: ExperimentObject) => `${e.status?.phase}`;
          const index = shown.findIndex(
            (e) =>
              e.metadata?.namespace === exp.metadata?.namespace && e.metadata?.name === exp.metadata?.name,
          );
          if (index >= 0 && phase(shown[index] as ExperimentObject) === phase(exp)) return;
          if (index >= 0) shown[index] = exp;
          else shown.push(exp);
          const table = renderExperimentList(
            [...shown.filter((e) => e !== exp), exp],
            all,
            context.now(),
          ).split('\n');
          context.out.write(`${table[table.length - 2]}\n`);
        },
      );
    });
  return list;
}
