// Rollout (argoproj.io/v1alpha1) with Argo Rollouts' field names. Strategy, steps and
// status are modelled field by field; traffic-router objects keep unmodelled fields so
// that manifests written for any Argo Rollouts release survive the API server's pruning.
import { type Static, Type } from '@sinclair/typebox';
import { AnalysisTemplateRefSchema, ArgumentSchema } from './analysis.js';
import { ExperimentAnalysisSchema } from './experiment.js';
import {
  Conditions,
  Int32,
  IntOrString,
  KindWithStatus,
  LabelSelector,
  LabelsAndAnnotations,
  OpenObject,
  OpenObjectOf,
  PodTemplateSpec,
  StringEnum,
  StringMap,
  Timestamp,
} from './schema-primitives.js';

/** The analysis a rollout runs: templates plus arguments, as in steps and blue-green hooks. */
export const RolloutAnalysisSchema = Type.Object({
  templates: Type.Optional(Type.Array(AnalysisTemplateRefSchema)),
  templateName: Type.Optional(Type.String({ description: 'Deprecated single-template form.' })),
  clusterScope: Type.Optional(Type.Boolean()),
  args: Type.Optional(Type.Array(ArgumentSchema)),
  dryRun: Type.Optional(Type.Array(Type.Object({ metricName: Type.String() }))),
  measurementRetention: Type.Optional(Type.Array(Type.Object({ metricName: Type.String(), limit: Int32() }))),
  analysisRunMetadata: Type.Optional(LabelsAndAnnotations()),
});
export type RolloutAnalysis = Static<typeof RolloutAnalysisSchema>;

const AntiAffinitySchema = Type.Object({
  preferredDuringSchedulingIgnoredDuringExecution: Type.Optional(Type.Object({ weight: Int32() })),
  requiredDuringSchedulingIgnoredDuringExecution: Type.Optional(Type.Object({})),
});

const StringMatchSchema = Type.Object({
  exact: Type.Optional(Type.String()),
  prefix: Type.Optional(Type.String()),
  regex: Type.Optional(Type.String()),
});

const ExperimentStepSchema = Type.Object({
  duration: Type.Optional(Type.String()),
  templates: Type.Array(
    Type.Object({
      name: Type.String(),
      specRef: StringEnum(['canary', 'stable'] as const),
      replicas: Type.Optional(Int32()),
      weight: Type.Optional(Int32()),
      metadata: Type.Optional(LabelsAndAnnotations()),
      selector: Type.Optional(LabelSelector()),
      service: Type.Optional(Type.Object({ name: Type.Optional(Type.String()) })),
    }),
  ),
  analyses: Type.Optional(Type.Array(ExperimentAnalysisSchema)),
  dryRun: Type.Optional(Type.Array(Type.Object({ metricName: Type.String() }))),
  analysisRunMetadata: Type.Optional(LabelsAndAnnotations()),
  scaleDownDelaySeconds: Type.Optional(Int32('How long experiment pods stay after it ends; default 30.')),
});

/** One canary step. Exactly one field is set; see `stepKind` for the discriminated view. */
export const CanaryStepSchema = Type.Object({
  setWeight: Type.Optional(Int32('Percentage of traffic (or pods, without a router) sent to the canary.')),
  pause: Type.Optional(
    Type.Object({
      duration: Type.Optional(IntOrString('Seconds, or a duration such as 1h; unset = indefinite.')),
    }),
  ),
  experiment: Type.Optional(ExperimentStepSchema),
  analysis: Type.Optional(RolloutAnalysisSchema),
  setCanaryScale: Type.Optional(
    Type.Object({
      weight: Type.Optional(Int32()),
      replicas: Type.Optional(Int32()),
      matchTrafficWeight: Type.Optional(Type.Boolean()),
    }),
  ),
  setHeaderRoute: Type.Optional(
    Type.Object({
      name: Type.String(),
      match: Type.Optional(
        Type.Array(Type.Object({ headerName: Type.String(), headerValue: StringMatchSchema })),
      ),
    }),
  ),
  setMirrorRoute: Type.Optional(
    Type.Object({
      name: Type.String(),
      match: Type.Optional(Type.Array(OpenObject('Method, path and header matches.'))),
      percentage: Type.Optional(Int32()),
    }),
  ),
  plugin: Type.Optional(Type.Object({ name: Type.String(), config: Type.Optional(OpenObject()) })),
});
export type CanaryStep = Static<typeof CanaryStepSchema>;

