#!/usr/bin/env node
// kubectl's plugin completion hook (kubectl 1.26+): `kubectl slipway <TAB>` runs
// `kubectl_complete-slipway ARGS... PARTIAL` and reads candidates, one a line, then cobra's
// directive line (":4" = no file completion).
import { allCompletions } from '../cli/commands/completion.js';
import { processContext } from '../cli/context.js';
import { kubectlSlipwayProgram } from './kubectl-slipway.js';

const args = process.argv.slice(2);
const partial = args.at(-1) ?? '';
const words = args.slice(0, -1);
const context = processContext(() => program);
const program = kubectlSlipwayProgram(context);
const candidates = (await allCompletions(context, words)).filter((c) => c.startsWith(partial));
process.stdout.write(`${[...new Set(candidates)].join('\n')}\n:4\n`);
process.exit(0);
