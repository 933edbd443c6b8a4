// PromotionPipeline (slipway.dev/v1alpha1): an ordered list of environments one image moves
// through. Each environment names the file in Git that pins its image (a GitTarget + path + editor,
// as an ImageWatch target does), the Argo CD Application that syncs it, the Rollouts that prove it,
// how a promotion lands in it (commit or pull request) and the gates for leaving it. Git-sync turns
// Rollout outcomes into decisions (promote, rollback, hold, release-pause) and records each one in
// Git (commit trailers, pull requests) and in this object's status.
import { type Static, Type } from '@sinclair/typebox';
import { GIT_WRITE_MODES, SLIPWAY_GROUP, SLIPWAY_VERSION, WriteTargetSchema } from './gitsync.js';
import { AGE_COLUMN, type KindDefinition } from './kind-definition.js';
import { APPROVE_ANNOTATION_PREFIX, RELEASE_HOLD_ANNOTATION, RELEASE_PAUSE_ANNOTATION } from './labels.js';
import {
  Conditions,
  Int64,
  KindWithStatus,
  type NamespacedObject,
  StringEnum,
  Timestamp,
} from './schema-primitives.js';

export const SCM_PROVIDERS = ['github', 'gitea'] as const;
export type ScmProviderKind = (typeof SCM_PROVIDERS)[number];

export const DECISION_TYPES = ['promote', 'rollback', 'hold', 'release', 'release-pause'] as const;
export type DecisionType = (typeof DECISION_TYPES)[number];

const RolloutRefSchema = Type.Object({
  name: Type.String(),
  namespace: Type.Optional(Type.String({ description: 'Default: the namespace of the pipeline.' })),
  container: Type.Optional(
    Type.String({ description: 'The container running the image; default the one running spec.image.' }),
  ),
});
export type RolloutRef = Static<typeof RolloutRefSchema>;

export const GatesSchema = Type.Object(
  {
    analysis: Type.Optional(
      Type.Boolean({
        description:
          'Default true: every AnalysisRun of the completed revision must be Successful (none is fine).',
      }),
    ),
    soak: Type.Optional(
      Type.String({ description: 'How long the rollout must stay Healthy before leaving, e.g. "30m".' }),
    ),
    approval: Type.Optional(
      Type.Boolean({
        description: `A person must approve: annotation ${APPROVE_ANNOTATION_PREFIX}<environment>: <image> on the pipeline.`,
      }),
    ),
  },
  { description: 'Gates for leaving this environment; the rollout must always complete Healthy.' },
);
export type Gates = Static<typeof GatesSchema>;

export const EnvironmentSchema = Type.Object({
  name: Type.String({ description: 'e.g. dev, staging, prod; unique in the pipeline.' }),
  target: WriteTargetSchema,
  application: Type.Optional(
    Type.Object(
      {
        name: Type.String(),
        url: Type.Optional(Type.String({ description: 'Link to the Application in the Argo CD UI.' })),
      },
      { description: 'The Argo CD Application that syncs this environment (for links).' },
    ),
  ),
  rollouts: Type.Array(RolloutRefSchema, { description: 'The Rollouts that prove this environment.' }),
  mode: Type.Optional(
    StringEnum(GIT_WRITE_MODES, 'How a promotion into this environment lands; default commit.'),
  ),
  gates: Type.Optional(GatesSchema),
  pauseRelease: Type.Optional(
    Type.Object(
      {
        gitTarget: Type.String(),
        path: Type.String({ description: 'The file holding the Rollout manifest.' }),
        rollout: Type.Optional(
          Type.String({ description: 'The Rollout (document) name; default the first.' }),
        ),
      },
      {
        description: `Open a pull request setting metadata.annotations["${RELEASE_PAUSE_ANNOTATION}"] when a Rollout waits at an indefinite pause; merging it releases the pause.`,
      },
    ),
  ),
});
export type Environment = Static<typeof EnvironmentSchema>;

export const ScmSchema = Type.Object(
  {
    provider: StringEnum(SCM_PROVIDERS),
    owner: Type.String(),
    repository: Type.String(),
    apiUrl: Type.Optional(
      Type.String({ description: 'Default https://api.github.com for github; required for gitea.' }),
    ),
    secretRef: Type.Object(
      { name: Type.String() },
      {
        description: 'Key `token` (a PAT), or for a GitHub App `appId`, `installationId` and `privateKey`.',
      },
    ),
    labels: Type.Optional(Type.Array(Type.String(), { description: 'Added to every pull request.' })),
    mergeMethod: Type.Optional(StringEnum(['merge', 'squash', 'rebase'] as const)),
  },
  { description: 'Where pull requests are opened.' },
);
export type ScmSpec = Static<typeof ScmSchema>;

