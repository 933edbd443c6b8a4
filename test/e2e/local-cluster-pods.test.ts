// The local cluster's fake container behaviour (test/cluster/kwok-stages.yaml): Job pods run
// for their `sleep N` and end by their `exit N`; unpullable images stay in ImagePullBackOff;
// a readinessProbe's initialDelaySeconds or a postStart `sleep N` holds Ready back, and
// readinessGates until their conditions are True; a preStop `sleep N` holds deletion back; a
// command that cannot run crash-loops; other pods become Ready. Argo Rollouts' e2e suite and our analysis tests rely on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, kubectl } from './support/kubectl.js';
import { eventually } from './support/wait.js';

const namespace = `local-pods-${Date.now().toString(36)}`;

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  status?: {
    phase?: string;
    startTime?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: {
      state?: {
        waiting?: { reason?: string };
        terminated?: { exitCode?: number; finishedAt?: string };
      };
    }[];
  };
}

function job(name: string, container: Record<string, unknown>, annotations?: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: annotations ? { annotations } : {},
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'alpine:3.8', ...container }] },
      },
    },
  });
}

function podOfJob(name: string): Pod | undefined {
  const pods = getJson<{ items: Pod[] }>(['pods', '-n', namespace, '-l', `job-name=${name}`]).items;
  return pods[0];
}

async function finishedPod(name: string, phase: 'Succeeded' | 'Failed'): Promise<Pod> {
  return eventually(
    `the pod of Job ${name} to be ${phase}`,
    () => {
      const pod = podOfJob(name);
      return pod?.status?.phase === phase ? pod : undefined;
    },
    120_000,
  );
}

function ranSeconds(pod: Pod): number {
  const finished = pod.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt;
  return (Date.parse(finished ?? '') - Date.parse(pod.status?.startTime ?? '')) / 1000;
}

