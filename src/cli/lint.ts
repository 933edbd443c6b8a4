// `lint -f FILE` offline: strict decoding (unknown fields refused, as Argo's plugin decodes),
// then the checks of Argo's ValidateRollout with its field paths and messages, then Slipway's
// own validation (src/rollout/validate.ts). Pure: YAML text in, findings out.
import type { TSchema } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import type { Rollout } from '../api/rollout.js';
import { RolloutSpecSchema } from '../api/rollout.js';
import { validateRollout } from '../rollout/validate.js';

export interface FieldError {
  field: string;
  /** k8s field.Error.ErrorBody(): "Invalid value: 200: SetWeight needs to be between 0 and 100". */
  body: string;
}

export const errorText = (e: FieldError) => (e.field ? `${e.field}: ${e.body}` : e.body);

/** Go's rendering of a bad value in field errors (%v for scalars, %q for strings, else JSON). */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value ?? null);
}

const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  body: `Invalid value: ${goValue(value)}: ${detail}`,
});
const required = (field: string, detail: string): FieldError => ({
  field,
  body: `Required value: ${detail}`,
});
const missing = (what: string) => `Rollout has missing field '${what}'`;

/** The first field the schema does not know, as Go's strict JSON decoding reports it. */
function unknownField(value: unknown, schema: TSchema | undefined): string | undefined {
  if (!schema || value === null || typeof value !== 'object') return undefined;
  const s = schema as TSchema & {
    type?: string;
    properties?: Record<string, TSchema>;
    items?: TSchema;
    additionalProperties?: TSchema | boolean;
    'x-kubernetes-preserve-unknown-fields'?: boolean;
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = unknownField(item, s.items);
      if (found) return found;
    }
    return undefined;
  }
  if (s['x-kubernetes-preserve-unknown-fields']) return undefined;
  if (s.properties) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childSchema = s.properties[key];
      if (!childSchema) {
        if (s.additionalProperties === undefined || s.additionalProperties === false) return key;
        continue;
      }
      const found = unknownField(child, childSchema);
      if (found) return found;
    }
  } else if (typeof s.additionalProperties === 'object') {
    for (const child of Object.values(value as Record<string, unknown>)) {
      const found = unknownField(child, s.additionalProperties);
      if (found) return found;
    }
  }
  return undefined;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;

function intOrPercentIsZero(value: unknown, fallback: string): boolean {
  const v = value ?? fallback;
  if (typeof v === 'number') return v === 0;
  return /^0+%?$/.test(String(v));
}

function pauseSeconds(duration: unknown): number {
  if (duration === undefined) return 0;
  if (typeof duration === 'number') return duration;
  const m = /^(-?\d+)(s|m|h)?$/.exec(String(duration));
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : n;
}