export const PromotionPipelineSpecSchema = Type.Object({
  image: Type.String({ description: 'The image repository promoted, without tag: ghcr.io/acme/web.' }),
  environments: Type.Array(EnvironmentSchema, { minItems: 1, description: 'In promotion order.' }),
  scm: Type.Optional(ScmSchema),
});
export type PromotionPipelineSpec = Static<typeof PromotionPipelineSpecSchema>;

export const DecisionRecordSchema = Type.Object({
  type: StringEnum(DECISION_TYPES),
  environment: Type.String(),
  image: Type.String({ description: 'The image written (promote, rollback) or held/released.' }),
  from: Type.Optional(Type.String({ description: 'The image it replaced, or the failed image.' })),
  rollout: Type.Optional(Type.String({ description: 'namespace/name of the Rollout that decided it.' })),
  revision: Type.Optional(Type.String()),
  analysis: Type.Optional(Type.String()),
  reason: Type.String(),
  at: Timestamp(),
  commit: Type.Optional(Type.String()),
  pullRequest: Type.Optional(Type.String({ description: 'URL of the pull request.' })),
});
export type DecisionRecord = Static<typeof DecisionRecordSchema>;

export const ENVIRONMENT_STATES = ['Unknown', 'Progressing', 'Paused', 'Healthy', 'Failed'] as const;
export type EnvironmentState = (typeof ENVIRONMENT_STATES)[number];

export const EnvironmentStatusSchema = Type.Object({
  name: Type.String(),
  state: StringEnum(ENVIRONMENT_STATES),
  image: Type.Optional(Type.String({ description: 'The image the Rollouts run (spec).' })),
  desiredImage: Type.Optional(Type.String({ description: 'The image Slipway last wrote to Git here.' })),
  stableImage: Type.Optional(Type.String({ description: 'The last image seen completed Healthy.' })),
  healthySince: Type.Optional(Timestamp()),
  waiting: Type.Optional(Type.String({ description: 'Which gate holds a promotion out of here.' })),
  pullRequest: Type.Optional(
    Type.Object({
      kind: StringEnum(['promote', 'rollback', 'release-pause'] as const),
      image: Type.String(),
      number: Type.Integer(),
      url: Type.String(),
      key: Type.Optional(Type.String({ description: 'Revision/step a release-pause PR is for.' })),
    }),
  ),
});
export type EnvironmentStatus = Static<typeof EnvironmentStatusSchema>;

export const HeldImageSchema = Type.Object({
  image: Type.String(),
  environment: Type.String(),
  reason: Type.String(),
  since: Timestamp(),
});
export type HeldImage = Static<typeof HeldImageSchema>;

export const PromotionPipelineStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Int64()),
  environments: Type.Optional(Type.Array(EnvironmentStatusSchema)),
  held: Type.Optional(
    Type.Array(HeldImageSchema, {
      description: `Images not promoted or bumped again until released (${RELEASE_HOLD_ANNOTATION}).`,
    }),
  ),
  lastDecision: Type.Optional(DecisionRecordSchema),
  history: Type.Optional(Type.Array(DecisionRecordSchema, { description: 'Newest first, at most 20.' })),
  conditions: Conditions(),
});
export type PromotionPipelineStatus = Static<typeof PromotionPipelineStatusSchema>;

export const PromotionPipelineSchema = KindWithStatus(
  'PromotionPipeline: moves an image through environments on Rollout outcomes, writing every decision to Git.',
  PromotionPipelineSpecSchema,
  PromotionPipelineStatusSchema,
);

export type PromotionPipeline = NamespacedObject<PromotionPipelineSpec, PromotionPipelineStatus>;

export const PROMOTION_PIPELINE_KIND: KindDefinition = {
  group: SLIPWAY_GROUP,
  version: SLIPWAY_VERSION,
  kind: 'PromotionPipeline',
  plural: 'promotionpipelines',
  singular: 'promotionpipeline',
  shortNames: ['pp'],
  scope: 'Namespaced',
  schema: PromotionPipelineSchema,
  statusSubresource: true,
  printerColumns: [
    { name: 'Image', type: 'string', jsonPath: '.spec.image' },
    { name: 'Decision', type: 'string', jsonPath: '.status.lastDecision.type' },
    { name: 'Environment', type: 'string', jsonPath: '.status.lastDecision.environment' },
    { name: 'Decided', type: 'string', jsonPath: '.status.lastDecision.image' },
    AGE_COLUMN,
  ],
};
