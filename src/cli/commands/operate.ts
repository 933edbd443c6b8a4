// The commands that act: promote, abort, pause, restart, retry, terminate, undo, set image.
// Each sends what Argo's plugin sends (../argo-patches.ts) and prints Argo's line.
import { Command, InvalidArgumentError } from 'commander';
import { parseSecondsOrGoDuration } from '../../api/duration.js';
import { ConflictError, NotFoundError } from '../../kube/api-error.js';
import type { KubeObject } from '../../kube/object.js';
import { jsonPatch, mergePatch, updateObject } from '../../kube/patch.js';
import { type ApiResource, coreResources } from '../../kube/resource.js';
import type { RestClient } from '../../kube/rest.js';
import { StatusSubresources } from '../../kube/status-subresource.js';
import {
  ABORT_PATCH,
  PAUSE_PATCH,
  promotePatches,
  RETRY_EXPERIMENT_PATCH,
  RETRY_ROLLOUT_PATCH,
  restartPatch,
  TERMINATE_PATCH,
  templateMatches,
  undoReplicaSet,
  undoTemplate,
  withImage,
} from '../argo-patches.js';
import type { CliContext } from '../context.js';
import { ANALYSIS_RUNS, EXPERIMENTS, ROLLOUTS } from '../fetch.js';
import type { ReplicaSetObject, RolloutObject } from '../info.js';

type Target = { resource: ApiResource; namespace: string; name: string };

/** Argo's pattern for status fields: /status first, the object itself where /status is 404. */
async function patchStatusOrObject(client: RestClient, target: Target, patch: Record<string, unknown>) {
  try {
    return await mergePatch<KubeObject>(client, target, patch, { subresource: 'status' });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return mergePatch<KubeObject>(client, target, patch);
  }
}

const nameOf = (object: KubeObject, fallback: string) => object.metadata?.name ?? fallback;

export function promoteCommand(context: CliContext): Command {
  return new Command('promote')
    .argument('<ROLLOUT_NAME>')
    .description('Promote a rollout')
    .option('--full', 'Perform a full promotion, skipping analysis, pauses, and steps')
    .option('-c, --skip-current-step', 'Skip currently running canary step')
    .option('-a, --skip-all-steps', 'Skip remaining steps (use --full instead)')
    .action(
      async (name: string, flags: { full?: boolean; skipCurrentStep?: boolean; skipAllSteps?: boolean }) => {
        const { client, namespace } = context.cluster();
        const rollout = await client.get<RolloutObject>(ROLLOUTS, namespace, name);
        const patches = promotePatches(rollout, {
          full: flags.full === true,
          skipCurrentStep: flags.skipCurrentStep === true,
          skipAllSteps: flags.skipAllSteps === true,
        });
        const target = { resource: ROLLOUTS, namespace, name };
        let spec = patches.spec;
        if (patches.status) {
          try {
            await mergePatch(client, target, { status: patches.status }, { subresource: 'status' });
          } catch (error) {
            if (!(error instanceof NotFoundError)) throw error;
            spec = patches.unified;
          }
        }
        if (spec) await mergePatch(client, target, spec);
        context.out.write(`rollout '${name}' ${flags.full ? 'fully promoted' : 'promoted'}\n`);
      },
    );
}

export function abortCommand(context: CliContext): Command {
  return new Command('abort')
    .argument('<ROLLOUT_NAME...>')
    .description('Abort a rollout')
    .action(async (names: string[]) => {
      const { client, namespace } = context.cluster();
      for (const name of names) {
        const ro = await patchStatusOrObject(client, { resource: ROLLOUTS, namespace, name }, ABORT_PATCH);
        context.out.write(`rollout '${nameOf(ro, name)}' aborted\n`);
      }
    });
}

export function pauseCommand(context: CliContext): Command {
  return new Command('pause')
    .argument('<ROLLOUT_NAME...>')
    .description('Pause a rollout')
    .action(async (names: string[]) => {
      const { client, namespace } = context.cluster();
      for (const name of names) {
        const ro = await mergePatch(client, { resource: ROLLOUTS, namespace, name }, PAUSE_PATCH);
        context.out.write(`rollout '${nameOf(ro, name)}' paused\n`);
      }
    });
}

