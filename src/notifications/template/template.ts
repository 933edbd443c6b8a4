// The entry point of the Go template engine: compile once (parse errors such as
// `function "x" not defined` surface here), render many times.

import { DEFAULT_LIMITS, type ExecuteLimits, executeTemplate } from './execute.js';
import { TEMPLATE_FUNCTIONS } from './functions.js';
import { type ParsedTemplate, parseTemplate } from './parse.js';

export { TemplateError } from './parse.js';

export interface GoTemplate {
  readonly name: string;
  render(data: unknown): string;
}

export function compileGoTemplate(
  name: string,
  source: string,
  limits: ExecuteLimits = DEFAULT_LIMITS,
): GoTemplate {
  const parsed: ParsedTemplate = parseTemplate(name, source, (fn) => TEMPLATE_FUNCTIONS.has(fn));
  return { name, render: (data) => executeTemplate(parsed, data, TEMPLATE_FUNCTIONS, limits) };
}
