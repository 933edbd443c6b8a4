// A RestClient for act tests: it records every request and answers from the test's function.
import type { KubeRequest, RestClient } from '../../../src/kube/rest.js';

/** A client whose `request` records each request in `requests`, then returns (or throws) `answer(request)`. */
export function recordingClient(answer: (request: KubeRequest) => unknown): {
  client: RestClient;
  requests: KubeRequest[];
} {
  const requests: KubeRequest[] = [];
  const client = {
    async request(request: KubeRequest) {
      requests.push(request);
      return answer(request);
    },
  } as unknown as RestClient;
  return { client, requests };
}
