#!/usr/bin/env node
// The `slipway` command: one entry point for every process (controller, dev, ...). Commands
// load on demand, so `slipway controller` (whose restart is the controller's downtime) does
// not load dev's, git-sync's or the dashboard's modules.
import { Command, CommanderError } from 'commander';
import { packageVersion } from './version.js';

const COMMANDS: Record<string, () => Promise<Command>> = {
  controller: async () => (await import('./controller.js')).controllerCommand(),
  dev: async () => (await import('./dev.js')).devCommand(),
  crds: async () => (await import('./crds.js')).crdsCommand(),
  'argocd-cm': async () => (await import('./argocd-cm.js')).argocdCmCommand(),
  'git-sync': async () => (await import('./git-sync.js')).gitSyncCommand(),
  dashboard: async () => (await import('../dashboard/command.js')).dashboardCommand(),
};

/** The program with every command, or only `command` when it names one. */
export async function slipwayProgram(command?: string): Promise<Command> {
  const program = new Command('slipway')
    .description(
      'Progressive delivery for Argo CD users: Argo Rollouts compatible controller and Git write-back',
    )
    .version(packageVersion());
  const names = command !== undefined && command in COMMANDS ? [command] : Object.keys(COMMANDS);
  for (const name of names) program.addCommand(await (COMMANDS[name] as () => Promise<Command>)());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await (await slipwayProgram(argv[2])).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`slipway: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

await main(process.argv);
