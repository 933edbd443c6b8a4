// `{{args.name}}` substitution in a metric, as Argo Rollouts does it: the metric is serialized
// to JSON, every `{{ tag }}` in that text is replaced by the argument's value escaped for a JSON
// string, and the result is parsed back. So placeholders work in any string of the metric (and
// in keys), a value with quotes or newlines stays one string, and an unknown tag is an error.
import type { Argument, Metric } from '../api/analysis.js';

export class ArgumentResolutionError extends Error {}

/**
 * Argo's ResolveArgs check: every argument needs a value before any substitution happens,
 * even one no metric uses. Returns the name → value map.
 */
export function argumentValues(args: readonly Pick<Argument, 'name' | 'value'>[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const arg of args) {
    if (arg.value === undefined) {
      throw new ArgumentResolutionError(`argument "${arg.name}" was not supplied`);
    }
    values.set(arg.name, arg.value);
  }
  return values;
}

/** Replaces `{{ args.<name> }}` tags in `template`, each value transformed by `encode`. */
export function substituteArgs(
  template: string,
  values: ReadonlyMap<string, string>,
  encode: (value: string) => string = (value) => value,
): string {
  let out = '';
  let at = 0;
  for (;;) {
    const open = template.indexOf('{{', at);
    if (open < 0) return out + template.slice(at);
    const close = template.indexOf('}}', open + 2);
    if (close < 0) {
      throw new ArgumentResolutionError(
        `cannot find end tag "}}" in the template starting from "${template.slice(open, open + 40)}"`,
      );
    }
    const tag = template.slice(open + 2, close);
    const cleaned = tag.trim();
    const value = cleaned.startsWith('args.') ? values.get(cleaned.slice('args.'.length)) : undefined;
    if (value === undefined) throw new ArgumentResolutionError(`failed to resolve {{${tag}}}`);
    out += template.slice(at, open) + encode(value);
    at = close + 2;
  }
}

/** The metric with every placeholder replaced; throws ArgumentResolutionError. */
export function resolveMetricArgs(metric: Metric, args: readonly Pick<Argument, 'name' | 'value'>[]): Metric {
  const values = argumentValues(args);
  const json = JSON.stringify(metric);
  const resolved = substituteArgs(json, values, (value) => JSON.stringify(value).slice(1, -1));
  return JSON.parse(resolved) as Metric;
}
