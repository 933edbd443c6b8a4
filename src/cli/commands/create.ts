// `create -f FILE... [-w]` and `create analysisrun --from[-file] T [-a NAME=VALUE]...`:
// creates Argo kinds from files (JSON or YAML, unknown kinds refused) as Argo's plugin does.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse } from 'yaml';
import {
  ANALYSIS_RUN_KIND,
  ANALYSIS_TEMPLATE_KIND,
  apiResourceOf,
  CLUSTER_ANALYSIS_TEMPLATE_KIND,
  EXPERIMENT_KIND,
  ROLLOUT_KIND,
} from '../../api/kinds.js';
import { INSTANCE_ID_LABEL } from '../../api/labels.js';
import type { KubeObject } from '../../kube/object.js';
import { createObject } from '../../kube/patch.js';
import type { CliContext } from '../context.js';
import { fetchExperimentInfo, fetchRolloutInfo } from '../fetch.js';
import { renderExperiment, renderRollout } from '../render.js';
import { drawLoop, noColor } from './get.js';

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const KINDS = [
  ROLLOUT_KIND,
  EXPERIMENT_KIND,
  ANALYSIS_TEMPLATE_KIND,
  CLUSTER_ANALYSIS_TEMPLATE_KIND,
  ANALYSIS_RUN_KIND,
];

