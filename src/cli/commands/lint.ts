// `lint -f FILE`: prints each finding, then fails with the first (Argo's exit: 1).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { errorText, lintText } from '../lint.js';

const MAX_FILE_BYTES = 4 * 1024 * 1024;

export function lintCommand(context: CliContext): Command {
  const lint = new Command('lint')
    .description('Lint and validate a Rollout')
    .option('-f, --filename <file>', 'File to lint')
    .action((flags: { filename?: string }) => {
      if (!flags.filename) lint.help({ error: true });
      const text = readFileSync(flags.filename ?? '', 'utf8');
      if (text.length > MAX_FILE_BYTES) throw new Error(`${flags.filename}: larger than 4 MiB`);
      const { errors } = lintText(text);
      for (const error of errors) context.out.write(`${error.body}\n`);
      const [first] = errors;
      if (first) throw new Error(errorText(first));
    });
  return lint;
}
