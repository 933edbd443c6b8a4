// The plugin's command tree: Argo's command names, aliases and flags, and the completion
// candidates drawn from the same tree.
import { describe, expect, it } from 'vitest';
import { completions } from '../../../src/cli/commands/completion.js';
import { normalizeArgs } from '../../../src/cmd/kubectl-slipway.js';
import { pluginProgram } from './plugin-program.js';

const program = pluginProgram;

describe('kubectl-slipway', () => {
  it("has Argo's commands (dashboard and notifications come from their own modules)", () => {
    const names = program()
      .commands.map((c) => c.name())
      .filter((n) => !n.startsWith('__'));
    expect(names).toEqual(
      expect.arrayContaining([
        'abort',
        'completion',
        'create',
        'get',
        'lint',
        'list',
        'pause',
        'promote',
        'restart',
        'retry',
        'set',
        'status',
        'terminate',
        'undo',
        'version',
      ]),
    );
  });

  it("keeps Argo's subcommand aliases", () => {
    const root = program();
    const sub = (parent: string, name: string) =>
      root.commands.find((c) => c.name() === parent)?.commands.find((c) => c.name() === name);
    expect(sub('get', 'rollout')?.aliases()).toEqual(['ro', 'rollouts']);
    expect(sub('get', 'experiment')?.aliases()).toEqual(['exp', 'experiments']);
    expect(sub('list', 'rollouts')?.aliases()).toEqual(['ro', 'rollout']);
    expect(sub('terminate', 'analysisrun')?.aliases()).toEqual(['ar', 'analysisruns']);
  });

  it('reads --watch=false as --no-watch', () => {
    expect(normalizeArgs(['status', 'x', '--watch=false', '--watch=true', '--timeout=5s'])).toEqual([
      'status',
      'x',
      '--no-watch',
      '--watch',
      '--timeout=5s',
    ]);
  });

  it('completes subcommands, aliases and flags from the tree', () => {
    const root = program();
    expect(completions(root, [])).toEqual(expect.arrayContaining(['get', 'promote', '--namespace']));
    expect(completions(root, ['ro'])).toContain('get');
    expect(completions(root, ['get'])).toEqual(expect.arrayContaining(['rollout', 'experiment']));
    expect(completions(root, ['get', 'ro'])).toEqual(
      expect.arrayContaining(['--watch', '--no-color', '--timeout-seconds']),
    );
    expect(completions(root, ['promote'])).toEqual(expect.arrayContaining(['--full', '--skip-current-step']));
  });

  it('prints completion scripts and refuses unknown shells', async () => {
    const out: string[] = [];
    const root = program(out);
    await root.parseAsync(['node', 'kubectl-slipway', 'completion', 'fish']);
    expect(out.join('')).toContain("complete -c kubectl-slipway -f -a '(kubectl-slipway __complete");
    await expect(root.parseAsync(['node', 'kubectl-slipway', 'completion', 'tcsh'])).rejects.toThrow(
      'invalid argument "tcsh"',
    );
  });
});
