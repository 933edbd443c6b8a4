// Our Git-sync kinds (slipway.dev/v1alpha1). An ImageWatch says which image repository to watch,
// how to pick the tag to run, and which files to edit when it changes; a GitTarget says where
// those files live (repository, branch, credentials) and how changes land (commit or pull request).
// Many ImageWatches share one GitTarget, so every bump for a repository goes into one commit.
import { type Static, Type } from '@sinclair/typebox';
import { AGE_COLUMN, type KindDefinition, type PrinterColumn } from './kind-definition.js';
import {
  type Condition,
  Conditions,
  Int64,
  KindWithStatus,
  type NamespacedObject,
  StringEnum,
  Timestamp,
} from './schema-primitives.js';

export const SLIPWAY_GROUP = 'slipway.dev';
export const SLIPWAY_VERSION = 'v1alpha1';

const LocalSecretRef = (description: string) =>
  Type.Object(
    { name: Type.String({ description: 'Secret in the namespace of this object.' }) },
    { description },
  );

export const UPDATE_STRATEGIES = ['semver', 'digest', 'newest-build', 'alphabetical'] as const;
export type UpdateStrategy = (typeof UPDATE_STRATEGIES)[number];

export const ImagePolicySchema = Type.Object(
  {
    strategy: StringEnum(
      UPDATE_STRATEGIES,
      'semver: highest version matching semver.constraint; digest: follow the digest of the mutable tag digest.tag; newest-build: the tag whose image was built last; alphabetical: the last tag in lexical order.',
    ),
    semver: Type.Optional(
      Type.Object({
        constraint: Type.String({ description: 'A node-semver range, e.g. ">=1.2.0 <2" or "^1.4".' }),
        prereleases: Type.Optional(Type.Boolean({ description: 'Also consider pre-release versions.' })),
      }),
    ),
    digest: Type.Optional(
      Type.Object({ tag: Type.String({ description: 'The mutable tag to follow, e.g. "latest".' }) }),
    ),
    allowTags: Type.Optional(
      Type.String({ description: 'Only tags matching this regular expression are considered.' }),
    ),
    ignoreTags: Type.Optional(
      Type.Array(Type.String(), { description: 'Glob patterns (* and ?) of tags never taken.' }),
    ),
    minAge: Type.Optional(
      Type.String({
        description:
          'A tag is taken only once its image is this old (creation time of the image config), e.g. "30m", "24h".',
      }),
    ),
    allowDowngrade: Type.Optional(
      Type.Boolean({
        description:
          'Take a candidate that ranks below the current one (e.g. after its tag was deleted). Default false: the current one is kept and a DowngradeRefused Event says so.',
      }),
    ),
  },
  { description: 'How the tag to run is chosen.' },
);
export type ImagePolicy = Static<typeof ImagePolicySchema>;

export const YAML_VALUE_FORMATS = ['tag', 'digest', 'image'] as const;
export type YamlValueFormat = (typeof YAML_VALUE_FORMATS)[number];

export const WriteTargetSchema = Type.Object(
  {
    gitTarget: Type.String({ description: 'Name of the GitTarget (same namespace) holding the file.' }),
    path: Type.String({
      description:
        'Repository-relative file to edit; for argocdSourceOverride the directory of the application source.',
    }),
    kustomize: Type.Optional(
      Type.Object(
        {
          name: Type.Optional(
            Type.String({ description: 'The images[].name to set; default the watched image.' }),
          ),
        },
        { description: 'Set newTag (or digest) of an images entry of a kustomization.' },
      ),
    ),
    helm: Type.Optional(
      Type.Object(
        {
          imagePath: Type.Optional(Type.String({ description: 'A value holding the whole reference.' })),
          registryPath: Type.Optional(Type.String()),
          repositoryPath: Type.Optional(Type.String()),
          tagPath: Type.Optional(Type.String()),
          digestPath: Type.Optional(Type.String()),
        },
        { description: 'Image values of a Helm values file, split (repository/tag) or combined.' },
      ),
    ),
    yaml: Type.Optional(
      Type.Object(
        {
          path: Type.String({ description: 'e.g. spec.template.spec.containers[name=web].image' }),
          value: Type.Optional(
            StringEnum(
              YAML_VALUE_FORMATS,
              'What is written: the tag, the digest, or the whole image reference.',
            ),
          ),
          document: Type.Optional(
            Type.Object({
              index: Type.Optional(Type.Integer({ minimum: 0 })),
              kind: Type.Optional(Type.String()),
              name: Type.Optional(Type.String()),
              namespace: Type.Optional(Type.String()),
            }),
          ),
        },
        { description: 'Any scalar of a YAML file, by path.' },
      ),
    ),
    argocdSourceOverride: Type.Optional(
      Type.Object(
        {
          application: Type.String({
            description: 'The Argo CD Application; the file is .argocd-source-<app>.yaml.',
          }),
          helm: Type.Optional(
            Type.Object({
              imageParameter: Type.Optional(
                Type.String({ description: 'A parameter holding the whole reference.' }),
              ),
              repositoryParameter: Type.Optional(Type.String()),
              tagParameter: Type.Optional(Type.String()),
            }),
          ),
        },
        {
          description:
            'An Argo CD parameter override file: Helm parameters, or kustomize images when helm is absent.',
        },
      ),
    ),
  },
  {
    description:
      'One file to edit when the image changes; exactly one of kustomize, helm, yaml, argocdSourceOverride.',
  },
);
export type WriteTarget = Static<typeof WriteTargetSchema>;

