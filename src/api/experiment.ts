// Experiment (argoproj.io/v1alpha1): ReplicaSets run side by side for a duration, with
// analyses, as Argo Rollouts defines it.
import { type Static, Type } from '@sinclair/typebox';
import { ANALYSIS_PHASES, type AnalysisPhase, ArgumentSchema } from './analysis.js';
import {
  Conditions,
  Int32,
  KindWithStatus,
  LabelSelector,
  LabelsAndAnnotations,
  PodTemplateSpec,
  Timestamp,
  UncheckedStringEnum,
} from './schema-primitives.js';

/** An Experiment's phase is an AnalysisPhase in Argo's types too. */
export const EXPERIMENT_PHASES = ANALYSIS_PHASES;
export type ExperimentPhase = AnalysisPhase;

/** An analysis an Experiment runs (Argo's ExperimentAnalysisTemplateRef; a Rollout's experiment step names them the same way). */
export const ExperimentAnalysisSchema = Type.Object({
  name: Type.String(),
  templateName: Type.String(),
  clusterScope: Type.Optional(Type.Boolean()),
  args: Type.Optional(Type.Array(ArgumentSchema)),
  requiredForCompletion: Type.Optional(Type.Boolean()),
});

export const ExperimentSpecSchema = Type.Object({
  templates: Type.Array(
    Type.Object({
      name: Type.String(),
      replicas: Type.Optional(Int32('Default 1.')),
      minReadySeconds: Type.Optional(Int32()),
      selector: LabelSelector(),
      template: PodTemplateSpec(),
      service: Type.Optional(Type.Object({ name: Type.Optional(Type.String()) })),
    }),
  ),
  duration: Type.Optional(
    Type.String({ description: 'How long the experiment runs; unset = until terminated.' }),
  ),
  progressDeadlineSeconds: Type.Optional(Int32()),
  terminate: Type.Optional(Type.Boolean()),
  scaleDownDelaySeconds: Type.Optional(Int32()),
  analyses: Type.Optional(Type.Array(ExperimentAnalysisSchema)),
  dryRun: Type.Optional(Type.Array(Type.Object({ metricName: Type.String() }))),
  measurementRetention: Type.Optional(Type.Array(Type.Object({ metricName: Type.String(), limit: Int32() }))),
  analysisRunMetadata: Type.Optional(LabelsAndAnnotations()),
});

export const ExperimentStatusSchema = Type.Object({
  phase: Type.Optional(UncheckedStringEnum(EXPERIMENT_PHASES)),
  message: Type.Optional(Type.String()),
  availableAt: Type.Optional(Timestamp()),
  conditions: Conditions(),
  templateStatuses: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String(),
        replicas: Int32(),
        updatedReplicas: Int32(),
        readyReplicas: Int32(),
        availableReplicas: Int32(),
        collisionCount: Type.Optional(Int32()),
        status: Type.Optional(Type.String()),
        message: Type.Optional(Type.String()),
        lastTransitionTime: Type.Optional(Timestamp()),
        serviceName: Type.Optional(Type.String()),
        podTemplateHash: Type.Optional(Type.String()),
      }),
    ),
  ),
  analysisRuns: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String(),
        analysisRun: Type.String(),
        phase: UncheckedStringEnum(EXPERIMENT_PHASES),
        message: Type.Optional(Type.String()),
      }),
    ),
  ),
});

export const ExperimentSchema = KindWithStatus(
  'Experiment runs one or more ReplicaSets for a limited time, with analysis.',
  ExperimentSpecSchema,
  ExperimentStatusSchema,
);
export type Experiment = Static<typeof ExperimentSchema>;