export function readObject(path: string): KubeObject & Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  if (text.length > MAX_FILE_BYTES) throw new Error(`${path}: larger than 4 MiB`);
  const value: unknown = text.trimStart().startsWith('{') ? JSON.parse(text) : parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${path}: not a Kubernetes object`);
  }
  return value as KubeObject & Record<string, unknown>;
}

function kindOf(object: KubeObject) {
  const group = (object.apiVersion ?? '').split('/')[0] ?? '';
  const kind = KINDS.find((k) => k.group === group && k.kind === object.kind);
  if (!kind) throw new Error(`creates of ${group}/${object.kind ?? ''} unsupported`);
  return kind;
}

export function createCommand(context: CliContext): Command {
  const create = new Command('create')
    .description(
      'Create a Rollout, Experiment, AnalysisTemplate, ClusterAnalysisTemplate, or AnalysisRun resource',
    )
    .option(
      '-f, --filename <file>',
      'Files to use to create the resource',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('-w, --watch', 'Watch live updates to the resource after creating')
    .option('--no-color', 'Do not colorize output')
    .action(async (flags: { filename: string[]; watch?: boolean; color: boolean }) => {
      if (flags.filename.length === 0) {
        create.help({ error: true });
      }
      if (flags.filename.length > 1 && flags.watch) throw new Error('Cannot watch multiple resources');
      const { client, namespace } = context.cluster();
      const created: { kind: string; name: string }[] = [];
      for (const file of flags.filename) {
        const object = readObject(file);
        const kind = kindOf(object);
        const resource = apiResourceOf(kind);
        const ns = kind.scope === 'Namespaced' ? (object.metadata?.namespace ?? namespace) : undefined;
        const result = await createObject(client, resource, {
          ...object,
          metadata: { ...object.metadata, namespace: ns },
        });
        const name = result?.metadata?.name ?? object.metadata?.name ?? '';
        context.out.write(`${kind.kind.toLowerCase()}.${kind.group}/${name} created\n`);
        created.push({ kind: kind.kind, name });
      }
      if (!flags.watch) return;
      const [first] = created;
      const options = () => ({ noColor: noColor(flags), now: context.now() });
      if (first?.kind === 'Rollout') {
        await drawLoop(context, { watch: true }, async () =>
          renderRollout((await fetchRolloutInfo(client, namespace, first.name)).info, options()),
        );
      } else if (first?.kind === 'Experiment') {
        await drawLoop(context, { watch: true }, async () =>
          renderExperiment(await fetchExperimentInfo(client, namespace, first.name), options()),
        );
      } else {
        throw new Error('Can only watch resources of type Rollout or Experiment');
      }
    });
  create
    .command('analysisrun')
    .alias('ar')
    .description('Create an AnalysisRun from an AnalysisTemplate or a ClusterAnalysisTemplate')
    .option('--name <name>', 'Use the specified name for the run')
    .option('--generate-name <prefix>', 'Use the specified generateName for the run')
    .option('--instance-id <id>', 'Instance-ID for the AnalysisRun')
    .option(
      '-a, --argument <NAME=VALUE>',
      'Arguments to the parameter template',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      '--from <template>',
      'Create an AnalysisRun from an AnalysisTemplate or ClusterAnalysisTemplate in the cluster',
    )
    .option(
      '--from-file <file>',
      'Create an AnalysisRun from an AnalysisTemplate or ClusterAnalysisTemplate in a local file',
    )
    .option('--global', 'Use a ClusterAnalysisTemplate instead of a AnalysisTemplate')
    .action(
      async (flags: {
        name?: string;
        generateName?: string;
        instanceId?: string;
        argument: string[];
        from?: string;
        fromFile?: string;
        global?: boolean;
      }) => {
        if ((flags.from ? 1 : 0) + (flags.fromFile ? 1 : 0) !== 1) {
          throw new Error('one of --from or --from-file must be specified');
        }
        const args = flags.argument.map((text) => {
          const at = text.indexOf('=');
          if (at < 0) throw new Error('arguments must be in the form NAME=VALUE');
          return { name: text.slice(0, at), value: text.slice(at + 1) };
        });
        const { client, namespace } = context.cluster();
        const templateKind = flags.global ? CLUSTER_ANALYSIS_TEMPLATE_KIND : ANALYSIS_TEMPLATE_KIND;
        const template = flags.from
          ? await client.get<KubeObject & { spec?: Record<string, unknown> }>(
              apiResourceOf(templateKind),
              flags.global ? undefined : namespace,
              flags.from,
            )
          : (readObject(flags.fromFile ?? '') as KubeObject & { spec?: Record<string, unknown> });
        const generateName = flags.name
          ? undefined
          : (flags.generateName ?? `${template.metadata?.name ?? ''}-`);
        if (!flags.name && generateName === '-') throw new Error('name is invalid');
        const run = analysisRunFrom(template, args, {
          name: flags.name,
          generateName,
          namespace,
          instanceId: flags.instanceId,
        });
        const result = await createObject(client, apiResourceOf(ANALYSIS_RUN_KIND), run);
        context.out.write(`analysisrun.argoproj.io/${result?.metadata?.name ?? flags.name ?? ''} created\n`);
      },
    );
  return create;
}

interface Arg {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** Argo's NewAnalysisRunFromUnstructured + MergeArgs: the template's spec, args filled in. */
export function analysisRunFrom(
  template: KubeObject & { spec?: Record<string, unknown> },
  given: readonly Arg[],
  meta: { name?: string; generateName?: string; namespace: string; instanceId?: string },
): KubeObject & { spec: Record<string, unknown> } {
  const declared = template.spec?.args as Arg[] | undefined;
  let args: Arg[] = [...given];
  if (declared) {
    args = declared.map((arg) => {
      const override = given.find((g) => g.name === arg.name && g.value !== undefined);
      return override ? { ...arg, value: override.value, valueFrom: undefined } : { ...arg };
    });
    for (const arg of args) {
      if (arg.value === undefined && arg.valueFrom === undefined)
        throw new Error(`args.${arg.name} was not resolved`);
    }
  }
  const spec: Record<string, unknown> = { ...(template.spec ?? {}) };
  if (args.length > 0) spec.args = args.map((a) => JSON.parse(JSON.stringify(a)));
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: {
      ...(meta.name ? { name: meta.name } : {}),
      ...(meta.generateName ? { generateName: meta.generateName } : {}),
      namespace: meta.namespace,
      ...(meta.instanceId ? { labels: { [INSTANCE_ID_LABEL]: meta.instanceId } } : {}),
    },
    spec,
  };
}