export const MANUAL_CHANGE_POLICIES = ['respect', 'overwrite'] as const;
export type ManualChangePolicy = (typeof MANUAL_CHANGE_POLICIES)[number];

export const ImageWatchSpecSchema = Type.Object({
  image: Type.String({ description: 'The image repository to watch, without tag: ghcr.io/acme/web.' }),
  pullSecret: Type.Optional(
    LocalSecretRef('A kubernetes.io/dockerconfigjson Secret with registry credentials.'),
  ),
  insecure: Type.Optional(
    Type.Boolean({ description: 'Talk to the registry over plain HTTP (loopback registries always do).' }),
  ),
  platform: Type.Optional(
    Type.String({
      description:
        'os/arch[/variant]: only tags with an image for it are taken (others are skipped), and build times are read from it; unset: any tag, build times of linux/amd64.',
    }),
  ),
  interval: Type.Optional(Type.String({ description: 'How often the registry is polled; default "2m".' })),
  suspend: Type.Optional(
    Type.Boolean({
      description:
        'Pin what Git holds now: no registry checks and nothing written while true (Ready reason Suspended).',
    }),
  ),
  policy: ImagePolicySchema,
  manualChanges: Type.Optional(
    StringEnum(
      MANUAL_CHANGE_POLICIES,
      'A managed line changed in Git by someone else after we wrote it (a manual rollback), or during a push conflict. respect (default): keep it, report it (Event ManualChange, Ready reason ManualChangeKept), and write again only for a new candidate. overwrite: write the candidate back, with the Event.',
    ),
  ),
  targets: Type.Array(WriteTargetSchema, { description: 'The files to edit.' }),
});
export type ImageWatchSpec = Static<typeof ImageWatchSpecSchema>;

/** ManualChange: a person changed the managed line in Git; kept, as spec.manualChanges says. */
export const WRITE_STATES = ['Applied', 'Pending', 'Failed', 'ManualChange'] as const;
export type WriteState = (typeof WRITE_STATES)[number];

export const ImageWatchStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Int64()),
  lastCheckedAt: Type.Optional(Timestamp('When the registry was last asked.')),
  latest: Type.Optional(
    Type.Object(
      {
        tag: Type.Optional(Type.String()),
        digest: Type.Optional(Type.String()),
        createdAt: Type.Optional(Timestamp('Creation time of the image (its config blob).')),
        image: Type.String({ description: 'The reference written to Git.' }),
      },
      { description: 'The candidate the policy picked at the last check.' },
    ),
  ),
  writes: Type.Optional(
    Type.Array(
      Type.Object({
        gitTarget: Type.String(),
        path: Type.String(),
        state: StringEnum(WRITE_STATES),
        image: Type.Optional(Type.String({ description: 'The reference this state is about.' })),
        commit: Type.Optional(Type.String({ description: 'The commit that carried the change.' })),
        message: Type.Optional(Type.String()),
        updatedAt: Type.Optional(Timestamp()),
      }),
      { description: 'Per target: is the latest candidate in Git? Written by the repository sync.' },
    ),
  ),
  conditions: Conditions(),
});
export type ImageWatchStatus = Static<typeof ImageWatchStatusSchema>;

export const ImageWatchSchema = KindWithStatus(
  'ImageWatch: watches an image repository and writes the tag its policy picks to files in Git.',
  ImageWatchSpecSchema,
  ImageWatchStatusSchema,
);

export const GIT_WRITE_MODES = ['commit', 'pull-request'] as const;
export type GitWriteMode = (typeof GIT_WRITE_MODES)[number];

export const SIGNING_METHODS = ['gpg', 'ssh'] as const;
export type SigningMethod = (typeof SIGNING_METHODS)[number];

