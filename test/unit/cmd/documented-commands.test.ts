// Say only what exists: every command and flag the README's command summaries show parses with
// the real command tree, and `slipway controller --help` names the controllers it runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { argocdCmCommand } from '../../../src/cmd/argocd-cm.js';
import { controllerCommand } from '../../../src/cmd/controller.js';
import { crdsCommand } from '../../../src/cmd/crds.js';
import { devCommand } from '../../../src/cmd/dev.js';
import { gitSyncCommand } from '../../../src/cmd/git-sync.js';
import { dashboardCommand } from '../../../src/dashboard/command.js';
import { PACKAGE_ROOT } from '../../../src/package-paths.js';
import { CONTROLLERS } from '../../../src/process/controllers.js';
import { pluginProgram } from '../cli/plugin-program.js';

// cmd/slipway.ts runs its program when imported, so its commands are assembled here.
const slipway = new Command('slipway');
for (const command of [
  controllerCommand(),
  devCommand(),
  crdsCommand(),
  argocdCmCommand(),
  gitSyncCommand(),
  dashboardCommand(),
])
  slipway.addCommand(command);

const plugin = pluginProgram();

/** The lines of the first fenced block after `heading`, continuation lines joined. */
function commandBlock(readme: string, heading: string): string[] {
  const start = readme.indexOf(heading);
  expect(start, `README has "${heading}"`).toBeGreaterThanOrEqual(0);
  const open = readme.indexOf('```\n', start) + 4;
  const lines: string[] = [];
  for (const line of readme.slice(open, readme.indexOf('```', open)).split('\n')) {
    if (/^\s/.test(line) && lines.length > 0) lines[lines.length - 1] += ` ${line.trim()}`;
    else if (line.trim() !== '') lines.push(line);
  }
  return lines;
}

const sub = (command: Command, name: string) =>
  command.commands.find((c) => c.name() === name || c.aliases().includes(name));

function knows(command: Command | null, flag: string): boolean {
  for (let c = command; c !== null; c = c.parent) {
    if (c.options.some((o) => o.long === flag || o.short === flag)) return true;
  }
  return flag === '--help' || flag === '-h';
}

/** `a [--x | --y] | b` → `a [--x | --y]`, `b`: only bars outside brackets separate commands. */
function topLevelAlternatives(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '[') depth += 1;
    else if (text[i] === ']') depth -= 1;
    else if (depth === 0 && text.startsWith(' | ', i)) {
      parts.push(text.slice(start, i));
      start = i + 3;
    }
  }
  return [...parts, text.slice(start)];
}

/** What in one summary line does not exist, e.g. `slipway controller --no-such-flag`. */
function unknownParts(line: string): string[] {
  const text = line.split(/\s#\s/)[0] as string;
  const root = text.startsWith('kubectl slipway ') ? plugin : slipway;
  const rest = text.replace(/^(kubectl )?slipway /, '');
  const problems: string[] = [];
  let previous: Command = root;
  for (const alternative of topLevelAlternatives(rest)) {
    const words = alternative.trim().split(/\s+/);
    // `abort | pause NAME`, `template get | template notify`: a sibling of what came before.
    let base: Command | null = previous.parent ?? root;
    while (base !== null && sub(base, words[0] as string) === undefined) base = base.parent;
    let command: Command = base ?? root;
    for (const word of words) {
      if (!/^[a-z][a-z-|]*$/.test(word)) break;
      const choices = word.split('|');
      if (choices.length > 1) {
        // `retry rollout|experiment`: each choice is a subcommand when the command has any.
        if (command.commands.length > 0)
          for (const choice of choices)
            if (!sub(command, choice)) problems.push(`${command.name()} ${choice}`);
        break;
      }
      const next = sub(command, word);
      if (next === undefined) break;
      command = next;
    }
    if (command === (base ?? root)) problems.push(`${text}: no command in "${alternative.trim()}"`);
    for (const [, flag] of alternative.matchAll(/(?:^|\s)\[?(--?[a-zA-Z][a-zA-Z-]*)/g)) {
      if (!knows(command, flag as string)) problems.push(`${command.name()} ${flag}`);
    }
    previous = command;
  }
  return problems;
}

describe('documented commands', () => {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

  it("the README's `slipway` and `kubectl slipway` summaries name only commands and flags that exist", () => {
    const lines = [...commandBlock(readme, '## Commands'), ...commandBlock(readme, '### The kubectl plugin')];
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.flatMap(unknownParts)).toEqual([]);
  });

  it('catches a command or flag that does not exist', () => {
    expect(unknownParts('slipway controller [--no-such-flag]')).toEqual(['controller --no-such-flag']);
    expect(unknownParts('kubectl slipway retry rollout|deployment NAME')).toEqual(['retry deployment']);
    expect(unknownParts('slipway experiments')).toHaveLength(1);
  });

  it('`slipway controller --help` names each controller the process runs, and no other', () => {
    const description = controllerCommand().description();
    const named = [...description.matchAll(/\b(Rollout|AnalysisRun|Experiment|notification)\b/g)].map((m) =>
      (m[1] as string).toLowerCase(),
    );
    expect(named.sort()).toEqual(CONTROLLERS.map((c) => c.name.replace(/s$/, '')).sort());
  });
});
