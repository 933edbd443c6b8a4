// What Argo Rollouts checks of the objects a Rollout names before it does anything
// (rollout/controller.go getRolloutReferencedResources): the Services of the strategy and
// the AnalysisTemplates / ClusterAnalysisTemplates of every analysis, nested ones included.
// A missing one is InvalidSpec with Argo's own message, so tools that read the condition
// (Argo CD, notifications, `kubectl argo rollouts`) see the same text from either controller.
import type { AnalysisTemplate, ClusterAnalysisTemplate } from '../api/analysis.js';
import type { RolloutAnalysis } from '../api/rollout.js';
import type { ObservedRollout } from './pass.js';

/** `The Rollout "<name>" is invalid: <detail>`: how Argo words every InvalidSpec condition. */
export function argoInvalidMessage(rolloutName: string, detail: string): string {
  return `The Rollout "${rolloutName}" is invalid: ${detail}`;
}

/** apimachinery's field.Invalid(path, value, detail).Error() for a string value. */
function fieldInvalid(path: string, value: string, detail: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

type TemplateRefs = RolloutAnalysis['templates'];

// Nested templates are followed as Argo does; a cycle would recurse forever there, here it
// stops after this many levels (a clear limit for hostile specs).
const MAX_NESTING = 10;

function missingTemplate(
  refs: TemplateRefs,
  path: string,
  templates: ReadonlyMap<string, AnalysisTemplate>,
  clusterTemplates: ReadonlyMap<string, ClusterAnalysisTemplate>,
  depth: number,
): string | undefined {
  if (depth > MAX_NESTING) {
    return fieldInvalid(
      path,
      refs?.[0]?.templateName ?? '',
      `templates nest more than ${MAX_NESTING} levels deep`,
    );
  }
  for (const ref of refs ?? []) {
    const name = ref.templateName;
    const found = ref.clusterScope ? clusterTemplates.get(name) : templates.get(name);
    if (!found) {
      const kind = ref.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate';
      return fieldInvalid(path, name, `${kind} '${name}' not found`);
    }
    const nested = found.spec?.templates;
    if (nested && nested.length > 0) {
      const problem = missingTemplate(nested, 'spec.templates', templates, clusterTemplates, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * The first Service or analysis template the Rollout names that does not exist, as Argo's
 * InvalidSpec message; undefined when all exist. Argo's order: Services (blue-green active,
 * preview; canary stable, canary, ping, pong), then analyses (pre-, post-promotion; canary
 * steps in order, then background).
 */
export function missingReference(observed: ObservedRollout): string | undefined {
  const { rollout } = observed;
  const { canary, blueGreen } = rollout.spec.strategy ?? {};
  const services: [string, string | undefined][] = blueGreen
    ? [
        ['spec.strategy.blueGreen.activeService', blueGreen.activeService],
        ['spec.strategy.blueGreen.previewService', blueGreen.previewService],
      ]
    : canary
      ? [
          ['spec.strategy.canary.stableService', canary.stableService],
          ['spec.strategy.canary.canaryService', canary.canaryService],
          ['spec.strategy.canary.pingPong.pingService', canary.pingPong?.pingService],
          ['spec.strategy.canary.pingPong.pongService', canary.pingPong?.pongService],
        ]
      : [];
  for (const [path, name] of services) {
    if (name && !observed.services.has(name)) {
      // The lister's NotFound error: core/v1 Resource("service"), singular.
      return argoInvalidMessage(
        rollout.metadata.name,
        fieldInvalid(path, name, `service "${name}" not found`),
      );
    }
  }

  const templates = new Map<string, AnalysisTemplate>();
  for (const t of observed.analysis?.templates.analysisTemplates ?? []) {
    if (t.metadata?.name) templates.set(t.metadata.name, t);
  }
  const clusterTemplates = new Map<string, ClusterAnalysisTemplate>();
  for (const t of observed.analysis?.templates.clusterAnalysisTemplates ?? []) {
    if (t.metadata?.name) clusterTemplates.set(t.metadata.name, t);
  }
  const analyses: [string, RolloutAnalysis | undefined][] = blueGreen
    ? [
        ['spec.strategy.blueGreen.prePromotionAnalysis.templates', blueGreen.prePromotionAnalysis],
        ['spec.strategy.blueGreen.postPromotionAnalysis.templates', blueGreen.postPromotionAnalysis],
      ]
    : canary
      ? [
          ...(canary.steps ?? []).map((step, i): [string, RolloutAnalysis | undefined] => [
            `spec.strategy.canary.steps[${i}].analysis.templates`,
            step.analysis,
          ]),
          ['spec.strategy.canary.analysis.templates', canary.analysis],
        ]
      : [];
  for (const [path, analysis] of analyses) {
    if (!analysis) continue;
    // Slipway also reads the deprecated single-template form; it is checked the same way.
    const refs = [
      ...(analysis.templates ?? []),
      ...(analysis.templateName
        ? [{ templateName: analysis.templateName, clusterScope: analysis.clusterScope }]
        : []),
    ];
    const problem = missingTemplate(refs, path, templates, clusterTemplates, 0);
    if (problem) return argoInvalidMessage(rollout.metadata.name, problem);
  }
  return undefined;
}
