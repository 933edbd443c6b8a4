// Renders the argocd-cm fragment that installs Slipway's Lua health checks and resource
// actions into Argo CD, from the scripts under health-checks/ and actions/. The fragments are
// checked in beside the scripts (health-checks/*.generated.yaml) because users copy them into
// their Argo CD install; test/unit/argocd/argocd-cm.test.ts fails when they are stale.
//
// Options are settled here, at generation time, because Argo CD hands a script nothing but
// `obj`: a health.lua line `local <name> = false -- @option <name>` becomes `= true` in the
// variant that turns the option on.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../package-paths.js';

export const HEALTH_CHECKS_DIR = join(PACKAGE_ROOT, 'health-checks');
export const ACTIONS_DIR = join(PACKAGE_ROOT, 'actions');

export interface ArgoCdCmOptions {
  /** Report a rollout paused at a step (canary pause, blue-green pre-promotion) as Healthy. */
  pausedAsHealthy: boolean;
}

export type ArgoCdCmOption = keyof ArgoCdCmOptions;

const OPTION_NAMES: readonly ArgoCdCmOption[] = ['pausedAsHealthy'];

export const DEFAULT_OPTIONS: ArgoCdCmOptions = { pausedAsHealthy: false };

/** The generated files, by name under health-checks/, and the options each one turns on. */
export const GENERATED_FILES: ReadonlyMap<string, ArgoCdCmOptions> = new Map([
  ['argocd-cm.generated.yaml', DEFAULT_OPTIONS],
  ['argocd-cm-paused-healthy.generated.yaml', { pausedAsHealthy: true }],
]);

/** The scripts for one `<group>/<Kind>`, read from the repository folders. */
export interface KindScripts {
  group: string;
  kind: string;
  healthLua?: string;
  actions?: { discoveryLua: string; definitions: { name: string; actionLua: string }[] };
}

const OPTION_LINE = /^local (\w+) = false -- @option (\w+)$/;

/**
 * Turns the options on in a script: each `-- @option` line must read exactly
 * `local <name> = false -- @option <name>` for a known option, so a typo fails loudly
 * instead of shipping a variant that silently ignores its option.
 */
export function applyOptions(script: string, options: ArgoCdCmOptions, where = 'script'): string {
  return script
    .split('\n')
    .map((line, index) => {
      if (!line.includes('@option')) return line;
      const match = OPTION_LINE.exec(line);
      const name = match?.[1];
      if (name === undefined || name !== match?.[2]) {
        throw new Error(
          `${where}:${index + 1}: an @option line must read "local <name> = false -- @option <name>", got: ${line}`,
        );
      }
      if (!isOptionName(name)) {
        throw new Error(`${where}:${index + 1}: unknown option ${name}; known: ${OPTION_NAMES.join(', ')}`);
      }
      return options[name] ? line.replace(' = false ', ' = true ') : line;
    })
    .join('\n');
}

function isOptionName(name: string): name is ArgoCdCmOption {
  return (OPTION_NAMES as readonly string[]).includes(name);
}

function subdirectories(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => statSync(join(dir, name)).isDirectory()).sort();
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every `<group>/<Kind>` with a health.lua or a discovery.lua, sorted by group then kind. */
export function readKindScripts(healthDir = HEALTH_CHECKS_DIR, actionsDir = ACTIONS_DIR): KindScripts[] {
  const byKey = new Map<string, KindScripts>();
  const entry = (group: string, kind: string): KindScripts => {
    const key = `${group}/${kind}`;
    let found = byKey.get(key);
    if (!found) {
      found = { group, kind };
      byKey.set(key, found);
    }
    return found;
  };
  for (const group of subdirectories(healthDir)) {
    for (const kind of subdirectories(join(healthDir, group))) {
      const healthLua = readIfPresent(join(healthDir, group, kind, 'health.lua'));
      if (healthLua !== undefined) entry(group, kind).healthLua = healthLua;
    }
  }
  for (const group of subdirectories(actionsDir)) {
    for (const kind of subdirectories(join(actionsDir, group))) {
      const dir = join(actionsDir, group, kind);
      const discoveryLua = readIfPresent(join(dir, 'discovery.lua'));
      if (discoveryLua === undefined) continue;
      const definitions = subdirectories(dir).flatMap((name) => {
        const actionLua = readIfPresent(join(dir, name, 'action.lua'));
        return actionLua === undefined ? [] : [{ name, actionLua }];
      });
      entry(group, kind).actions = { discoveryLua, definitions };
    }
  }
  return [...byKey.values()].sort((a, b) =>
    a.group === b.group ? a.kind.localeCompare(b.kind) : a.group.localeCompare(b.group),
  );
}

/** The argocd-cm key suffix Argo CD expects: `<group>_<Kind>`, or `<Kind>` for the core group. */
export function configMapKindKey(group: string, kind: string): string {
  return group === '' || group === 'core' ? kind : `${group}_${kind}`;
}

const YAML_OPTIONS = { blockQuote: 'literal', lineWidth: 0 } as const;

/** The argocd-cm fragment (a ConfigMap manifest) for the given scripts and options. */
export function renderArgoCdCm(kinds: KindScripts[], options: ArgoCdCmOptions): string {
  const data: Record<string, string> = {};
  for (const scripts of kinds) {
    const key = configMapKindKey(scripts.group, scripts.kind);
    const where = `health-checks/${scripts.group}/${scripts.kind}/health.lua`;
    if (scripts.healthLua !== undefined) {
      data[`resource.customizations.health.${key}`] = applyOptions(scripts.healthLua, options, where);
    }
    if (scripts.actions) {
      // mergeBuiltinActions stays off: Argo CD would also run its built-in discovery.lua, and the
      // built-in AnalysisRun one (and the Rollout one before v3.5.7) fails on an object with no
      // status, which takes the whole action menu down. Ours defines every built-in action name.
      data[`resource.customizations.actions.${key}`] = stringify(
        {
          'discovery.lua': scripts.actions.discoveryLua,
          definitions: scripts.actions.definitions.map((d) => ({ name: d.name, 'action.lua': d.actionLua })),
          mergeBuiltinActions: false,
        },
        YAML_OPTIONS,
      );
    }
  }
  const enabled = OPTION_NAMES.filter((name) => options[name]);
  const header = [
    '# Generated from health-checks/ and actions/ by src/argocd/argocd-cm.ts. Do not edit by hand.',
    '# Merge these data keys into the argocd-cm ConfigMap of your Argo CD installation.',
    `# Options: ${enabled.length > 0 ? enabled.join(', ') : 'none'} (see health-checks/README.md).`,
  ].join('\n');
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'argocd-cm',
      namespace: 'argocd',
      labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
    },
    data,
  };
  return `${header}\n${stringify(configMap, YAML_OPTIONS)}`;
}

/** File name → content of every generated argocd-cm fragment, from the repository's scripts. */
export function renderArgoCdCmFiles(kinds = readKindScripts()): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, options] of GENERATED_FILES) files.set(name, renderArgoCdCm(kinds, options));
  return files;
}
