// Argo Rollouts' notification metrics (notification_send_success, notification_send_error,
// notification_send), plus Slipway's per-service, per-trigger counter
// notification_deliveries_total{service,trigger,result}.

import { Counter, Histogram, type Registry } from 'prom-client';

export interface DeliveryLabels {
  object: { metadata?: { namespace?: string; name?: string } };
  type: string;
  reason: string;
  trigger: string;
  service: string;
}

export interface NotificationMetrics {
  sent(labels: DeliveryLabels): void;
  failed(labels: DeliveryLabels): void;
  observe(object: { metadata?: { namespace?: string; name?: string } }, seconds: number): void;
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createNotificationMetrics(registry: Registry): NotificationMetrics {
  const labelNames = ['namespace', 'name', 'type', 'reason'] as const;
  const success = getOrCreate(
    registry,
    'notification_send_success',
    () =>
      new Counter({
        name: 'notification_send_success',
        help: 'Notification send success.',
        labelNames,
        registers: [registry],
      }),
  );
  const error = getOrCreate(
    registry,
    'notification_send_error',
    () =>
      new Counter({
        name: 'notification_send_error',
        help: 'Error sending the notification',
        labelNames,
        registers: [registry],
      }),
  );
  const duration = getOrCreate(
    registry,
    'notification_send',
    () =>
      new Histogram({
        name: 'notification_send',
        help: 'Notification send performance.',
        labelNames: ['namespace', 'name'] as const,
        buckets: [0.01, 0.15, 0.25, 0.5, 1],
        registers: [registry],
      }),
  );
  const deliveries = getOrCreate(
    registry,
    'notification_deliveries_total',
    () =>
      new Counter({
        name: 'notification_deliveries_total',
        help: 'Notifications sent or failed, by service and trigger',
        labelNames: ['service', 'trigger', 'result'] as const,
        registers: [registry],
      }),
  );
  const argoLabels = (l: DeliveryLabels) => ({
    namespace: l.object.metadata?.namespace ?? '',
    name: l.object.metadata?.name ?? '',
    type: l.type,
    reason: l.reason,
  });
  return {
    sent(l) {
      success.inc(argoLabels(l));
      deliveries.inc({ service: l.service, trigger: l.trigger, result: 'sent' });
    },
    failed(l) {
      error.inc(argoLabels(l));
      deliveries.inc({ service: l.service, trigger: l.trigger, result: 'failed' });
    },
    observe(object, seconds) {
      duration.observe(
        { namespace: object.metadata?.namespace ?? '', name: object.metadata?.name ?? '' },
        seconds,
      );
    },
  };
}
