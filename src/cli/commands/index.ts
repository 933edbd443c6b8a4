// The plugin's commands, one module each, registered here. To add one (e.g. `dashboard` or
// `notifications`, which build their own commander Command), add a line to the list.
import type { Command } from 'commander';
import { dashboardCommand } from '../../dashboard/command.js';
import { notificationsCommand } from '../../notifications/cli.js';
import type { CliContext } from '../context.js';
import { completeCommand, completionCommand } from './completion.js';
import { createCommand } from './create.js';
import { getCommand } from './get.js';
import { lintCommand } from './lint.js';
import { listCommand } from './list.js';
import {
  abortCommand,
  pauseCommand,
  promoteCommand,
  restartCommand,
  retryCommand,
  setCommand,
  terminateCommand,
  undoCommand,
} from './operate.js';
import { skipStepCommand } from './skip-step.js';
import { statusCommand } from './status.js';
import { versionCommand } from './version.js';

export type CommandFactory = (context: CliContext) => Command;

export const PLUGIN_COMMANDS: readonly CommandFactory[] = [
  abortCommand,
  completionCommand,
  createCommand,
  () => dashboardCommand(),
  getCommand,
  lintCommand,
  listCommand,
  () => notificationsCommand(),
  pauseCommand,
  promoteCommand,
  restartCommand,
  retryCommand,
  setCommand,
  statusCommand,
  terminateCommand,
  undoCommand,
  versionCommand,
  skipStepCommand,
  completeCommand,
];