export const TrafficRoutingSchema = OpenObjectOf({
  maxTrafficWeight: Type.Optional(Int32('Total weight; default 100.')),
  managedRoutes: Type.Optional(Type.Array(Type.Object({ name: Type.String() }))),
  istio: Type.Optional(
    OpenObjectOf({
      virtualService: Type.Optional(
        OpenObjectOf({ name: Type.String(), routes: Type.Optional(Type.Array(Type.String())) }),
      ),
      virtualServices: Type.Optional(
        Type.Array(OpenObjectOf({ name: Type.String(), routes: Type.Optional(Type.Array(Type.String())) })),
      ),
      destinationRule: Type.Optional(
        Type.Object({
          name: Type.String(),
          canarySubsetName: Type.String(),
          stableSubsetName: Type.String(),
        }),
      ),
    }),
  ),
  nginx: Type.Optional(
    OpenObjectOf({
      stableIngress: Type.Optional(Type.String()),
      stableIngresses: Type.Optional(Type.Array(Type.String())),
      annotationPrefix: Type.Optional(Type.String()),
      additionalIngressAnnotations: Type.Optional(StringMap()),
      canaryIngressAnnotations: Type.Optional(StringMap()),
    }),
  ),
  alb: Type.Optional(
    OpenObjectOf({
      ingress: Type.Optional(Type.String()),
      ingresses: Type.Optional(Type.Array(Type.String())),
      servicePort: Type.Optional(Int32()),
      rootService: Type.Optional(Type.String()),
      annotationPrefix: Type.Optional(Type.String()),
    }),
  ),
  smi: Type.Optional(
    OpenObjectOf({
      rootService: Type.Optional(Type.String()),
      trafficSplitName: Type.Optional(Type.String()),
    }),
  ),
  ambassador: Type.Optional(OpenObjectOf({ mappings: Type.Array(Type.String()) })),
  traefik: Type.Optional(OpenObjectOf({ weightedTraefikServiceName: Type.String() })),
  apisix: Type.Optional(OpenObjectOf({ route: Type.Optional(OpenObjectOf({ name: Type.String() })) })),
  appMesh: Type.Optional(OpenObject()),
  plugins: Type.Optional(OpenObject()),
});
export type TrafficRouting = Static<typeof TrafficRoutingSchema>;

export const CanaryStrategySchema = Type.Object({
  canaryService: Type.Optional(Type.String()),
  stableService: Type.Optional(Type.String()),
  steps: Type.Optional(Type.Array(CanaryStepSchema)),
  trafficRouting: Type.Optional(TrafficRoutingSchema),
  maxUnavailable: Type.Optional(IntOrString('Default 25%.')),
  maxSurge: Type.Optional(IntOrString('Default 25%.')),
  analysis: Type.Optional(
    Type.Composite([RolloutAnalysisSchema, Type.Object({ startingStep: Type.Optional(Int32()) })]),
  ),
  antiAffinity: Type.Optional(AntiAffinitySchema),
  canaryMetadata: Type.Optional(LabelsAndAnnotations()),
  stableMetadata: Type.Optional(LabelsAndAnnotations()),
  scaleDownDelaySeconds: Type.Optional(Int32()),
  scaleDownDelayRevisionLimit: Type.Optional(Int32()),
  abortScaleDownDelaySeconds: Type.Optional(Int32('Default 30.')),
  dynamicStableScale: Type.Optional(Type.Boolean()),
  minPodsPerReplicaSet: Type.Optional(Int32()),
  pingPong: Type.Optional(Type.Object({ pingService: Type.String(), pongService: Type.String() })),
  replicaProgressThreshold: Type.Optional(
    Type.Object({ type: StringEnum(['Pod', 'Percent'] as const), value: Int32() }),
  ),
});
export type CanaryStrategy = Static<typeof CanaryStrategySchema>;

export const BlueGreenStrategySchema = Type.Object({
  activeService: Type.String(),
  previewService: Type.Optional(Type.String()),
  previewReplicaCount: Type.Optional(Int32()),
  autoPromotionEnabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
  autoPromotionSeconds: Type.Optional(Int32()),
  maxUnavailable: Type.Optional(IntOrString()),
  scaleDownDelaySeconds: Type.Optional(Int32('Default 30.')),
  scaleDownDelayRevisionLimit: Type.Optional(Int32()),
  abortScaleDownDelaySeconds: Type.Optional(Int32('Default 30.')),
  prePromotionAnalysis: Type.Optional(RolloutAnalysisSchema),
  postPromotionAnalysis: Type.Optional(RolloutAnalysisSchema),
  antiAffinity: Type.Optional(AntiAffinitySchema),
  previewMetadata: Type.Optional(LabelsAndAnnotations()),
  activeMetadata: Type.Optional(LabelsAndAnnotations()),
});
export type BlueGreenStrategy = Static<typeof BlueGreenStrategySchema>;

