#!/usr/bin/env node
// `kubectl slipway ...`: the kubectl plugin, with the command set, flags, output and exit codes
// of `kubectl argo rollouts` (v1.10.2), so habits and scripts carry over. Commands live in
// src/cli/commands, one module each, registered in src/cli/commands/index.ts.
import { Command, CommanderError } from 'commander';
import { PLUGIN_COMMANDS } from '../cli/commands/index.js';
import { type CliContext, processContext } from '../cli/context.js';
import { KubeApiError } from '../kube/api-error.js';
import { packageVersion } from './version.js';

export function kubectlSlipwayProgram(context?: CliContext): Command {
  const program = new Command('kubectl-slipway')
    .usage('COMMAND')
    .description(
      'Manage Argo Rollouts compatible Rollouts with Slipway (the commands of `kubectl argo rollouts`)',
    )
    .version(packageVersion(), '--plugin-version', 'print the plugin version')
    .option('--kubeconfig <path>', 'Path to the kubeconfig file to use for CLI requests')
    .option('--context <name>', 'The name of the kubeconfig context to use')
    .option('-n, --namespace <name>', 'If present, the namespace scope for this CLI request')
    .showHelpAfterError()
    .enablePositionalOptions(false);
  const ctx = context ?? processContext(() => program);
  for (const factory of PLUGIN_COMMANDS) {
    const command = factory(ctx);
    program.addCommand(command, { hidden: command.name().startsWith('__') });
  }
  return program;
}

/** Argo's `--watch=false` style for boolean flags, which commander spells `--no-watch`. */
export function normalizeArgs(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    const m = /^--([a-z][a-z-]*)=(true|false)$/.exec(arg);
    if (!m) return arg;
    return m[2] === 'true' ? `--${m[1]}` : `--no-${m[1]}`;
  });
}

/** Errors as cobra prints them (`Error: ...`, exit 1); API errors by their Status message. */
export function errorMessage(error: unknown): string {
  if (error instanceof KubeApiError && error.status?.message) return error.status.message;
  return (error as Error).message;
}

if (process.argv[1] && /kubectl-slipway(\.js|\.ts)?$/.test(process.argv[1])) {
  try {
    await kubectlSlipwayProgram().parseAsync(normalizeArgs(process.argv));
    process.exit(0);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 1);
    process.stderr.write(`Error: ${errorMessage(error)}\n`);
    process.exit(1);
  }
}
