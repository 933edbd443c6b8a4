#!/usr/bin/env node
// `kubectl slipway ...`: the kubectl plugin. Operations send the same patches as Argo CD's
// actions and the Argo Rollouts plugin (src/cli/rollout-operations.ts).
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { apiResourceOf, ROLLOUT_KIND } from '../api/kinds.js';
import type { Rollout } from '../api/rollout.js';
import { patchesFor, type RolloutOperation, undoTemplate } from '../cli/rollout-operations.js';
import { dashboardCommand } from '../dashboard/command.js';
import { loadKubeConfig } from '../kube/config.js';
import type { KubeObject } from '../kube/object.js';
import { jsonPatch, mergePatch, patchStatus } from '../kube/patch.js';
import { coreResources } from '../kube/resource.js';
import { RestClient } from '../kube/rest.js';
import { packageVersion } from './version.js';

const ROLLOUTS = apiResourceOf(ROLLOUT_KIND);

interface GlobalFlags {
  kubeconfig?: string;
  namespace?: string;
}

function clientFor(flags: GlobalFlags): { client: RestClient; namespace: string } {
  const { kubeConfig } = loadKubeConfig(flags.kubeconfig ? { path: flags.kubeconfig } : {});
  const namespace =
    flags.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
  return { client: new RestClient(kubeConfig, { userAgent: 'kubectl-slipway' }), namespace };
}

async function operate(operation: RolloutOperation, name: string, flags: GlobalFlags): Promise<void> {
  const { client, namespace } = clientFor(flags);
  const rollout = await client.get<Rollout & { metadata: { name: string } }>(ROLLOUTS, namespace, name);
  const patches = patchesFor(operation, rollout, new Date());
  const target = { resource: ROLLOUTS, namespace, name };
  if (patches.object) await mergePatch(client, target, patches.object);
  if (patches.status) await patchStatus(client, target, patches.status);
  process.stdout.write(`rollout '${name}' ${describe(operation)}\n`);
}

async function undo(name: string, toRevision: number | undefined, flags: GlobalFlags): Promise<void> {
  const { client, namespace } = clientFor(flags);
  const rollout = await client.get<Rollout & { metadata: { name: string; uid?: string } }>(
    ROLLOUTS,
    namespace,
    name,
  );
  const owned = (
    await client.list<KubeObject & { spec?: Record<string, unknown> }>(coreResources.replicaSets, {
      namespace,
    })
  ).items.filter((rs) =>
    rs.metadata?.ownerReferences?.some((o) => o.kind === 'Rollout' && o.uid === rollout.metadata.uid),
  );
  const template = undoTemplate(rollout, owned, toRevision);
  await jsonPatch(client, { resource: ROLLOUTS, namespace, name }, [
    { op: 'replace', path: '/spec/template', value: template },
  ]);
  process.stdout.write(`rollout '${name}' rolled back to revision ${toRevision ?? 'previous'}\n`);
}

function describe(operation: RolloutOperation): string {
  const words: Record<RolloutOperation, string> = {
    promote: 'promoted',
    'promote-full': 'fully promoted',
    abort: 'aborted',
    retry: 'retried',
    pause: 'paused',
    restart: 'restarts',
    'skip-step': 'skipped the current step',
  };
  return words[operation];
}

export function kubectlSlipwayProgram(): Command {
  const program = new Command('kubectl-slipway')
    .description('Slipway kubectl plugin: operate Argo Rollouts compatible Rollouts')
    .version(packageVersion())
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('-n, --namespace <name>', 'namespace of the Rollout');
  const operationCommand = (name: string, operation: RolloutOperation, summary: string) =>
    program
      .command(`${name} <rollout>`)
      .description(summary)
      .action(async (rollout: string) => operate(operation, rollout, program.opts<GlobalFlags>()));
  program
    .command('promote <rollout>')
    .description('resume a paused rollout, or with --full skip all remaining steps and analysis')
    .option('--full', 'promote to 100% now', false)
    .action(async (rollout: string, opts: { full: boolean }) =>
      operate(opts.full ? 'promote-full' : 'promote', rollout, program.opts<GlobalFlags>()),
    );
  operationCommand('abort', 'abort', 'abort the update: back to the stable version');
  operationCommand('retry', 'retry', 'retry an aborted update');
  operationCommand('pause', 'pause', 'pause the rollout (spec.paused)');
  operationCommand('restart', 'restart', 'restart all pods of the rollout');
  operationCommand('skip-step', 'skip-step', 'skip the current step');
  program
    .command('undo <rollout>')
    .description("roll back to an earlier revision's pod template (default: the previous revision)")
    .option('--to-revision <n>', 'the revision to go back to', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new InvalidArgumentError(`must be a revision number >= 1, got '${v}'`);
      return n;
    })
    .action(async (rollout: string, opts: { toRevision?: number }) =>
      undo(rollout, opts.toRevision, program.opts<GlobalFlags>()),
    );
  program.addCommand(dashboardCommand());
  return program;
}

try {
  await kubectlSlipwayProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`kubectl-slipway: ${(error as Error).message}\n`);
  process.exit(1);
}
