// `completion bash|zsh|fish|powershell`: shell scripts that ask the plugin itself for
// candidates through the hidden `__complete` command (as cobra's scripts do), so they never go
// stale when commands or flags change.
import { Command, type Option } from 'commander';
import type { KubeObject } from '../../kube/object.js';
import type { ApiResource } from '../../kube/resource.js';
import type { CliContext } from '../context.js';
import { ANALYSIS_RUNS, EXPERIMENTS, ROLLOUTS } from '../fetch.js';

const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
const BIN = 'kubectl-slipway';

const SCRIPTS: Record<(typeof SHELLS)[number], string> = {
  bash: `# bash completion for ${BIN}; load with: source <(${BIN} completion bash)
_kubectl_slipway() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\\n'
  COMPREPLY=( $(compgen -W "$(${BIN} __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)" -- "$cur") )
}
complete -o default -F _kubectl_slipway ${BIN}
`,
  zsh: `#compdef ${BIN}
# zsh completion for ${BIN}; load with: source <(${BIN} completion zsh)
_kubectl_slipway() {
  local -a candidates
  candidates=("\${(@f)$(${BIN} __complete "\${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _kubectl_slipway ${BIN}
`,
  fish: `# fish completion for ${BIN}; load with: ${BIN} completion fish | source
complete -c ${BIN} -f -a '(${BIN} __complete (commandline -opc)[2..-1] 2>/dev/null)'
`,
  powershell: `# PowerShell completion for ${BIN}; load with: ${BIN} completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName '${BIN}' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
  if ($wordToComplete -and $words.Count -gt 0) { $words = $words[0..($words.Count - 2)] }
  & '${BIN}' __complete @words 2>$null | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`,
};

const optionWords = (options: readonly Option[]) =>
  options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));

/** The command `words` lead to, and how many positional words it already has. */
function resolve(root: Command, words: readonly string[]): { command: Command; positionals: number } {
  let command = root;
  let positionals = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word === '-n' || word === '--namespace') i++;
    if (word.startsWith('-')) continue;
    const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (next) {
      command = next;
      positionals = 0;
    } else {
      positionals++;
    }
  }
  return { command, positionals };
}

/** Candidates after `words` (the words before the one being completed). */
export function completions(root: Command, words: readonly string[]): string[] {
  const { command } = resolve(root, words);
  const subcommands = command.commands.filter((c) => !c.name().startsWith('__')).map((c) => c.name());
  const globals = command === root ? [] : optionWords(root.options);
  return [...subcommands, ...optionWords(command.options), ...globals, '--help'];
}

const NAME_RESOURCES: Record<string, ApiResource> = {
  ROLLOUT_NAME: ROLLOUTS,
  ROLLOUT: ROLLOUTS,
  EXPERIMENT_NAME: EXPERIMENTS,
  ANALYSISRUN_NAME: ANALYSIS_RUNS,
};

/** Names of the objects the command takes as its first argument (as cobra's ValidArgsFunction). */
async function objectNames(context: CliContext, root: Command, words: readonly string[]): Promise<string[]> {
  const { command, positionals } = resolve(root, words);
  const [first] = command.registeredArguments;
  const resource = first ? NAME_RESOURCES[first.name()] : undefined;
  if (!resource || (positionals > 0 && !first?.variadic)) return [];
  const at = words.findIndex((w) => w === '-n' || w === '--namespace');
  try {
    const { client, namespace } = context.cluster();
    const list = client.list<KubeObject>(resource, { namespace: at >= 0 ? words[at + 1] : namespace });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('slow')), 3000).unref(),
    );
    return (await Promise.race([list, timeout])).items.map((o) => o.metadata?.name ?? '').filter(Boolean);
  } catch {
    return [];
  }
}

/** Candidates: object names first (when the command takes one), then subcommands and flags. */
export async function allCompletions(context: CliContext, words: readonly string[]): Promise<string[]> {
  const root = context.root();
  // Global flags among the words (--kubeconfig, --context) apply to the name lookup.
  root.parseOptions([...words]);
  return [...(await objectNames(context, root, words)), ...completions(root, words)];
}

export function completionCommand(context: CliContext): Command {
  return new Command('completion')
    .argument('<shell>', `one of ${SHELLS.join(', ')}`)
    .description('Generate completion script')
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new Error(`invalid argument "${shell}" for "${BIN} completion"`);
      }
      context.out.write(SCRIPTS[shell as (typeof SHELLS)[number]]);
    });
}

export function completeCommand(context: CliContext): Command {
  return new Command('__complete')
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      context.out.write(`${(await allCompletions(context, words)).join('\n')}\n`);
    });
}
