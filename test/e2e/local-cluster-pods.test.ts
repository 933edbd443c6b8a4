// The local cluster's fake container behaviour (test/cluster/kwok-stages.yaml): Job pods run
// for their `sleep N` and end by their `exit N`; unpullable images stay in ImagePullBackOff;
// other pods become Ready. Argo Rollouts' e2e suite and our analysis tests rely on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, kubectl } from './support/kubectl.js';
import { eventually } from './support/wait.js';

const namespace = `local-pods-${Date.now().toString(36)}`;

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  status?: {
    phase?: string;
    startTime?: string;
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
});