export const RolloutSpecSchema = Type.Object({
  replicas: Type.Optional(Int32('Desired pods; default 1.')),
  selector: Type.Optional(LabelSelector()),
  template: Type.Optional(PodTemplateSpec()),
  workloadRef: Type.Optional(
    Type.Object({
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      name: Type.Optional(Type.String()),
      scaleDown: Type.Optional(StringEnum(['never', 'onsuccess', 'progressively'] as const)),
    }),
  ),
  minReadySeconds: Type.Optional(Int32()),
  revisionHistoryLimit: Type.Optional(Int32('Old ReplicaSets kept; default 10.')),
  paused: Type.Optional(Type.Boolean()),
  progressDeadlineSeconds: Type.Optional(Int32('Default 600.')),
  progressDeadlineAbort: Type.Optional(Type.Boolean()),
  restartAt: Type.Optional(Timestamp()),
  rollbackWindow: Type.Optional(Type.Object({ revisions: Type.Optional(Int32()) })),
  analysis: Type.Optional(
    Type.Object({
      successfulRunHistoryLimit: Type.Optional(Int32()),
      unsuccessfulRunHistoryLimit: Type.Optional(Int32()),
    }),
  ),
  strategy: Type.Object({
    canary: Type.Optional(CanaryStrategySchema),
    blueGreen: Type.Optional(BlueGreenStrategySchema),
  }),
});
export type RolloutSpec = Static<typeof RolloutSpecSchema>;

export const PAUSE_REASONS = [
  'CanaryPauseStep',
  'BlueGreenPause',
  'InconclusiveAnalysisRun',
  'InconclusiveExperiment',
] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

export const ROLLOUT_PHASES = ['Healthy', 'Progressing', 'Paused', 'Degraded'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

const RolloutAnalysisRunStatusSchema = Type.Object({
  name: Type.String(),
  status: Type.String(),
  message: Type.Optional(Type.String()),
});

export const RolloutStatusSchema = Type.Object({
  abort: Type.Optional(Type.Boolean()),
  abortedAt: Type.Optional(Timestamp()),
  pauseConditions: Type.Optional(
    Type.Array(Type.Object({ reason: StringEnum(PAUSE_REASONS), startTime: Timestamp() })),
  ),
  controllerPause: Type.Optional(Type.Boolean()),
  promoteFull: Type.Optional(Type.Boolean()),
  currentPodHash: Type.Optional(Type.String()),
  currentStepHash: Type.Optional(Type.String()),
  currentStepIndex: Type.Optional(Int32()),
  stableRS: Type.Optional(Type.String()),
  replicas: Type.Optional(Int32()),
  updatedReplicas: Type.Optional(Int32()),
  readyReplicas: Type.Optional(Int32()),
  availableReplicas: Type.Optional(Int32()),
  HPAReplicas: Type.Optional(Int32()),
  selector: Type.Optional(Type.String()),
  collisionCount: Type.Optional(Int32()),
  observedGeneration: Type.Optional(Type.String({ description: 'A string, as Argo Rollouts writes it.' })),
  restartedAt: Type.Optional(Timestamp()),
  workloadObservedGeneration: Type.Optional(Type.String()),
  promoteFullAt: Type.Optional(Timestamp()),
  phase: Type.Optional(StringEnum(ROLLOUT_PHASES)),
  message: Type.Optional(Type.String()),
  conditions: Conditions(),
  canary: Type.Optional(
    Type.Object({
      currentStepAnalysisRunStatus: Type.Optional(RolloutAnalysisRunStatusSchema),
      currentBackgroundAnalysisRunStatus: Type.Optional(RolloutAnalysisRunStatusSchema),
      currentExperiment: Type.Optional(Type.String()),
      weights: Type.Optional(
        Type.Object({
          canary: Type.Object({
            weight: Int32(),
            podTemplateHash: Type.Optional(Type.String()),
            serviceName: Type.Optional(Type.String()),
          }),
          stable: Type.Object({
            weight: Int32(),
            podTemplateHash: Type.Optional(Type.String()),
            serviceName: Type.Optional(Type.String()),
          }),
          additional: Type.Optional(Type.Array(OpenObject())),
          verified: Type.Optional(Type.Boolean()),
        }),
      ),
      stablePingPong: Type.Optional(Type.String()),
    }),
  ),
  blueGreen: Type.Optional(
    Type.Object({
      activeSelector: Type.Optional(Type.String()),
      previewSelector: Type.Optional(Type.String()),
      scaleUpPreviewCheckPoint: Type.Optional(Type.Boolean()),
      prePromotionAnalysisRunStatus: Type.Optional(RolloutAnalysisRunStatusSchema),
      postPromotionAnalysisRunStatus: Type.Optional(RolloutAnalysisRunStatusSchema),
    }),
  ),
  alb: Type.Optional(OpenObject()),
  albs: Type.Optional(Type.Array(OpenObject())),
});
export type RolloutStatus = Static<typeof RolloutStatusSchema>;

export const RolloutSchema = KindWithStatus(
  'Rollout replaces a Deployment with canary and blue-green update strategies.',
  RolloutSpecSchema,
  RolloutStatusSchema,
);
export type Rollout = Static<typeof RolloutSchema>;
