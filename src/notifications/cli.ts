// `kubectl slipway notifications ...`, as the Argo Rollouts plugin's `notifications` command
// (notifications-engine pkg/cmd): `template get`, `template notify` (render for a real Rollout
// and print it, or send it with --recipient service:recipient) and `trigger get` / `trigger run`.
// The configuration comes from the cluster, or from files with --config-map / --secret.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { apiResourceOf, ROLLOUT_KIND } from '../api/kinds.js';
import { NotFoundError } from '../kube/api-error.js';
import { loadKubeConfig } from '../kube/config.js';
import type { KubeObject } from '../kube/object.js';
import { coreResources } from '../kube/resource.js';
import { RestClient } from '../kube/rest.js';
import {
  decodeSecretData,
  NOTIFICATION_CONFIGMAP,
  NOTIFICATION_SECRET,
  type NotificationConfig,
  parseNotificationConfig,
} from './config.js';
import type { NotifiedObject } from './notifier.js';
import { renderNotification } from './render.js';
import { createService } from './services/registry.js';
import { runTrigger } from './triggers.js';

interface Flags {
  kubeconfig?: string;
  namespace?: string;
  configMap?: string;
  secret?: string;
  output?: string;
  recipient?: string[];
}

/** How the commands reach the cluster; tests replace it. */
export interface NotificationsCliDeps {
  getObject(
    kind: 'ConfigMap' | 'Secret' | 'Rollout',
    namespace: string | undefined,
    name: string,
    flags: Flags,
  ): Promise<KubeObject | undefined>;
  namespace(flags: Flags): string;
  stdout(text: string): void;
  stderr(text: string): void;
}

function clusterDeps(): NotificationsCliDeps {
  let client: RestClient | undefined;
  const connect = (flags: Flags) => {
    const { kubeConfig } = loadKubeConfig(flags.kubeconfig ? { path: flags.kubeconfig } : {});
    client ??= new RestClient(kubeConfig, { userAgent: 'kubectl-slipway' });
    return { client, kubeConfig };
  };
  return {
    namespace(flags) {
      if (flags.namespace) return flags.namespace;
      const { kubeConfig } = connect(flags);
      return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
    },
    async getObject(kind, namespace, name, flags) {
      const resource =
        kind === 'ConfigMap'
          ? coreResources.configMaps
          : kind === 'Secret'
            ? coreResources.secrets
            : apiResourceOf(ROLLOUT_KIND);
      try {
        return await connect(flags).client.get<KubeObject>(resource, namespace, name);
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
}

function readManifest(
  path: string,
): KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> } {
  return parseYaml(readFileSync(path, 'utf8')) as KubeObject & { data?: Record<string, string> };
}

async function loadConfig(deps: NotificationsCliDeps, flags: Flags): Promise<NotificationConfig> {
  const namespace = deps.namespace(flags);
  const configMap = flags.configMap
    ? readManifest(flags.configMap)
    : ((await deps.getObject('ConfigMap', namespace, NOTIFICATION_CONFIGMAP, flags)) as
        | { data?: Record<string, string> }
        | undefined);
  let secretData: Record<string, string> = {};
  if (flags.secret === ':empty') secretData = {};
  else if (flags.secret) secretData = decodeSecretData(readManifest(flags.secret));
  else
    secretData = decodeSecretData(
      (await deps.getObject('Secret', namespace, NOTIFICATION_SECRET, flags)) as {
        data?: Record<string, string>;
      },
    );
  const config = parseNotificationConfig(configMap?.data, secretData, { namespace });
  for (const problem of config.problems) deps.stderr(`warning: ${NOTIFICATION_CONFIGMAP}: ${problem}\n`);
  return config;
}

/** Columns padded like Go's tabwriter(minwidth 5, padding 2). */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 5, cell.length + 2);
  }
  return `${rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(''))
    .join('\n')}\n`;
}

function preview(template: object): string {
  const message = (template as { message?: string }).message;
  return (message || JSON.stringify(template)).split('\n')[0] ?? '';
}

function print(
  deps: NotificationsCliDeps,
  output: string,
  items: Record<string, unknown>,
  wide: () => string,
): void {
  switch (output) {
    case 'wide':
    case '':
      deps.stdout(wide());
      return;
    case 'name':
      deps.stdout(
        Object.keys(items)
          .sort()
          .map((n) => `${n}\n`)
          .join(''),
      );
      return;
    case 'json':
      deps.stdout(`${JSON.stringify(items, null, 2)}\n`);
      return;
    case 'yaml':
      deps.stdout(toYaml(items));
      return;
    default:
      throw new Error(`unknown output format '${output}'; one of json|yaml|wide|name`);
  }
}

