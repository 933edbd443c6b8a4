#!/usr/bin/env node
// The `slipway` command: one entry point for every process (controller, dev, ...).
import { Command, CommanderError } from 'commander';
import { dashboardCommand } from '../dashboard/command.js';
import { argocdCmCommand } from './argocd-cm.js';
import { controllerCommand } from './controller.js';
import { crdsCommand } from './crds.js';
import { devCommand } from './dev.js';
import { gitSyncCommand } from './git-sync.js';
import { packageVersion } from './version.js';

export function slipwayProgram(): Command {
  return new Command('slipway')
    .description(
      'Progressive delivery for Argo CD users: Argo Rollouts compatible controller and Git write-back',
    )
    .version(packageVersion())
    .addCommand(controllerCommand())
    .addCommand(devCommand())
    .addCommand(crdsCommand())
    .addCommand(argocdCmCommand())
    .addCommand(gitSyncCommand())
    .addCommand(dashboardCommand());
}

export async function main(argv: string[]): Promise<void> {
  try {
    await slipwayProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`slipway: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

await main(process.argv);