describe('local cluster: container behaviour read from the pod spec', () => {
  beforeAll(() => {
    kubectl(['create', 'namespace', namespace]);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', namespace, '--wait=false']);
  });

  it('a Job pod runs for its sleep, then fails with its exit code', async () => {
    kubectl(
      ['apply', '-f', '-'],
      job('sleep-exit-1', { command: ['sh', '-c'], args: ['sleep 3 && exit 1'] }),
    );
    const pod = await finishedPod('sleep-exit-1', 'Failed');
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(1);
    expect(ranSeconds(pod)).toBeGreaterThanOrEqual(3);
  });

  it('a Job pod that exits 0 succeeds', async () => {
    kubectl(['apply', '-f', '-'], job('exit-0', { args: ['exit 0'] }));
    await finishedPod('exit-0', 'Succeeded');
  });

  it('a Job pod with [exit, "1"] as its command fails', async () => {
    kubectl(['apply', '-f', '-'], job('command-exit', { command: ['exit', '1'] }));
    await finishedPod('command-exit', 'Failed');
  });

  it('the slipway.dev/kwok-exit-code annotation still fails a Job pod', async () => {
    kubectl(['apply', '-f', '-'], job('annotated', {}, { 'slipway.dev/kwok-exit-code': '2' }));
    await finishedPod('annotated', 'Failed');
  });

  it('a pod whose image cannot be pulled stays Pending in ImagePullBackOff', async () => {
    kubectl(
      ['apply', '-f', '-'],
      job('bad-image', { image: 'nonexistent-image-that-does-not-exist:latest', args: ['exit 0'] }),
    );
    const pod = await eventually('an ImagePullBackOff pod', () => {
      const found = podOfJob('bad-image');
      return found?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'
        ? found
        : undefined;
    });
    expect(pod.status?.phase).toBe('Pending');
  });

  it('an image whose tag says error cannot be pulled either', async () => {
    kubectl(
      ['apply', '-f', '-'],
      job('error-tag', { image: 'argoproj/rollouts-demo:error', args: ['exit 0'] }),
    );
    await eventually('an ImagePullBackOff pod', () =>
      podOfJob('error-tag')?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'
        ? true
        : undefined,
    );
  });

  it('a pod runs at once but is Ready only after its readinessProbe initialDelaySeconds', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'slow-ready', namespace },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'nginx:1.19-alpine',
            readinessProbe: { initialDelaySeconds: 3, httpGet: { path: '/', port: 80 } },
          },
        ],
      },
    };
    kubectl(['apply', '-f', '-'], JSON.stringify(pod));
    const ready = await eventually(
      'the pod to become Ready',
      () => {
        const found = getJson<Pod>(['pod', 'slow-ready', '-n', namespace]);
        return found.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? found
          : undefined;
      },
      120_000,
    );
    const readyAt = ready.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
    expect(ready.status?.phase).toBe('Running');
    expect(
      (Date.parse(readyAt ?? '') - Date.parse(ready.status?.startTime ?? '')) / 1000,
    ).toBeGreaterThanOrEqual(3);
  });

  const isReady = (pod: Pod) =>
    pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const plainPod = (name: string, spec: Record<string, unknown>) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace },
      spec: { containers: [{ name: 'main', image: 'nginx:1.19-alpine' }], ...spec },
    });

  it('a pod with a readiness gate runs, and is Ready only once the gate condition is True', async () => {
    kubectl(
      ['apply', '-f', '-'],
      plainPod('gated', { readinessGates: [{ conditionType: 'example.com/gate' }] }),
    );
    const running = await eventually('the gated pod to run', () => {
      const found = getJson<Pod>(['pod', 'gated', '-n', namespace]);
      return found.status?.phase === 'Running' ? found : undefined;
    });
    // Nothing has set the gate yet, and nothing but this test will.
    expect(isReady(running)).toBe(false);
    kubectl([
      'patch',
      'pod',
      'gated',
      '-n',
      namespace,
      '--subresource=status',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'add', path: '/status/conditions/-', value: { type: 'example.com/gate', status: 'True' } },
      ]),
    ]);
    await eventually('the gated pod to become Ready', () =>
      isReady(getJson<Pod>(['pod', 'gated', '-n', namespace])) ? true : undefined,
    );
  });

  it('a pod whose command cannot run crash-loops and is never Ready', async () => {
    kubectl(
      ['apply', '-f', '-'],
      plainPod('bad-command', {
        containers: [{ name: 'main', image: 'nginx:1.19-alpine', command: ['/bad-command'] }],
      }),
    );
    const pod = await eventually('a CrashLoopBackOff pod', () => {
      const found = getJson<Pod>(['pod', 'bad-command', '-n', namespace]);
      return found.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'
        ? found
        : undefined;
    });
    expect(pod.status?.phase).toBe('Running');
    expect(isReady(pod)).toBe(false);
  });

  it("a postStart hook's sleep holds Ready back; a preStop hook's sleep holds deletion back", async () => {
    const hooks = {
      postStart: { exec: { command: ['sleep', '3'] } },
      preStop: { exec: { command: ['sleep', '30'] } },
    };
    kubectl(
      ['apply', '-f', '-'],
      plainPod('hooks', {
        terminationGracePeriodSeconds: 60,
        containers: [{ name: 'main', image: 'nginx:1.19-alpine', lifecycle: hooks }],
      }),
    );
    const ready = await eventually(
      'the pod with hooks to become Ready',
      () => {
        const found = getJson<Pod>(['pod', 'hooks', '-n', namespace]);
        return isReady(found) ? found : undefined;
      },
      120_000,
    );
    const readyAt = ready.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
    expect(
      (Date.parse(readyAt ?? '') - Date.parse(ready.status?.startTime ?? '')) / 1000,
    ).toBeGreaterThanOrEqual(3);
    kubectl(['delete', 'pod', 'hooks', '-n', namespace, '--wait=false']);
    // Still there, terminating, while its preStop hook runs.
    const terminating = getJson<Pod & { metadata: { deletionTimestamp?: string } }>([
      'pod',
      'hooks',
      '-n',
      namespace,
    ]);
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    await eventually(
      'the pod to go away after its preStop hook',
      () =>
        getJson<{ items: Pod[] }>(['pods', '-n', namespace, '--field-selector', 'metadata.name=hooks']).items
          .length === 0
          ? true
          : undefined,
      120_000,
    );
  });
});