async function loadRollout(deps: NotificationsCliDeps, flags: Flags, name: string): Promise<NotifiedObject> {
  const rollout = await deps.getObject('Rollout', deps.namespace(flags), name, flags);
  if (!rollout) throw new Error(`failed to load resource: rollouts.argoproj.io "${name}" not found`);
  return { ...rollout, apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' } as NotifiedObject;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function notificationsCommand(deps: NotificationsCliDeps = clusterDeps()): Command {
  const command = new Command('notifications')
    .description('Set of CLI commands that helps manage notifications settings')
    .option('--config-map <path>', `${NOTIFICATION_CONFIGMAP}.yaml file path`)
    .option(
      '--secret <path>',
      `${NOTIFICATION_SECRET}.yaml file path. Use empty secret if provided value is ':empty'`,
    );
  const flagsOf = (cmd: Command) => cmd.optsWithGlobals<Flags>();

  const template = command.command('template').description('Notification templates related commands');
  template
    .command('get [name]')
    .description('Prints information about configured templates')
    .option('-o, --output <format>', 'Output format. One of:json|yaml|wide|name', 'wide')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const flags = flagsOf(cmd);
      const config = await loadConfig(deps, flags);
      const items = Object.fromEntries(
        [...config.templates].filter(([n]) => !name || n === name).sort(([a], [b]) => a.localeCompare(b)),
      );
      print(deps, flags.output ?? 'wide', items, () =>
        table([['NAME', 'PREVIEW'], ...Object.entries(items).map(([n, t]) => [n, preview(t)])]),
      );
    });
  template
    .command('notify <name> <rollout>')
    .description('Generates notification using the specified template and send it to specified recipients')
    .option('--recipient <service:recipient>', 'List of recipients (default console:stdout)', collect)
    .action(async (name: string, rolloutName: string, _opts: unknown, cmd: Command) => {
      const flags = flagsOf(cmd);
      const config = await loadConfig(deps, flags);
      const rollout = await loadRollout(deps, flags, rolloutName);
      const notification = renderNotification(config.templates, [name], { rollout, secrets: config.secrets });
      for (const recipient of flags.recipient ?? ['console:stdout']) {
        const [service = '', ...rest] = recipient.split(':');
        if (service === 'console') {
          deps.stdout(toYaml(notification));
          continue;
        }
        const serviceConfig = config.services.get(service);
        if (!serviceConfig)
          throw new Error(
            `failed to notify '${recipient}': notification service '${service}' is not supported`,
          );
        await createService(serviceConfig).send(notification, { service, recipient: rest.join(':') });
      }
    });

  const trigger = command.command('trigger').description('Notification triggers related commands');
  trigger
    .command('get [name]')
    .description('Prints information about configured triggers')
    .option('-o, --output <format>', 'Output format. One of:json|yaml|wide|name', 'wide')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const flags = flagsOf(cmd);
      const config = await loadConfig(deps, flags);
      const items = Object.fromEntries(
        [...config.triggers].filter(([n]) => !name || n === name).sort(([a], [b]) => a.localeCompare(b)),
      );
      print(deps, flags.output ?? 'wide', items, () =>
        table([
          ['NAME', 'TEMPLATE', 'CONDITION'],
          ...Object.entries(items).flatMap(([n, conditions]) =>
            conditions.map((c) => [n, c.send.join(', '), c.when ?? '']),
          ),
        ]),
      );
    });
  trigger
    .command('run <name> <rollout>')
    .description('Evaluates specified trigger condition and prints the result')
    .action(async (name: string, rolloutName: string, _opts: unknown, cmd: Command) => {
      const flags = flagsOf(cmd);
      const config = await loadConfig(deps, flags);
      const conditions = config.triggers.get(name);
      if (!conditions)
        throw new Error(
          `trigger with name '${name}' does not exist (found ${[...config.triggers.keys()].join(', ')})`,
        );
      const rollout = await loadRollout(deps, flags, rolloutName);
      const results = runTrigger(conditions, { rollout, secrets: config.secrets });
      deps.stdout(
        table([
          ['CONDITION', 'RESULT'],
          ...results.map((r, i) => [conditions[i]?.when ?? '', String(r.triggered)]),
        ]),
      );
      for (const r of results) if (r.error) deps.stderr(`${r.error}\n`);
    });
  return command;
}