export function restartCommand(context: CliContext): Command {
  return new Command('restart')
    .argument('<ROLLOUT>')
    .description('Restart the pods of a rollout')
    .option('-i, --in <duration>', 'Amount of time before a restart. (e.g. 30s, 5m, 1h)', (value: string) => {
      try {
        parseSecondsOrGoDuration(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      return value;
    })
    .action(async (name: string, flags: { in?: string }) => {
      const { client, namespace } = context.cluster();
      const patch = restartPatch(new Date(context.now()), flags.in);
      const ro = await mergePatch(client, { resource: ROLLOUTS, namespace, name }, patch);
      context.out.write(`rollout '${nameOf(ro, name)}' restarts in ${flags.in ?? '0s'}\n`);
    });
}

export function retryCommand(context: CliContext): Command {
  const retry = new Command('retry')
    .usage('<rollout|experiment> RESOURCE_NAME')
    .description('Retry a rollout or experiment');
  retry
    .command('rollout')
    .aliases(['ro', 'rollouts'])
    .argument('<ROLLOUT_NAME...>')
    .description('Retry an aborted rollout')
    .action(async (names: string[]) => {
      const { client, namespace } = context.cluster();
      for (const name of names) {
        const ro = await patchStatusOrObject(
          client,
          { resource: ROLLOUTS, namespace, name },
          RETRY_ROLLOUT_PATCH,
        );
        context.out.write(`rollout '${nameOf(ro, name)}' retried\n`);
      }
    });
  retry
    .command('experiment')
    .aliases(['exp', 'experiments'])
    .argument('<EXPERIMENT_NAME...>')
    .description('Retry an experiment')
    .action(async (names: string[]) => {
      const { client, namespace } = context.cluster();
      // Argo sends {"status":null} to the object: right for Argo's CRD and ours, which have no
      // status subresource; an older Slipway chart's CRD has one, and ignores status there.
      const subresources = new StatusSubresources(client);
      for (const name of names) {
        const viaStatus = await subresources.has(EXPERIMENTS);
        const ex = await mergePatch<KubeObject>(
          client,
          { resource: EXPERIMENTS, namespace, name },
          RETRY_EXPERIMENT_PATCH,
          viaStatus ? { subresource: 'status' } : {},
        );
        context.out.write(`experiment '${nameOf(ex, name)}' retried\n`);
      }
    });
  return retry;
}

export function terminateCommand(context: CliContext): Command {
  const terminate = new Command('terminate')
    .usage('<analysisrun|experiment> RESOURCE_NAME')
    .description('Terminate an AnalysisRun or Experiment');
  terminate
    .command('analysisrun')
    .aliases(['ar', 'analysisruns'])
    .argument('<ANALYSISRUN_NAME...>')
    .description('Terminate an AnalysisRun')
    .action(async (names: string[]) => {
      const { client, namespace } = context.cluster();
      for (const name of names) {
        const run = await mergePatch(client, { resource: ANALYSIS_RUNS, namespace, name }, TERMINATE_PATCH);
        context.out.write(`analysisRun '${nameOf(run, name)}' terminated\n`);
      }
    });
  terminate
    .command('experiment')
    .aliases(['exp', 'experiments'])
    .argument('<EXPERIMENT_NAME...>')
    .description('Terminate an experiment')
    .action(async (names: string[]) => {
      const { client, namespace } = context.cluster();
      for (const name of names) {
        const ex = await mergePatch(client, { resource: EXPERIMENTS, namespace, name }, TERMINATE_PATCH);
        // Argo's plugin prints "retried" here (a slip); we say what happened.
        context.out.write(`experiment '${nameOf(ex, name)}' terminated\n`);
      }
    });
  return terminate;
}

function selectorQuery(rollout: RolloutObject): string | undefined {
  const labels = (rollout.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)
    ?.selector?.matchLabels;
  if (!labels) return undefined;
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

const WORKLOAD_RESOURCES: Record<string, ApiResource> = {
  Deployment: coreResources.deployments,
  ReplicaSet: coreResources.replicaSets,
  PodTemplate: { group: '', version: 'v1', plural: 'podtemplates', kind: 'PodTemplate', namespaced: true },
};

export function undoCommand(context: CliContext): Command {
  return new Command('undo')
    .argument('<ROLLOUT_NAME>')
    .description('Undo a rollout: roll back to the previous (or a given) revision')
    .option(
      '--to-revision <n>',
      'The revision to rollback to. Default to 0 (last revision).',
      (v: string) => {
        if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`must be a revision number, got '${v}'`);
        return Number(v);
      },
      0,
    )
    .action(async (name: string, flags: { toRevision: number }) => {
      const { client, namespace } = context.cluster();
      const rollout = await client.get<RolloutObject>(ROLLOUTS, namespace, name);
      const sets = await client.list<ReplicaSetObject>(coreResources.replicaSets, {
        namespace,
        labelSelector: selectorQuery(rollout),
      });
      const owned = sets.items.filter((rs) =>
        rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === rollout.metadata?.uid),
      );
      const target = undoReplicaSet(name, owned, flags.toRevision);
      if (templateMatches(rollout.spec?.template, target.spec?.template)) {
        context.out.write(
          `skipped rollback (current template already matches revision ${flags.toRevision})\n`,
        );
        return;
      }
      const patch = [{ op: 'replace' as const, path: '/spec/template', value: undoTemplate(target) }];
      const ref = rollout.spec?.workloadRef;
      if (ref) {
        const resource = WORKLOAD_RESOURCES[ref.kind ?? ''];
        if (!resource) throw new Error(`workload of type ${ref.kind} is not supported`);
        await jsonPatch(client, { resource, namespace, name: ref.name ?? '' }, patch);
      } else {
        await jsonPatch(client, { resource: ROLLOUTS, namespace, name }, patch);
      }
      context.out.write(`rollout '${name}' undo\n`);
    });
}

const SET_IMAGE_ATTEMPTS = 5;

export function setCommand(context: CliContext): Command {
  const set = new Command('set').usage('COMMAND').description('Update various values on resources');
  set
    .command('image')
    .argument('<ROLLOUT_NAME>')
    .argument('<CONTAINER=IMAGE>', "container name (init, regular or ephemeral; '*' for all) and image")
    .description('Update the image of a rollout')
    .action(async (name: string, assignment: string) => {
      const parts = assignment.split('=');
      if (parts.length !== 2) throw new InvalidArgumentError(`expected CONTAINER=IMAGE, got '${assignment}'`);
      const [container = '', image = ''] = parts;
      const { client, namespace } = context.cluster();
      for (let attempt = 1; ; attempt++) {
        try {
          const rollout = await client.get<RolloutObject & { spec?: { template?: unknown } }>(
            ROLLOUTS,
            namespace,
            name,
          );
          const ref = rollout.spec?.workloadRef;
          let updated: KubeObject;
          let kind = 'rollout';
          if (ref) {
            // Argo follows workloadRef to the Deployment, whose template the Rollout runs.
            const deployment = await client.get<
              KubeObject & { spec?: { template?: { spec?: Record<string, unknown> } } }
            >(coreResources.deployments, namespace, ref.name ?? '');
            updated = await updateObject(
              client,
              coreResources.deployments,
              withImage(deployment, container, image),
            );
            kind = 'deployment';
          } else {
            updated = await updateObject(
              client,
              ROLLOUTS,
              withImage(
                rollout as RolloutObject & { spec?: { template?: { spec?: Record<string, unknown> } } },
                container,
                image,
              ),
            );
          }
          context.out.write(`${kind} "${nameOf(updated, name)}" image updated\n`);
          return;
        } catch (error) {
          if (error instanceof ConflictError && attempt < SET_IMAGE_ATTEMPTS) continue;
          throw error;
        }
      }
    });
  return set;
}
