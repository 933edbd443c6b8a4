// AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun (argoproj.io/v1alpha1) with
// Argo Rollouts' field names. Metric providers we implement are modelled; every provider
// object also keeps unmodelled fields so templates written for newer Argo versions survive.
import { type Static, Type } from '@sinclair/typebox';
import {
  Int32,
  IntOrString,
  JobSpec,
  KindWithoutStatus,
  KindWithStatus,
  LabelsAndAnnotations,
  OpenObject,
  OpenObjectOf,
  StringEnum,
  StringMap,
  Timestamp,
  UncheckedStringEnum,
} from './schema-primitives.js';

export const ArgumentSchema = Type.Object({
  name: Type.String(),
  value: Type.Optional(Type.String()),
  valueFrom: Type.Optional(
    Type.Object({
      secretKeyRef: Type.Optional(Type.Object({ name: Type.String(), key: Type.String() })),
      fieldRef: Type.Optional(Type.Object({ fieldPath: Type.String() })),
      podTemplateHashValue: Type.Optional(StringEnum(['Stable', 'Latest'] as const)),
    }),
  ),
});
export type Argument = Static<typeof ArgumentSchema>;

const HeaderList = () => Type.Array(Type.Object({ key: Type.String(), value: Type.String() }));

const PrometheusProvider = OpenObjectOf({
  address: Type.Optional(Type.String()),
  query: Type.Optional(Type.String()),
  timeout: Type.Optional(Type.Integer({ description: 'Query timeout in seconds.' })),
  insecure: Type.Optional(Type.Boolean()),
  headers: Type.Optional(HeaderList()),
  authentication: Type.Optional(OpenObject('sigv4 or oauth2 settings.')),
  rangeQuery: Type.Optional(
    Type.Object({
      start: Type.Optional(Type.String()),
      end: Type.Optional(Type.String()),
      step: Type.Optional(Type.String()),
    }),
  ),
});

const WebProvider = OpenObjectOf({
  method: Type.Optional(Type.String()),
  url: Type.String(),
  headers: Type.Optional(HeaderList()),
  body: Type.Optional(Type.String()),
  jsonBody: Type.Optional(OpenObject('A JSON body sent as is.')),
  timeoutSeconds: Type.Optional(Type.Integer()),
  jsonPath: Type.Optional(Type.String()),
  insecure: Type.Optional(Type.Boolean()),
  authentication: Type.Optional(OpenObject('oauth2 settings.')),
});

const JobProvider = Type.Object({
  metadata: Type.Optional(LabelsAndAnnotations()),
  spec: JobSpec(),
});

// The defaults are those of Argo's CRD (test/unit/api/crd-defaults.test.ts).
const DatadogProvider = OpenObjectOf({
  apiVersion: Type.Optional(Type.Unsafe<'v1' | 'v2'>({ type: 'string', enum: ['v1', 'v2'], default: 'v1' })),
  interval: Type.Optional(Type.String({ default: '5m' })),
  requestTimeout: Type.Optional(Type.String({ default: '10s' })),
  query: Type.Optional(Type.String()),
  queries: Type.Optional(StringMap()),
  formula: Type.Optional(Type.String()),
  aggregator: Type.Optional(Type.String()),
});

const NewRelicProvider = OpenObjectOf({
  profile: Type.Optional(Type.String()),
  query: Type.String(),
});

export const MetricProviderSchema = OpenObjectOf(
  {
    prometheus: Type.Optional(PrometheusProvider),
    web: Type.Optional(WebProvider),
    job: Type.Optional(JobProvider),
    datadog: Type.Optional(DatadogProvider),
    newRelic: Type.Optional(NewRelicProvider),
    kayenta: Type.Optional(OpenObject()),
    wavefront: Type.Optional(OpenObject()),
    cloudWatch: Type.Optional(OpenObject()),
    graphite: Type.Optional(OpenObject()),
    influxdb: Type.Optional(OpenObject()),
    skywalking: Type.Optional(OpenObject()),
    plugin: Type.Optional(OpenObject()),
  },
  'Exactly one provider is set.',
);
export type MetricProvider = Static<typeof MetricProviderSchema>;

export const MetricSchema = Type.Object({
  name: Type.String(),
  interval: Type.Optional(Type.String({ description: 'Duration between measurements, e.g. 5m.' })),
  initialDelay: Type.Optional(Type.String()),
  count: Type.Optional(IntOrString('Number of measurements; unset with an interval means until terminated.')),
  successCondition: Type.Optional(Type.String()),
  failureCondition: Type.Optional(Type.String()),
  failureLimit: Type.Optional(IntOrString('Failures tolerated; -1 disables the limit. Default 0.')),
  inconclusiveLimit: Type.Optional(IntOrString()),
  consecutiveErrorLimit: Type.Optional(IntOrString('Default 4.')),
  consecutiveSuccessLimit: Type.Optional(IntOrString()),
  provider: MetricProviderSchema,
});
export type Metric = Static<typeof MetricSchema>;

