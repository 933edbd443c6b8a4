// Standalone Experiments from start to scale-down, counted by the controller's own API request
// counter (controller_clientset_k8s_request_total): no guarded write of ours to a template's
// ReplicaSet may be refused (409, or 422 for a failed JSON patch test), nor a create answer
// 409 (AlreadyExists), nor a status write to an Experiment conflict. Only the ReplicaSet
// controller writes the sets besides us, and only their /status, which the generation guard
// lets through; a pass planned before our own last write to a set (the scale-up after the
// create, the scale-down-deadline annotation, the scale-down) reached the cache is skipped
// rather than refused, and the watch event of that write brings the Experiment back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestsByCode, startTestController, type TestController } from './support/controller.js';
import { getJsonAsync, kubectl } from './support/kubectl.js';
import { eventually, statusPoller } from './support/wait.js';

const namespace = `ex-conflicts-${Date.now().toString(36)}`;
// Several Experiments of four templates each, so that passes planned from a stale copy of a set
// have a chance to happen at all.
const names = ['one', 'two', 'three', 'four', 'five', 'six'];
const templates = ['a', 'b', 'c', 'd'];

const podTemplate = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image: 'web:1' }] },
});

const experiment = (name: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Experiment',
  metadata: { name, namespace },
  spec: {
    duration: '3s',
    scaleDownDelaySeconds: 2,
    templates: templates.map((template) => ({
      name: template,
      replicas: 3,
      selector: { matchLabels: { app: `${name}-${template}` } },
      template: podTemplate(`${name}-${template}`),
    })),
  },
});

interface ExperimentObject {
  status?: { phase?: string };
}
interface ReplicaSetList {
  items: { metadata: { name: string }; spec: { replicas: number }; status: { replicas?: number } }[];
}

let controller: TestController;

beforeAll(async () => {
  kubectl(['create', 'namespace', namespace]);
  controller = await startTestController(namespace);
});

afterAll(async () => {
  await controller?.shutdown();
});

const waitForExperiment = statusPoller(
  (name: string) => getJsonAsync<ExperimentObject>(['experiment', name, '-n', namespace]),
  120_000,
);

describe('writes of standalone Experiments', () => {
  it('never conflict with our own writes', async () => {
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: names.map(experiment) }),
    );
    for (const name of names) {
      await waitForExperiment(name, `${name} Successful`, (ex) => ex.status?.phase === 'Successful');
    }
    await eventually('every template ReplicaSet scaled down', async () => {
      const sets = await getJsonAsync<ReplicaSetList>(['replicasets', '-n', namespace]);
      return sets.items.length === names.length * templates.length &&
        sets.items.every((rs) => rs.spec.replicas === 0 && (rs.status.replicas ?? 0) === 0)
        ? true
        : undefined;
    });
    const replicaSets = await requestsByCode(controller, 'replicasets');
    // The counter saw our writes (so the check below can fail), and none was refused.
    expect(replicaSets['200'] ?? 0).toBeGreaterThan(0);
    expect(replicaSets['201'] ?? 0).toBe(names.length * templates.length);
    expect({ 409: replicaSets['409'] ?? 0, 422: replicaSets['422'] ?? 0 }).toEqual({ 409: 0, 422: 0 });
    const experiments = await requestsByCode(controller, 'experiments');
    expect(experiments['200'] ?? 0).toBeGreaterThan(0);
    expect(experiments['409'] ?? 0).toBe(0);
  });
});
