// The notification services by type, as named in `service.<type>` ConfigMap keys.

import type { ServiceConfig } from '../config.js';
import { emailService } from './email.js';
import { githubService } from './github.js';
import type { NotificationService } from './service.js';
import { slackService } from './slack.js';
import { teamsService } from './teams.js';
import { webhookService } from './webhook.js';

const FACTORIES: Record<string, (options: Record<string, unknown>) => NotificationService> = {
  webhook: webhookService,
  slack: slackService,
  teams: teamsService,
  email: emailService,
  github: githubService,
};

export const SUPPORTED_SERVICE_TYPES = Object.keys(FACTORIES);

export function createService(config: ServiceConfig): NotificationService {
  const factory = FACTORIES[config.type];
  if (!factory) {
    throw new Error(
      `service type '${config.type}' (service.${config.type}${config.name === config.type ? '' : `.${config.name}`}) is not supported; supported: ${SUPPORTED_SERVICE_TYPES.join(', ')}`,
    );
  }
  return factory(config.options);
}