const DryRunSchema = Type.Object({ metricName: Type.String() });
const MeasurementRetentionSchema = Type.Object({ metricName: Type.String(), limit: Int32() });

export const AnalysisTemplateRefSchema = Type.Object({
  templateName: Type.String(),
  clusterScope: Type.Optional(Type.Boolean()),
});

export const AnalysisTemplateSpecSchema = Type.Object({
  metrics: Type.Optional(Type.Array(MetricSchema)),
  args: Type.Optional(Type.Array(ArgumentSchema)),
  dryRun: Type.Optional(Type.Array(DryRunSchema)),
  measurementRetention: Type.Optional(Type.Array(MeasurementRetentionSchema)),
  templates: Type.Optional(Type.Array(AnalysisTemplateRefSchema, { description: 'Nested templates.' })),
});

export const AnalysisTemplateSchema = KindWithoutStatus(
  'AnalysisTemplate holds metrics and their success criteria, instantiated as AnalysisRuns.',
  AnalysisTemplateSpecSchema,
);
export type AnalysisTemplate = Static<typeof AnalysisTemplateSchema>;

export const ClusterAnalysisTemplateSchema = KindWithoutStatus(
  'ClusterAnalysisTemplate is a cluster-scoped AnalysisTemplate.',
  AnalysisTemplateSpecSchema,
);
export type ClusterAnalysisTemplate = Static<typeof ClusterAnalysisTemplateSchema>;

export const ANALYSIS_PHASES = [
  'Pending',
  'Running',
  'Successful',
  'Failed',
  'Error',
  'Inconclusive',
] as const;
export type AnalysisPhase = (typeof ANALYSIS_PHASES)[number];

const MeasurementSchema = Type.Object({
  phase: UncheckedStringEnum(ANALYSIS_PHASES),
  message: Type.Optional(Type.String()),
  startedAt: Type.Optional(Timestamp()),
  finishedAt: Type.Optional(Timestamp()),
  resumeAt: Type.Optional(Timestamp()),
  value: Type.Optional(Type.String()),
  metadata: Type.Optional(StringMap()),
});
export type Measurement = Static<typeof MeasurementSchema>;

const MetricResultSchema = Type.Object({
  name: Type.String(),
  phase: UncheckedStringEnum(ANALYSIS_PHASES),
  measurements: Type.Optional(Type.Array(MeasurementSchema)),
  message: Type.Optional(Type.String()),
  count: Type.Optional(Int32()),
  successful: Type.Optional(Int32()),
  failed: Type.Optional(Int32()),
  inconclusive: Type.Optional(Int32()),
  error: Type.Optional(Int32()),
  consecutiveError: Type.Optional(Int32()),
  consecutiveSuccess: Type.Optional(Int32()),
  dryRun: Type.Optional(Type.Boolean()),
  metadata: Type.Optional(StringMap()),
});
export type MetricResult = Static<typeof MetricResultSchema>;

const RunSummarySchema = Type.Object({
  count: Type.Optional(Int32()),
  successful: Type.Optional(Int32()),
  failed: Type.Optional(Int32()),
  inconclusive: Type.Optional(Int32()),
  error: Type.Optional(Int32()),
});

export const AnalysisRunSpecSchema = Type.Object({
  metrics: Type.Array(MetricSchema),
  args: Type.Optional(Type.Array(ArgumentSchema)),
  terminate: Type.Optional(Type.Boolean()),
  dryRun: Type.Optional(Type.Array(DryRunSchema)),
  measurementRetention: Type.Optional(Type.Array(MeasurementRetentionSchema)),
  ttlStrategy: Type.Optional(
    Type.Object({
      secondsAfterCompletion: Type.Optional(Int32()),
      secondsAfterFailure: Type.Optional(Int32()),
      secondsAfterSuccess: Type.Optional(Int32()),
    }),
  ),
});

export const AnalysisRunStatusSchema = Type.Object({
  phase: Type.Optional(UncheckedStringEnum(ANALYSIS_PHASES)),
  message: Type.Optional(Type.String()),
  metricResults: Type.Optional(Type.Array(MetricResultSchema)),
  startedAt: Type.Optional(Timestamp()),
  completedAt: Type.Optional(Timestamp()),
  runSummary: Type.Optional(RunSummarySchema),
  dryRunSummary: Type.Optional(RunSummarySchema),
});

export const AnalysisRunSchema = KindWithStatus(
  'AnalysisRun is one execution of analysis metrics.',
  AnalysisRunSpecSchema,
  AnalysisRunStatusSchema,
);
export type AnalysisRun = Static<typeof AnalysisRunSchema>;
export type AnalysisRunStatus = Static<typeof AnalysisRunStatusSchema>;
