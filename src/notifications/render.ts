// Turns a trigger's template names into one notification: every string field of each
// template (message, email subject, Slack attachments, webhook bodies, ...) rendered as a Go
// template over the variables, later templates overriding earlier ones, as the engine's
// templates.Service.FormatNotification does.

import type { NotificationTemplate } from './catalog.js';
import { compileGoTemplate, type GoTemplate } from './template/template.js';

export type RenderedNotification = NotificationTemplate;

const cache = new Map<string, GoTemplate>();

function compileCached(name: string, source: string): GoTemplate {
  const key = `${name}\u0000${source}`;
  let t = cache.get(key);
  if (!t) {
    t = compileGoTemplate(name, source);
    if (cache.size > 2000) cache.clear();
    cache.set(key, t);
  }
  return t;
}

/** Renders every string in `value` (recursively); booleans and numbers pass through. */
function renderFields(name: string, value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') return compileCached(name, value).render(vars);
  if (Array.isArray(value)) return value.map((v) => renderFields(name, v, vars));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderFields(name, v, vars);
    return out;
  }
  return value;
}

/**
 * Throws the template's own error (`template: rollout-completed:1: function "x" not defined`)
 * or `template 'x' is not supported` for a name the configuration lacks.
 */
export function renderNotification(
  templates: ReadonlyMap<string, NotificationTemplate>,
  names: string[],
  vars: Record<string, unknown>,
): RenderedNotification {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const template = templates.get(name);
    if (!template) throw new Error(`template '${name}' is not supported`);
    const rendered = renderFields(name, template, vars) as Record<string, unknown>;
    for (const [field, value] of Object.entries(rendered)) {
      const previous = out[field];
      // Per-service sections merge field by field (a later template may set only the subject).
      if (
        previous &&
        typeof previous === 'object' &&
        value &&
        typeof value === 'object' &&
        !Array.isArray(value)
      ) {
        out[field] = { ...(previous as object), ...(value as object) };
      } else {
        out[field] = value;
      }
    }
  }
  return out as RenderedNotification;
}
