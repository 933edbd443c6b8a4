// The built-in triggers and templates, with the names, conditions and messages of Argo
// Rollouts' notification catalog (manifests/notifications). They apply when the ConfigMap does
// not define a trigger or template of the same name, so a user who only configures a service
// and subscribes gets Argo's messages; the ConfigMap's own entries always win. The shapes of a
// trigger and a template are here too, so the ConfigMap parser reads into them without a cycle.

export interface TriggerCondition {
  when?: string;
  send: string[];
  oncePer?: string;
  description?: string;
}

export interface WebhookTemplate {
  method?: string;
  path?: string;
  body?: string;
}

export interface NotificationTemplate {
  message?: string;
  email?: { subject?: string; body?: string };
  slack?: {
    username?: string;
    icon?: string;
    attachments?: string;
    blocks?: string;
    groupingKey?: string;
    notifyBroadcast?: boolean;
    deliveryPolicy?: string;
  };
  teams?: {
    template?: string;
    title?: string;
    summary?: string;
    text?: string;
    themeColor?: string;
    facts?: string;
    sections?: string;
    potentialAction?: string;
  };
  webhook?: Record<string, WebhookTemplate>;
  github?: {
    repoURLPath?: string;
    revisionPath?: string;
    status?: { state?: string; label?: string; targetURL?: string };
  };
}

const GREEN = '#18be52';
const RED = '#E01E5A';
const YELLOW = '#ECB22E';

const STRATEGY =
  '{{if .rollout.spec.strategy.blueGreen}}BlueGreen{{end}}{{if .rollout.spec.strategy.canary}}Canary{{end}}';

/** Slack attachment: title, strategy, extra fields, then one field per container image. */
function slackAttachments(color: string, extraFields: { title: string; value: string }[] = []): string {
  const fields = [{ title: 'Strategy', value: STRATEGY }, ...extraFields]
    .map((f) => `{"title": "${f.title}", "value": "${f.value}", "short": true}`)
    .join(',\n    ');
  return `[{
  "title": "{{ .rollout.metadata.name}}",
  "color": "${color}",
  "fields": [
    ${fields}
    {{range $index, $c := .rollout.spec.template.spec.containers}}
    ,{"title": "{{$c.name}}", "value": "{{$c.image}}", "short": true}
    {{end}}
  ]
}]`;
}

function entry(
  message: string,
  color: string,
  extraFields?: { title: string; value: string }[],
): NotificationTemplate {
  return {
    message,
    email: { subject: message },
    slack: { attachments: slackAttachments(color, extraFields) },
  };
}

const STEP = '{{ add .rollout.status.currentStepIndex 1}}/{{len .rollout.spec.strategy.canary.steps}}';

export const CATALOG_TEMPLATES: Record<string, NotificationTemplate> = {
  'analysis-run-error': entry("Rollout {{.rollout.metadata.name}}'s analysis run is in error state.", YELLOW),
  'analysis-run-failed': entry("Rollout {{.rollout.metadata.name}}'s analysis run failed.", RED),
  'analysis-run-running': entry("Rollout {{.rollout.metadata.name}}'s analysis run is running.", GREEN),
  'rollout-aborted': entry('Rollout {{.rollout.metadata.name}} has been aborted.', RED),
  'rollout-completed': entry('Rollout {{.rollout.metadata.name}} has been completed.', GREEN),
  'rollout-paused': entry('Rollout {{.rollout.metadata.name}} has been paused.', GREEN),
  'rollout-step-completed': entry(
    `Rollout {{.rollout.metadata.name}} step number ${STEP} has been completed.`,
    GREEN,
    [{ title: 'Step completed', value: STEP.replace('{{ add', '{{add') }],
  ),
  'rollout-updated': entry('Rollout {{.rollout.metadata.name}} has been updated.', GREEN),
  'scaling-replicaset': entry(
    "Scaling Rollout {{.rollout.metadata.name}}'s replicaset to {{.rollout.spec.replicas}}.",
    GREEN,
    [
      { title: 'Desired replica', value: '{{.rollout.spec.replicas}}' },
      { title: 'Updated replicas', value: '{{.rollout.status.updatedReplicas}}' },
    ],
  ),
};

// Git-sync's own (no Argo equivalent): the Event's facts are top-level variables (image, file,
// repository, branch, commit for a bump; decision, commit and links for a promotion).
const GIT_SYNC_TEMPLATES: Record<string, NotificationTemplate> = {
  'image-bumped': {
    message:
      'ImageWatch {{.imageWatch.metadata.name}}: wrote {{.image}} to {{.file}} in {{.repository}}@{{.branch}} (commit {{.commit}}).',
  },
  promoted: {
    message:
      'Promoted {{.decision.image}} to {{.decision.environment}}{{with .commit}} (commit {{.}}){{end}}: {{.decision.reason}}',
  },
  'rolled-back': {
    message:
      'Rolled back {{.decision.environment}} to {{.decision.image}}{{with .commit}} (commit {{.}}){{end}}: {{.decision.reason}}',
  },
  hold: { message: 'Holding {{.decision.image}} in {{.decision.environment}}: {{.decision.reason}}' },
  'pull-request-opened': {
    message:
      'Pull request to promote {{.decision.image}} to {{.decision.environment}}: {{.links.pullRequest}}',
  },
};
Object.assign(CATALOG_TEMPLATES, GIT_SYNC_TEMPLATES);

export const CATALOG_TRIGGERS: Record<string, TriggerCondition[]> = {
  'on-image-bumped': [{ send: ['image-bumped'] }],
  'on-promoted': [{ send: ['promoted'] }],
  'on-rolled-back': [{ send: ['rolled-back'] }],
  'on-hold': [{ send: ['hold'] }],
  'on-pull-request-opened': [{ send: ['pull-request-opened'] }],
  'on-analysis-run-error': [{ send: ['analysis-run-error'] }],
  'on-analysis-run-failed': [{ send: ['analysis-run-failed'] }],
  'on-analysis-run-running': [{ send: ['analysis-run-running'] }],
  'on-rollout-aborted': [{ send: ['rollout-aborted'] }],
  'on-rollout-completed': [{ send: ['rollout-completed'] }],
  'on-rollout-paused': [{ send: ['rollout-paused'] }],
  'on-rollout-step-completed': [{ send: ['rollout-step-completed'] }],
  'on-rollout-updated': [{ send: ['rollout-updated'] }],
  'on-scaling-replica-set': [{ send: ['scaling-replicaset'] }],
};
