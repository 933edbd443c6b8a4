// Where an AnalysisRun's or Experiment's status is written, against a fake API server with the
// write rules of a CRD with and without the status subresource: /status answers 404 without it;
// with it, status written with the object is ignored (and a write that changes nothing keeps the
// resourceVersion); a stale resourceVersion is a 409. Discovery can lag the CRD, as it does.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConflictError, kubeApiErrorFor, NotFoundError } from '../../../src/kube/api-error.js';
import type { KubeObject } from '../../../src/kube/object.js';
import type { ApiResource } from '../../../src/kube/resource.js';
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';
import { StatusSubresources, updateChangedStatus } from '../../../src/kube/status-subresource.js';

const RUNS: ApiResource = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'analysisruns',
  kind: 'AnalysisRun',
  namespaced: true,
};
const OBJECT_PATH = '/apis/argoproj.io/v1alpha1/namespaces/shop/analysisruns/r';

type Run = KubeObject & { spec: { metrics: string[] }; status?: { phase?: string } };

/** `crdHasStatus`: the CRD as installed; `discovered`: what discovery says (it may lag). */
function apiServer(crdHasStatus: boolean, discovered = crdHasStatus) {
  const state = { crdHasStatus, discovered, exists: true };
  let stored: Run = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisRun',
    metadata: { name: 'r', namespace: 'shop', resourceVersion: '1' },
    spec: { metrics: ['m'] },
    status: { phase: 'Pending' },
  };
  const requests: string[] = [];
  const client = {
    async request(req: KubeRequest) {
      const viaStatus = req.path.endsWith('/status');
      requests.push(`${req.method} ${req.path.replace(OBJECT_PATH, '<run>')}`);
      if (req.method === 'GET') {
        const resources = [
          { name: 'analysisruns' },
          ...(state.discovered ? [{ name: 'analysisruns/status' }] : []),
        ];
        return { kind: 'APIResourceList', resources };
      }
      const failed = { method: req.method, path: req.path };
      if (!state.exists || (viaStatus && !state.crdHasStatus)) {
        throw kubeApiErrorFor(failed, 404, { kind: 'Status', reason: 'NotFound', message: 'not found' });
      }
      const body = req.body as Run;
      if (body.metadata?.resourceVersion !== stored.metadata?.resourceVersion) {
        throw kubeApiErrorFor(failed, 409, { kind: 'Status', reason: 'Conflict', message: 'modified' });
      }
      const next: Run = viaStatus
        ? { ...stored, status: body.status }
        : { ...body, status: state.crdHasStatus ? stored.status : body.status };
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(next)), stored)) {
        stored = {
          ...next,
          metadata: {
            ...next.metadata,
            resourceVersion: String(Number(stored.metadata?.resourceVersion) + 1),
          },
        };
      }
      return structuredClone(stored);
    },
  } as unknown as RestClient;
  return {
    state,
    client,
    requests,
    get stored() {
      return stored;
    },
  };
}