export const GitTargetSpecSchema = Type.Object({
  url: Type.String({ description: 'Clone URL: https://, http://, ssh://, git@host:path or file://.' }),
  branch: Type.String({ description: 'The branch Argo CD tracks (or the base branch of pull requests).' }),
  secretRef: Type.Optional(
    LocalSecretRef(
      'Credentials: `password` (a token; `username` optional) for HTTP(S), or `sshPrivateKey` (`knownHosts` optional) for SSH.',
    ),
  ),
  mode: Type.Optional(
    StringEnum(GIT_WRITE_MODES, 'commit (default): push to the branch; pull-request: propose on a branch.'),
  ),
  pullRequest: Type.Optional(
    Type.Object({
      branch: Type.Optional(
        Type.String({ description: 'Head branch of the pull request; default slipway/bump/<GitTarget>.' }),
      ),
      title: Type.Optional(Type.String()),
      labels: Type.Optional(Type.Array(Type.String(), { description: 'Set on the pull request.' })),
      autoMerge: Type.Optional(
        Type.Boolean({ description: 'Merge the pull request as soon as the host allows it.' }),
      ),
      mergeMethod: Type.Optional(StringEnum(['merge', 'squash', 'rebase'] as const)),
      scm: Type.Optional(
        Type.Object(
          {
            provider: StringEnum(['github', 'gitea'] as const),
            owner: Type.String(),
            repository: Type.String(),
            apiUrl: Type.Optional(
              Type.String({ description: 'Default https://api.github.com for github; required for gitea.' }),
            ),
            secretRef: LocalSecretRef(
              'Key `token` (a PAT), or for a GitHub App `appId`, `installationId` and `privateKey`.',
            ),
          },
          { description: 'Where the pull request is opened (required in pull-request mode).' },
        ),
      ),
    }),
  ),
  writeBranch: Type.Optional(
    Type.String({
      description:
        'commit mode: push to this branch instead of spec.branch (read from spec.branch, rebuilt from it with the edits, force-pushed).',
    }),
  ),
  author: Type.Optional(
    Type.Object(
      { name: Type.String(), email: Type.String() },
      { description: 'Default Slipway <slipway@slipway.dev>.' },
    ),
  ),
  commitMessage: Type.Optional(
    Type.String({
      description:
        'Template of subject and body: {{summary}}, {{count}}, {{images}}, {{changes}}, {{branch}}. Slipway-* trailers are always appended.',
    }),
  ),
  signing: Type.Optional(
    Type.Object(
      {
        method: StringEnum(SIGNING_METHODS),
        secretRef: LocalSecretRef('Key `signingKey`: an armored GPG private key or an SSH private key.'),
      },
      { description: 'Sign commits with git (commit.gpgsign).' },
    ),
  ),
});
export type GitTargetSpec = Static<typeof GitTargetSpecSchema>;

export const GitTargetStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Int64()),
  lastSyncedAt: Type.Optional(Timestamp()),
  head: Type.Optional(Type.String({ description: 'The branch head after the last sync.' })),
  lastPushedCommit: Type.Optional(Type.String()),
  lastPushedAt: Type.Optional(Timestamp()),
  pullRequest: Type.Optional(
    Type.Object(
      { number: Type.Integer(), url: Type.String(), merged: Type.Optional(Type.Boolean()) },
      { description: 'pull-request mode: the pull request carrying the latest edits.' },
    ),
  ),
  conditions: Conditions(),
});
export type GitTargetStatus = Static<typeof GitTargetStatusSchema>;

export const GitTargetSchema = KindWithStatus(
  'GitTarget: a repository branch that ImageWatches write to, with credentials and commit settings.',
  GitTargetSpecSchema,
  GitTargetStatusSchema,
);

export type StatusCondition = Static<ReturnType<typeof Condition>>;

export type ImageWatch = NamespacedObject<ImageWatchSpec, ImageWatchStatus>;

export type GitTarget = NamespacedObject<GitTargetSpec, GitTargetStatus>;

const readyColumn: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
};

export const IMAGE_WATCH_KIND: KindDefinition = {
  group: SLIPWAY_GROUP,
  version: SLIPWAY_VERSION,
  kind: 'ImageWatch',
  plural: 'imagewatches',
  singular: 'imagewatch',
  shortNames: ['iw'],
  scope: 'Namespaced',
  schema: ImageWatchSchema,
  statusSubresource: true,
  printerColumns: [
    { name: 'Image', type: 'string', jsonPath: '.spec.image' },
    { name: 'Strategy', type: 'string', jsonPath: '.spec.policy.strategy' },
    { name: 'Latest', type: 'string', jsonPath: '.status.latest.image', description: 'The candidate picked' },
    {
      name: 'In Git',
      type: 'string',
      jsonPath: '.status.writes[?(@.state=="Applied")].image',
      description: 'What the targets declare in Git (what Argo CD runs once synced), not just the candidate',
    },
    {
      name: 'Commit',
      type: 'string',
      jsonPath: '.status.writes[?(@.state=="Applied")].commit',
      description: 'The commit that wrote it',
    },
    readyColumn,
    { name: 'Checked', type: 'date', jsonPath: '.status.lastCheckedAt' },
    AGE_COLUMN,
  ],
};

export const GIT_TARGET_KIND: KindDefinition = {
  group: SLIPWAY_GROUP,
  version: SLIPWAY_VERSION,
  kind: 'GitTarget',
  plural: 'gittargets',
  singular: 'gittarget',
  shortNames: ['gt'],
  scope: 'Namespaced',
  schema: GitTargetSchema,
  statusSubresource: true,
  printerColumns: [
    { name: 'URL', type: 'string', jsonPath: '.spec.url' },
    { name: 'Branch', type: 'string', jsonPath: '.spec.branch' },
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
    {
      name: 'Pushed',
      type: 'string',
      jsonPath: '.status.lastPushedCommit',
      description: 'Last commit pushed',
    },
    {
      name: 'Pull Request',
      type: 'string',
      jsonPath: '.status.pullRequest.url',
      description: 'pull-request mode: the open pull request',
    },
    readyColumn,
    AGE_COLUMN,
  ],
};
