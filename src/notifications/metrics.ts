// Argo Rollouts' notification metrics (notification_send_success, notification_send_error,
// notification_send), plus Slipway's per-service, per-trigger counter
// notification_deliveries_total{service,trigger,result}. Argo's three have series per object
// (every Rollout, AnalysisRun and Experiment with an Event: 8 lines each at 10,000 Rollouts), so
// they are written as text by ../metrics/object-families.ts like the other per-object families,
// and an object's series go 65 s after it is deleted, as Argo removes them.
import { Counter, type Registry } from 'prom-client';
import {
  ARGO_BUCKETS,
  type CleanupOptions,
  type Exposition,
  labelString,
  ObjectCounter,
  ObjectHistogram,
  objectKey,
  removalAfterDelete,
} from '../metrics/object-families.js';

type Named = { metadata?: { namespace?: string; name?: string } };

export interface DeliveryLabels {
  object: Named;
  type: string;
  reason: string;
  trigger: string;
  service: string;
}

export interface NotificationMetrics {
  sent(labels: DeliveryLabels): void;
  failed(labels: DeliveryLabels): void;
  observe(object: Named, seconds: number): void;
  /** The object is gone: its series go after the cleanup delay. */
  deleted(namespace: string, name: string): void;
  /** Removes the per-object families (the process stops notifying). */
  unregister(): void;
}

export function createNotificationMetrics(
  registry: Registry,
  exposition: Exposition,
  options: CleanupOptions = {},
): NotificationMetrics {
  const success = new ObjectCounter('notification_send_success', 'Notification send success.');
  const error = new ObjectCounter('notification_send_error', 'Error sending the notification');
  const duration = new ObjectHistogram('notification_send', 'Notification send performance.', ARGO_BUCKETS);
  const deliveries =
    (registry.getSingleMetric('notification_deliveries_total') as Counter<
      'service' | 'trigger' | 'result'
    >) ??
    new Counter({
      name: 'notification_deliveries_total',
      help: 'Notifications sent or failed, by service and trigger',
      labelNames: ['service', 'trigger', 'result'] as const,
      registers: [registry],
    });
  const removal = removalAfterDelete([success, error, duration], options);
  const removeSource = exposition.add({
    render: () => [success.render(), error.render(), duration.render()].join('\n'),
  });

  const identity = (object: Named) => {
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    return { key: objectKey(namespace, name), namespace, name };
  };
  const argoLabels = (l: DeliveryLabels) => {
    const { namespace, name } = identity(l.object);
    return labelString([
      ['namespace', namespace],
      ['name', name],
      ['type', l.type],
      ['reason', l.reason],
    ]);
  };
  return {
    sent(l) {
      success.inc(identity(l.object).key, argoLabels(l));
      deliveries.inc({ service: l.service, trigger: l.trigger, result: 'sent' });
    },
    failed(l) {
      error.inc(identity(l.object).key, argoLabels(l));
      deliveries.inc({ service: l.service, trigger: l.trigger, result: 'failed' });
    },
    observe(object, seconds) {
      const { key, namespace, name } = identity(object);
      duration.observe(
        key,
        () =>
          labelString([
            ['namespace', namespace],
            ['name', name],
          ]),
        seconds,
      );
    },
    deleted: (namespace, name) => removal.schedule(objectKey(namespace, name)),
    unregister() {
      removal.cancel();
      removeSource();
    },
  };
}