/** Argo's ValidateRollout checks that need no cluster, in its order. */
export function argoRolloutErrors(rollout: Json): FieldError[] {
  const errors: FieldError[] = [];
  const spec = obj(rollout.spec) ?? {};
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  if (replicas < 0) errors.push(invalid('spec.replicas', replicas, 'must be greater than or equal to 0'));
  const workloadRef = obj(spec.workloadRef);
  const selector = obj(spec.selector);
  if (!workloadRef) {
    if (!selector) errors.push(required('spec.selector', missing('.spec.selector')));
    else {
      const count =
        Object.keys(obj(selector.matchLabels) ?? {}).length +
        (Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0);
      if (count === 0)
        errors.push(invalid('spec.selector', selector, 'empty selector is invalid for deployment'));
    }
  }
  const template = obj(spec.template);
  const templateSet = template !== undefined && Object.keys(template).length > 0;
  if (workloadRef && templateSet) {
    errors.push({
      field: 'spec.template',
      body: 'Internal error: template must be empty for workload reference rollout',
    });
  }
  if (!workloadRef) {
    const labels = obj(obj(template?.metadata)?.labels) ?? {};
    const matchLabels = obj(selector?.matchLabels) ?? {};
    if (selector && !Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) {
      errors.push(
        invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
      );
    }
    const containers = obj(template?.spec)?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      errors.push(required('spec.template.spec.containers', ''));
    }
  }
  const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
  if (minReady < 0)
    errors.push(invalid('spec.minReadySeconds', minReady, 'must be greater than or equal to 0'));
  const history = typeof spec.revisionHistoryLimit === 'number' ? spec.revisionHistoryLimit : 10;
  if (history < 0)
    errors.push(invalid('spec.revisionHistoryLimit', history, 'must be greater than or equal to 0'));
  const deadline = typeof spec.progressDeadlineSeconds === 'number' ? spec.progressDeadlineSeconds : 600;
  if (deadline < 0)
    errors.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than or equal to 0'));
  if (deadline <= minReady) {
    errors.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  }
  const strategy = obj(spec.strategy) ?? {};
  const canary = obj(strategy.canary);
  const blueGreen = obj(strategy.blueGreen);
  if (!canary && !blueGreen) {
    errors.push(
      required('spec.strategy.strategy', missing('.spec.strategy.canary or .spec.strategy.blueGreen')),
    );
  } else if (canary && blueGreen) {
    errors.push(
      invalid(
        'spec.strategy.strategy',
        'blueGreen: true canary: true',
        'Multiple Strategies can not be listed',
      ),
    );
  } else if (blueGreen) {
    if (blueGreen.activeService === blueGreen.previewService) {
      errors.push(
        invalid(
          'spec.strategy.activeService',
          blueGreen.activeService ?? '',
          'This rollout uses the same service for the active and preview services, but two different services are required.',
        ),
      );
    }
    const limit = blueGreen.scaleDownDelayRevisionLimit;
    if (typeof limit === 'number' && history < limit) {
      errors.push(
        invalid(
          'spec.strategy.scaleDownDelayRevisionLimit',
          limit,
          "This rollout's revision history limit can not be smaller than the rollout's scale down limit",
        ),
      );
    }
  } else if (canary) {
    errors.push(...canaryErrors(canary));
  }
  return errors;
}

