// The controllers `slipway controller` runs while it leads, in start order. A new
// controller is one module exporting a ControllerFactory and one line here.
import { analysisRunController } from '../analysis/controller.js';
import { experimentController } from '../experiment/controller.js';
import type { ControllerFactory } from '../kube/controller.js';
import { notificationsController } from '../notifications/controller.js';
import { rolloutController } from '../rollout/controller.js';

export const CONTROLLERS: ControllerFactory[] = [
  notificationsController,
  rolloutController,
  analysisRunController,
  experimentController,
];