describe('updateChangedStatus', () => {
  it("writes with the object where the CRD has no status subresource (Argo's and ours), discovery read once", async () => {
    const api = apiServer(false);
    const subresources = new StatusSubresources(api.client);
    const read = structuredClone(api.stored);
    expect(await updateChangedStatus(api.client, subresources, RUNS, read, { phase: 'Running' })).toBe('2');
    const again = structuredClone(api.stored);
    expect(await updateChangedStatus(api.client, subresources, RUNS, again, { phase: 'Successful' })).toBe(
      '3',
    );
    expect(api.requests).toEqual(['GET /apis/argoproj.io/v1alpha1', 'PUT <run>', 'PUT <run>']);
    expect(api.stored.status).toEqual({ phase: 'Successful' });
  });

  it("writes through /status where an older Slipway chart's CRD has the subresource", async () => {
    const api = apiServer(true);
    const written = await updateChangedStatus(
      api.client,
      new StatusSubresources(api.client),
      RUNS,
      structuredClone(api.stored),
      { phase: 'Running' },
    );
    expect(written).toBe('2');
    expect(api.requests).toEqual(['GET /apis/argoproj.io/v1alpha1', 'PUT <run>/status']);
    expect(api.stored.status).toEqual({ phase: 'Running' });
  });

  it('sends nothing, not even discovery, when the object already holds the status', async () => {
    const api = apiServer(false);
    const written = await updateChangedStatus(
      api.client,
      new StatusSubresources(api.client),
      RUNS,
      structuredClone(api.stored),
      { phase: 'Pending' },
    );
    expect(written).toBeUndefined();
    expect(api.requests).toEqual([]);
  });

  it('a stale resourceVersion is a ConflictError, without another look at discovery', async () => {
    for (const crdHasStatus of [false, true]) {
      const api = apiServer(crdHasStatus);
      const stale = {
        ...structuredClone(api.stored),
        metadata: { name: 'r', namespace: 'shop', resourceVersion: '0' },
      };
      await expect(
        updateChangedStatus(api.client, new StatusSubresources(api.client), RUNS, stale, {
          phase: 'Running',
        }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(api.requests.filter((r) => r.startsWith('GET'))).toHaveLength(1);
    }
  });

  it("the CRD lost its status subresource (Argo's applied over an older chart's), discovery not yet: 404 on /status, then with the object, and so on", async () => {
    const api = apiServer(false, true);
    const subresources = new StatusSubresources(api.client);
    const write = (phase: string) =>
      updateChangedStatus(api.client, subresources, RUNS, structuredClone(api.stored), { phase });
    expect(await write('Running')).toBe('2');
    expect(await write('Successful')).toBe('3');
    expect(api.stored.status).toEqual({ phase: 'Successful' });
    expect(api.requests).toEqual([
      'GET /apis/argoproj.io/v1alpha1',
      'PUT <run>/status',
      'PUT <run>',
      'PUT <run>', // learned from the first write: no /status, no discovery
    ]);
  });

  it('the CRD gained the subresource, discovery not yet: the object is stored unchanged (status ignored), then /status, and so on', async () => {
    const api = apiServer(true, false);
    const subresources = new StatusSubresources(api.client);
    const write = (phase: string) =>
      updateChangedStatus(api.client, subresources, RUNS, structuredClone(api.stored), { phase });
    expect(await write('Running')).toBe('2');
    expect(await write('Successful')).toBe('3');
    expect(api.stored.status).toEqual({ phase: 'Successful' });
    expect(api.requests).toEqual([
      'GET /apis/argoproj.io/v1alpha1',
      'PUT <run>',
      'PUT <run>/status',
      'PUT <run>/status',
    ]);
  });

  it('a CRD changed under a running controller, both ways: each write lands', async () => {
    const api = apiServer(false);
    const subresources = new StatusSubresources(api.client);
    const write = (phase: string) =>
      updateChangedStatus(api.client, subresources, RUNS, structuredClone(api.stored), { phase });
    expect(await write('Running')).toBe('2');
    api.state.crdHasStatus = true;
    expect(await write('Successful')).toBe('3');
    api.state.crdHasStatus = false;
    expect(await write('Failed')).toBe('4');
    expect(api.stored.status).toEqual({ phase: 'Failed' });
    expect(api.requests).toEqual([
      'GET /apis/argoproj.io/v1alpha1',
      'PUT <run>',
      'PUT <run>',
      'PUT <run>/status',
      'PUT <run>/status',
      'PUT <run>',
    ]);
  });

  it('an object that is gone stays a NotFoundError, with or without the subresource', async () => {
    for (const crdHasStatus of [true, false]) {
      const api = apiServer(crdHasStatus);
      api.state.exists = false;
      await expect(
        updateChangedStatus(
          api.client,
          new StatusSubresources(api.client),
          RUNS,
          structuredClone(api.stored),
          {
            phase: 'Running',
          },
        ),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect(api.requests).toEqual(
        crdHasStatus
          ? ['GET /apis/argoproj.io/v1alpha1', 'PUT <run>/status', 'PUT <run>']
          : ['GET /apis/argoproj.io/v1alpha1', 'PUT <run>'],
      );
    }
  });

  it('a status the server stores as it was (a key set to undefined) is no write, and does not change the answer', async () => {
    const api = apiServer(false);
    const subresources = new StatusSubresources(api.client);
    const status = { phase: 'Pending', message: undefined };
    expect(
      await updateChangedStatus(api.client, subresources, RUNS, structuredClone(api.stored), status),
    ).toBeUndefined();
    expect(await subresources.has(RUNS)).toBe(false);
    expect(api.requests).toEqual(['GET /apis/argoproj.io/v1alpha1', 'PUT <run>', 'PUT <run>/status']);
  });

  it('a failed discovery read is not kept: the next write reads it again', async () => {
    const api = apiServer(false);
    let failures = 1;
    const client = {
      request: async (req: KubeRequest) => {
        if (req.method === 'GET' && failures-- > 0) throw new Error('connection refused');
        return api.client.request(req);
      },
    } as unknown as RestClient;
    const subresources = new StatusSubresources(client);
    const write = () =>
      updateChangedStatus(client, subresources, RUNS, structuredClone(api.stored), { phase: 'Running' });
    await expect(write()).rejects.toThrow('connection refused');
    expect(await write()).toBe('2');
  });
});
