// Prometheus metrics of `slipway git-sync`, registered on the process registry.
import { Counter, Histogram, type Registry } from 'prom-client';

export function createGitSyncMetrics(registry: Registry) {
  const registers = [registry];
  return {
    checks: new Counter({
      name: 'slipway_gitsync_registry_checks_total',
      help: 'Registry checks of ImageWatches, by result (candidate, none, error)',
      labelNames: ['result'] as const,
      registers,
    }),
    throttled: new Counter({
      name: 'slipway_gitsync_registry_throttled_total',
      help: 'Registry responses 429/503 that were waited out',
      registers,
    }),
    invalidTags: new Counter({
      name: 'slipway_gitsync_registry_invalid_tags_total',
      help: 'Tags skipped because they break the OCI tag grammar (never ranked or written)',
      registers,
    }),
    bumps: new Counter({
      name: 'slipway_gitsync_bumps_total',
      help: 'Files changed to a new image reference and pushed',
      registers,
    }),
    commits: new Counter({
      name: 'slipway_gitsync_commits_total',
      help: 'Commits pushed (one per batch)',
      registers,
    }),
    pushes: new Counter({
      name: 'slipway_gitsync_pushes_total',
      help: 'Push attempts, by result (ok, conflict, failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    pushRetries: new Counter({
      name: 'slipway_gitsync_push_retries_total',
      help: 'Pushes retried on a new head because someone else pushed first',
      registers,
    }),
    errors: new Counter({
      name: 'slipway_gitsync_errors_total',
      help: 'Errors by reason (the condition reason shown in status)',
      labelNames: ['reason'] as const,
      registers,
    }),
    webhooks: new Counter({
      name: 'slipway_gitsync_webhook_requests_total',
      help: 'Webhook requests by endpoint and result (accepted, unauthorized, bad_request)',
      labelNames: ['endpoint', 'result'] as const,
      registers,
    }),
    syncSeconds: new Histogram({
      name: 'slipway_gitsync_repository_sync_seconds',
      help: 'Time of one repository sync: fetch, edit, commit and push',
      buckets: [0.1, 0.5, 1, 5, 15, 60],
      registers,
    }),
  };
}

export type GitSyncMetrics = ReturnType<typeof createGitSyncMetrics>;
