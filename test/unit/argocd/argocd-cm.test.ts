import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  applyOptions,
  configMapKindKey,
  DEFAULT_OPTIONS,
  GENERATED_FILES,
  HEALTH_CHECKS_DIR,
  type KindScripts,
  readKindScripts,
  renderArgoCdCm,
  renderArgoCdCmFiles,
} from '../../../src/argocd/argocd-cm.js';

interface ConfigMap {
  metadata: { name: string; labels: Record<string, string> };
  data: Record<string, string>;
}

describe('argocd-cm fragments', () => {
  it('are up to date with the scripts (regenerate with `npx tsx src/argocd/argocd-cm.ts`)', () => {
    const files = renderArgoCdCmFiles();
    expect([...files.keys()].sort()).toEqual([...GENERATED_FILES.keys()].sort());
    for (const [name, text] of files) {
      expect(readFileSync(join(HEALTH_CHECKS_DIR, name), 'utf8'), `${name} is stale`).toBe(text);
    }
  });

  it('carry a health check for every kind and actions for the Rollout, under the keys Argo CD reads', () => {
    const cm = parse(renderArgoCdCm(readKindScripts(), DEFAULT_OPTIONS)) as ConfigMap;
    expect(cm.metadata.name).toBe('argocd-cm');
    expect(cm.metadata.labels['app.kubernetes.io/part-of']).toBe('argocd');
    expect(Object.keys(cm.data).sort()).toEqual([
      'resource.customizations.actions.argoproj.io_AnalysisRun',
      'resource.customizations.actions.argoproj.io_Experiment',
      'resource.customizations.actions.argoproj.io_Rollout',
      'resource.customizations.actions.slipway.dev_GitTarget',
      'resource.customizations.actions.slipway.dev_ImageWatch',
      'resource.customizations.actions.slipway.dev_PromotionPipeline',
      'resource.customizations.health.argoproj.io_AnalysisRun',
      'resource.customizations.health.argoproj.io_Experiment',
      'resource.customizations.health.argoproj.io_Rollout',
      'resource.customizations.health.slipway.dev_GitTarget',
      'resource.customizations.health.slipway.dev_ImageWatch',
      'resource.customizations.health.slipway.dev_PromotionPipeline',
    ]);
    const actions = parse(cm.data['resource.customizations.actions.argoproj.io_Rollout'] ?? '') as {
      'discovery.lua': string;
      definitions: { name: string; 'action.lua': string }[];
      mergeBuiltinActions: boolean;
    };
    expect(actions['discovery.lua']).toContain('actions["resume"]');
    expect(actions.definitions.map((d) => d.name)).toEqual([
      'abort',
      'pause',
      'promote-full',
      'restart',
      'resume',
      'retry',
      'skip-current-step',
    ]);
    expect(actions.mergeBuiltinActions).toBe(false);
  });

  it('keep every script byte for byte, so the ConfigMap runs what the tests ran', () => {
    const kinds = readKindScripts();
    const cm = parse(renderArgoCdCm(kinds, DEFAULT_OPTIONS)) as ConfigMap;
    for (const k of kinds) {
      const key = configMapKindKey(k.group, k.kind);
      expect(cm.data[`resource.customizations.health.${key}`]).toBe(k.healthLua);
    }
  });

  it('differ between the variants only in the pausedAsHealthy line of the Rollout health check', () => {
    const kinds = readKindScripts();
    const base = parse(renderArgoCdCm(kinds, DEFAULT_OPTIONS)) as ConfigMap;
    const variant = parse(renderArgoCdCm(kinds, { pausedAsHealthy: true })) as ConfigMap;
    const changed = Object.keys(base.data).filter((key) => base.data[key] !== variant.data[key]);
    expect(changed).toEqual(['resource.customizations.health.argoproj.io_Rollout']);
    const baseLines = (base.data[changed[0] ?? ''] ?? '').split('\n');
    const variantLines = (variant.data[changed[0] ?? ''] ?? '').split('\n');
    const differing = baseLines.flatMap((line, i) =>
      line === variantLines[i] ? [] : [[line, variantLines[i]]],
    );
    expect(differing).toEqual([
      [
        'local pausedAsHealthy = false -- @option pausedAsHealthy',
        'local pausedAsHealthy = true -- @option pausedAsHealthy',
      ],
    ]);
  });

  it('name a core-group kind by its kind alone, as Argo CD does', () => {
    expect(configMapKindKey('', 'ConfigMap')).toBe('ConfigMap');
    expect(configMapKindKey('argoproj.io', 'Rollout')).toBe('argoproj.io_Rollout');
  });
});

describe('applyOptions', () => {
  const script = 'local x = 1\nlocal pausedAsHealthy = false -- @option pausedAsHealthy\nreturn x\n';

  it('leaves a script alone when the option is off and flips only the marked line when it is on', () => {
    expect(applyOptions(script, DEFAULT_OPTIONS)).toBe(script);
    expect(applyOptions(script, { pausedAsHealthy: true })).toBe(
      'local x = 1\nlocal pausedAsHealthy = true -- @option pausedAsHealthy\nreturn x\n',
    );
  });

  it('rejects a marker line in another form, so a typo cannot ship a variant that ignores its option', () => {
    expect(() =>
      applyOptions('local pausedAsHealthy=false -- @option pausedAsHealthy', DEFAULT_OPTIONS, 'x.lua'),
    ).toThrow(/x\.lua:1: an @option line must read/);
    expect(() =>
      applyOptions('local pausedAsHealthy = false -- @option pausedHealthy', DEFAULT_OPTIONS, 'x.lua'),
    ).toThrow(/must read/);
  });

  it('rejects an option it does not know', () => {
    expect(() =>
      applyOptions('local fastMode = false -- @option fastMode', DEFAULT_OPTIONS, 'y.lua'),
    ).toThrow('y.lua:1: unknown option fastMode; known: pausedAsHealthy');
  });
});

describe('renderArgoCdCm', () => {
  it('writes the actions of a kind as the YAML Argo CD parses, scripts as literal blocks', () => {
    const kinds: KindScripts[] = [
      {
        group: 'example.com',
        kind: 'Widget',
        healthLua: 'return { status = "Healthy" }\n',
        actions: { discoveryLua: 'return {}\n', definitions: [{ name: 'poke', actionLua: 'return obj\n' }] },
      },
    ];
    const text = renderArgoCdCm(kinds, DEFAULT_OPTIONS);
    expect(text).toContain(
      '  resource.customizations.health.example.com_Widget: |\n    return { status = "Healthy" }\n',
    );
    const cm = parse(text) as ConfigMap;
    expect(parse(cm.data['resource.customizations.actions.example.com_Widget'] ?? '')).toEqual({
      'discovery.lua': 'return {}\n',
      definitions: [{ name: 'poke', 'action.lua': 'return obj\n' }],
      mergeBuiltinActions: false,
    });
  });
});