function canaryErrors(canary: Json): FieldError[] {
  const errors: FieldError[] = [];
  const path = 'spec.strategy';
  if (intOrPercentIsZero(canary.maxSurge, '25%') && intOrPercentIsZero(canary.maxUnavailable, '25%')) {
    errors.push(
      invalid(`${path}.maxSurge`, canary.maxSurge, 'MaxSurge and MaxUnavailable both can not be zero'),
    );
  }
  if (canary.canaryService && canary.stableService && canary.canaryService === canary.stableService) {
    errors.push(
      invalid(
        `${path}.stableService`,
        canary.stableService,
        'This rollout uses the same service for the stable and canary services, but two different services are required.',
      ),
    );
  }
  const routing = obj(canary.trafficRouting);
  const needsServices =
    routing !== undefined &&
    ((routing.alb && !canary.pingPong) ||
      (routing.istio && !obj(routing.istio)?.destinationRule && !canary.pingPong) ||
      routing.smi ||
      routing.apisix ||
      routing.ambassador ||
      routing.nginx ||
      routing.appMesh ||
      routing.traefik);
  if (needsServices) {
    const message = 'Canary service and Stable service must to be set to use Traffic Routing';
    if (!canary.stableService) errors.push(invalid(`${path}.stableService`, '', message));
    if (!canary.canaryService) errors.push(invalid(`${path}.canaryService`, '', message));
  }
  if (!routing) {
    if (canary.scaleDownDelaySeconds !== undefined) {
      errors.push(
        invalid(
          `${path}.scaleDownDelaySeconds`,
          canary.scaleDownDelaySeconds,
          'Canary scaleDownDelaySeconds can only be used with traffic routing',
        ),
      );
    }
    if (canary.dynamicStableScale === true) {
      errors.push(
        invalid(
          `${path}.dynamicStableScale`,
          true,
          'Canary dynamicStableScale can only be used with traffic routing',
        ),
      );
    }
  } else {
    if (canary.scaleDownDelaySeconds !== undefined && canary.dynamicStableScale === true) {
      errors.push(
        invalid(
          `${path}.dynamicStableScale`,
          true,
          'Canary dynamicStableScale cannot be used with scaleDownDelaySeconds',
        ),
      );
    }
    if (routing.maxTrafficWeight !== undefined && !routing.nginx && !obj(routing.plugins)) {
      errors.push(
        invalid(
          `${path}.trafficRouting.maxTrafficWeight`,
          routing.maxTrafficWeight,
          'Canary maxTrafficWeight in traffic routing only supported in Nginx and Plugins',
        ),
      );
    }
  }
  const maxWeight = typeof routing?.maxTrafficWeight === 'number' ? routing.maxTrafficWeight : 100;
  const steps = Array.isArray(canary.steps) ? canary.steps : [];
  const stepMessage =
    'Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause';
  steps.forEach((raw, i) => {
    const step = obj(raw) ?? {};
    const at = `${path}.steps[${i}]`;
    const kinds = ['setWeight', 'pause', 'experiment', 'analysis'].filter((k) => step[k] !== undefined);
    if (kinds.length > 1) {
      errors.push(
        invalid(
          at,
          `step.Experiment: ${step.experiment !== undefined} step.Pause: ${step.pause !== undefined} step.SetWeight: ${step.setWeight !== undefined} step.Analysis: ${step.analysis !== undefined}`,
          stepMessage,
        ),
      );
    }
    const all = [
      'experiment',
      'pause',
      'setWeight',
      'analysis',
      'setCanaryScale',
      'setHeaderRoute',
      'setMirrorRoute',
      'plugin',
    ];
    if (all.every((k) => step[k] === undefined)) {
      errors.push(
        invalid(
          at,
          'step.Experiment: true step.Pause: true step.SetWeight: true step.Analysis: true step.SetCanaryScale: true step.SetHeaderRoute: true step.SetMirrorRoute: true step.Plugin: true',
          stepMessage,
        ),
      );
    }
    if (typeof step.setWeight === 'number' && (step.setWeight < 0 || step.setWeight > maxWeight)) {
      errors.push(
        invalid(`${at}.setWeight`, step.setWeight, `SetWeight needs to be between 0 and ${maxWeight}`),
      );
    }
    const pause = obj(step.pause);
    if (pause && pauseSeconds(pause.duration) < 0) {
      errors.push(
        invalid(`${at}.pause.duration`, pauseSeconds(pause.duration), 'Duration needs to be greater than 0'),
      );
    }
    if (step.setCanaryScale !== undefined && !routing) {
      errors.push(required(`${path}.trafficRouting`, 'SetCanaryScale requires TrafficRouting to be set'));
    }
    if (
      step.setHeaderRoute !== undefined &&
      (!routing || (!routing.istio && !routing.alb && !routing.apisix && !routing.plugins))
    ) {
      errors.push(
        invalid(
          `${at}.setHeaderRoute`,
          step.setHeaderRoute,
          'SetHeaderRoute requires TrafficRouting, supports Istio and ALB and Apisix',
        ),
      );
    }
    if (step.setMirrorRoute !== undefined && (!routing || (!routing.istio && !routing.plugins))) {
      errors.push(
        invalid(
          `${at}.setMirrorRoute`,
          step.setMirrorRoute,
          'SetMirrorRoute requires TrafficRouting, supports Istio and Plugins',
        ),
      );
    }
  });
  return errors;
}

export interface LintResult {
  /** Findings, in order; empty when the file is fine. */
  errors: FieldError[];
}

/**
 * Lints every Rollout in a (multi-document) YAML text. A decoding problem (bad YAML, an
 * unknown field) stops at once, as in Argo, and is thrown.
 */
export function lintText(text: string): LintResult {
  const errors: FieldError[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(doc.errors[0]?.message ?? 'invalid YAML');
    const value = obj(doc.toJS());
    if (!value) continue;
    const group = String(value.apiVersion ?? '').split('/')[0];
    if (group !== 'argoproj.io' || value.kind !== 'Rollout') continue;
    const field = unknownField(value.spec, RolloutSpecSchema);
    if (field)
      throw new Error(`error unmarshaling JSON: while decoding JSON: json: unknown field "${field}"`);
    const argo = argoRolloutErrors(value);
    errors.push(...argo);
    if (argo.length === 0) {
      const own = validateRollout(value as unknown as Rollout);
      if (own) errors.push({ field: '', body: own });
    }
  }
  return { errors };
}
